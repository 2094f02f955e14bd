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
  // A backend's headers and paths are the same on every request: made once per backend, not per request.
  const prepared = new WeakMap<BackendTarget, { headers: Readonly<Record<string, string>>; paths: Readonly<Record<Operation, string>> }>();
  const prepare = (target: BackendTarget): { headers: Readonly<Record<string, string>>; paths: Readonly<Record<Operation, string>> } => {
    const headers: Record<string, string> = { 'content-type': 'application/json', ...target.headers };
    if (isAzure && target.apiKey) headers['api-key'] = target.apiKey;
    else if (!isAzure && target.apiKey) headers.authorization = `Bearer ${target.apiKey}`;
    const path = (op: Operation): string =>
      isAzure
        ? `${target.basePath}/openai/deployments/${encodeURIComponent(target.upstreamModel)}${OPERATION_PATH[op]}?api-version=${encodeURIComponent(target.apiVersion ?? '')}`
        : target.basePath + OPERATION_PATH[op];
    const made = { headers: Object.freeze(headers), paths: { chat: path('chat'), embeddings: path('embeddings') } };
    prepared.set(target, made);
    return made;
  };
  return {
    kind: dialect,
    supports: () => true,

    buildRequest(op: Operation, body: Readonly<Record<string, unknown>>, target: BackendTarget): UpstreamCall {
      const { headers, paths } = prepared.get(target) ?? prepare(target);
      return { path: paths[op], headers, body: upstreamBody(op, body, target.upstreamModel) };
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
