// The Anthropic Messages API behind the gateway's OpenAI surface. Chat only: Anthropic offers no embeddings API.
import type { BackendTarget, Operation, ProviderAdapter, StreamTranslator, UpstreamCall } from '../adapter.ts';
import { GatewayError } from '../../errors.ts';
import { openaiToAnthropicRequest } from './openai_anthropic.ts';
import { AnthropicStreamTranslator, anthropicToOpenAIResponse } from './anthropic_openai.ts';

/** The API version the translators are written against; a config header may override it. */
const ANTHROPIC_VERSION = '2023-06-01';
const MAX_ERROR_TEXT = 500;

function unsupported(op: Operation): GatewayError {
  return new GatewayError('operation_not_supported', `Anthropic backends do not support ${op}`);
}

export const anthropicAdapter: ProviderAdapter = {
  kind: 'anthropic',

  supports(op: Operation): boolean {
    return op === 'chat';
  },

  buildRequest(op: Operation, body: Readonly<Record<string, unknown>>, target: BackendTarget): UpstreamCall {
    if (op !== 'chat') throw unsupported(op);
    // Base URLs are configured either as the bare origin or, as Anthropic's SDKs document them, ending in /v1.
    const path = target.basePath.endsWith('/v1') ? `${target.basePath}/messages` : `${target.basePath}/v1/messages`;
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      'anthropic-version': ANTHROPIC_VERSION,
    };
    if (target.apiKey !== undefined) headers['x-api-key'] = target.apiKey;
    // Config headers last: they add betas (anthropic-beta) or pin another version.
    if (target.headers !== undefined) Object.assign(headers, target.headers);
    return { path, headers, body: JSON.stringify(openaiToAnthropicRequest(body, target.upstreamModel)) };
  },

  translateResponse(op: Operation, raw: Buffer) {
    if (op !== 'chat') throw unsupported(op);
    return anthropicToOpenAIResponse(raw);
  },

  createStreamTranslator(options): StreamTranslator {
    return new AnthropicStreamTranslator(options);
  },

  errorMessage(status: number, raw: Buffer): string {
    // Anthropic errors are {"type":"error","error":{"type","message"}}; proxies in between may answer in HTML.
    try {
      const parsed: unknown = JSON.parse(raw.toString('utf8'));
      if (typeof parsed === 'object' && parsed !== null && 'error' in parsed) {
        const error: unknown = parsed.error;
        if (typeof error === 'object' && error !== null && 'message' in error && typeof error.message === 'string') {
          return error.message;
        }
      }
    } catch {
      // Not JSON: fall through to the raw text.
    }
    // Decoding only the first bytes bounds the work on a large body; a character cut in half is harmless here.
    const text = raw.toString('utf8', 0, MAX_ERROR_TEXT).trim();
    return text === '' ? `Anthropic returned HTTP ${status}` : text;
  },
};
