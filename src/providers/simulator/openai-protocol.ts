// The OpenAI API surface (also served under Azure's deployment paths): chat completions, streamed or not,
// embeddings and the model list, with the field names, ids and chunk sequence the official SDKs expect.
import { SSE_DONE_FRAME, sseFrame } from '../../streaming/sse-event.ts';
import { embed, encodeVector } from './embeddings.ts';
import { isRecord, optionalBoolean, optionalPositiveInt, requiredArray, requiredString } from './fields.ts';
import { delay, sendJson } from './http-io.ts';
import { SimulatorHttpError } from './protocol-errors.ts';
import type { RequestContext } from './request-context.ts';
import { generationMs, streamSse } from './sse-stream.ts';
import { chunkCount, chunkText, completionText, contentChars, estimateTokens } from './text.ts';

type Body = Readonly<Record<string, unknown>>;

export const SIMULATOR_MODEL = 'simulator';

/** Azure names the model by the deployment in the path; OpenAI by the body's `model`. */
function modelOf(body: Body, deployment: string | undefined): string {
  return deployment ?? requiredString(body, 'model');
}

function promptTokens(messages: readonly unknown[]): number {
  let chars = 0;
  for (const message of messages) if (isRecord(message)) chars += contentChars(message['content']);
  return estimateTokens(chars);
}

export async function handleChatCompletion(ctx: RequestContext, body: Body, deployment?: string): Promise<void> {
  const model = modelOf(body, deployment);
  const messages = requiredArray(body, 'messages');
  // max_completion_tokens superseded max_tokens; clients send one or the other.
  const limit = optionalPositiveInt(body, 'max_completion_tokens') ?? optionalPositiveInt(body, 'max_tokens');
  const stream = optionalBoolean(body, 'stream');
  const streamOptions = body['stream_options'];
  // stream_usage: false plays the OpenAI-compatible servers that ignore include_usage.
  const includeUsage = stream && ctx.settings.stream_usage && isRecord(streamOptions) && streamOptions['include_usage'] === true;

  const { completion_tokens: natural, chunk_tokens: chunkTokens } = ctx.settings;
  const tokens = limit === undefined ? natural : Math.min(limit, natural);
  const finishReason = tokens < natural ? 'length' : 'stop';
  const usage = { prompt_tokens: promptTokens(messages), completion_tokens: tokens, total_tokens: 0 };
  usage.total_tokens = usage.prompt_tokens + usage.completion_tokens;

  const outcome = await ctx.gate(stream);
  if (outcome === 'done') return;
  const id = `chatcmpl-${ctx.id}`;
  const created = Math.floor(Date.now() / 1000);

  if (!stream) {
    if (!(await delay(generationMs(ctx.settings, tokens), ctx.signal))) return;
    const message = { role: 'assistant', content: completionText(tokens), refusal: null };
    sendJson(
      ctx.res,
      200,
      JSON.stringify({
        id,
        object: 'chat.completion',
        created,
        model,
        system_fingerprint: null,
        choices: [{ index: 0, message, logprobs: null, finish_reason: finishReason }],
        usage,
      }),
    );
    return;
  }

  // Every chunk shares its envelope; only the delta and finish_reason vary, so the envelope is built once and a
  // chunk costs one JSON.stringify of its text. With include_usage, OpenAI sends `usage: null` on all but the last.
  const head = `{"id":${JSON.stringify(id)},"object":"chat.completion.chunk","created":${created},"model":${JSON.stringify(model)},"system_fingerprint":null,"choices":[{"index":0,"delta":`;
  const usageNull = includeUsage ? ',"usage":null' : '';
  const frame = (delta: string, finish: string | null): string =>
    sseFrame(`${head}${delta},"logprobs":null,"finish_reason":${finish === null ? 'null' : JSON.stringify(finish)}}]${usageNull}}`);

  const tail = [frame('{}', finishReason)];
  if (includeUsage) {
    tail.push(sseFrame(JSON.stringify({ id, object: 'chat.completion.chunk', created, model, system_fingerprint: null, choices: [], usage })));
  }
  tail.push(SSE_DONE_FRAME);
  await streamSse(
    ctx,
    {
      head: [frame('{"role":"assistant","content":""}', null)],
      chunks: chunkCount(tokens, chunkTokens),
      chunk: (i) => frame(`{"content":${JSON.stringify(chunkText(i, tokens, chunkTokens))}}`, null),
      tail,
    },
    outcome === 'cut',
  );
}

interface EmbeddingInput {
  /** What the vector is derived from. */
  readonly key: string;
  readonly tokens: number;
}

const textInput = (text: string): EmbeddingInput => ({ key: text, tokens: estimateTokens(text.length) });
const tokenInput = (ids: readonly number[]): EmbeddingInput => ({ key: ids.join(','), tokens: ids.length });

/** The inputs of an embeddings request: text, texts, token ids, or arrays of token ids, as OpenAI accepts. */
function embeddingInputs(body: Body): EmbeddingInput[] {
  const input = body['input'];
  if (typeof input === 'string') return [textInput(input)];
  if (Array.isArray(input) && input.length > 0) {
    if (input.every((item) => typeof item === 'string')) return input.map(textInput);
    if (input.every((item) => typeof item === 'number')) return [tokenInput(input)];
    if (input.every((item) => Array.isArray(item) && item.every((t) => typeof t === 'number'))) {
      return (input as number[][]).map(tokenInput);
    }
  }
  throw new SimulatorHttpError(400, 'input: a string, an array of strings, or token arrays is required', 'input');
}

export async function handleEmbeddings(ctx: RequestContext, body: Body, deployment?: string): Promise<void> {
  const model = modelOf(body, deployment);
  const inputs = embeddingInputs(body);
  const dimensions = optionalPositiveInt(body, 'dimensions', 8192) ?? ctx.settings.embedding_dimensions;
  const format = body['encoding_format'] ?? 'float';
  if (format !== 'float' && format !== 'base64') {
    throw new SimulatorHttpError(400, "encoding_format: 'float' or 'base64' is expected", 'encoding_format');
  }
  let tokens = 0;
  for (const input of inputs) tokens += input.tokens;

  if ((await ctx.gate(false)) === 'done') return;
  const data = inputs.map((input, index) => ({
    object: 'embedding',
    index,
    embedding: encodeVector(embed(input.key, dimensions), format),
  }));
  sendJson(ctx.res, 200, JSON.stringify({ object: 'list', data, model, usage: { prompt_tokens: tokens, total_tokens: tokens } }));
}

export const MODELS_BODY = JSON.stringify({
  object: 'list',
  data: [{ id: SIMULATOR_MODEL, object: 'model', created: 0, owned_by: 'archway' }],
});
