// One adapter for every upstream that speaks OpenAI's API: OpenAI itself, vLLM, Ollama, LM Studio, Together, the
// built-in simulator, and Azure OpenAI, which differs only in where a model lives (a deployment URL with an
// api-version) and how the key is sent (`api-key`). Bodies pass through; only `model` is replaced.
import type { BackendTarget, Operation, ProviderAdapter, StreamOptions, StreamTranslator, TranslatedBody, UpstreamCall } from '../adapter.ts';
import { extractUsage, openAIErrorMessage } from '../usage.ts';
import { OpenAIPassthroughTranslator } from './stream-translator.ts';

export type OpenAIDialect = 'openai' | 'azure-openai';

const OPERATION_PATH: Readonly<Record<Operation, string>> = { chat: '/chat/completions', embeddings: '/embeddings' };

function upstreamBody(op: Operation, body: Readonly<Record<string, unknown>>, model: string): string {
  if (op === 'chat' && body.stream === true) {
    // Ask for usage on streams so every request can be metered; the translator hides it if the client did not ask.
    const streamOptions = body.stream_options as Record<string, unknown> | undefined;
    if (streamOptions?.include_usage !== true) {
      return JSON.stringify({ ...body, model, stream_options: { ...streamOptions, include_usage: true } });
    }
  }
  // Most backends know the model by the name clients use: then the body is serialised as it is, without a copy.
  return body.model === model ? JSON.stringify(body) : JSON.stringify({ ...body, model });
}

export function createOpenAICompatibleAdapter(dialect: OpenAIDialect): ProviderAdapter {
  const isAzure = dialect === 'azure-openai';
  return {
    kind: dialect,
    supports: () => true,

    buildRequest(op: Operation, body: Readonly<Record<string, unknown>>, target: BackendTarget): UpstreamCall {
      const headers: Record<string, string> = { 'content-type': 'application/json', ...target.headers };
      let path: string;
      if (isAzure) {
        path = `${target.basePath}/openai/deployments/${encodeURIComponent(target.upstreamModel)}${OPERATION_PATH[op]}?api-version=${encodeURIComponent(target.apiVersion ?? '')}`;
        if (target.apiKey) headers['api-key'] = target.apiKey;
      } else {
        path = target.basePath + OPERATION_PATH[op];
        if (target.apiKey) headers.authorization = `Bearer ${target.apiKey}`;
      }
      return { path, headers, body: upstreamBody(op, body, target.upstreamModel) };
    },

    translateResponse(_op: Operation, raw: Buffer): TranslatedBody {
      return { body: raw, usage: extractUsage(raw) };
    },

    createStreamTranslator(options: StreamOptions): StreamTranslator {
      return new OpenAIPassthroughTranslator(options);
    },

    errorMessage: openAIErrorMessage,
  };
}
