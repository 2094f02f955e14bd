// Anthropic Messages responses → OpenAI Chat Completions responses, whole and streamed. Anthropic answers in content
// blocks (text, tool_use, thinking…) and, when streaming, in typed events that open, fill and close those blocks;
// OpenAI answers in one message, or in chunks whose `delta` carries text and tool-call fragments.
import type { StreamOptions, StreamTranslator, Usage } from '../adapter.ts';
import type { SseEvent } from '../../streaming/sse-event.ts';
import { sseFrame } from '../../streaming/sse-event.ts';
import { ERRORS } from '../../errors.ts';
import { UpstreamProtocolError } from '../../upstream/attempt-failure.ts';

const FINISH_REASONS: ReadonlyMap<string, string> = new Map([
  ['end_turn', 'stop'],
  ['stop_sequence', 'stop'],
  ['pause_turn', 'stop'],
  ['max_tokens', 'length'],
  ['model_context_window_exceeded', 'length'],
  ['tool_use', 'tool_calls'],
  ['refusal', 'content_filter'],
]);

function finishReason(stopReason: unknown): string {
  // Anthropic may add stop reasons; a client is best served by the neutral "stop" than by a value it does not know.
  return (typeof stopReason === 'string' ? FINISH_REASONS.get(stopReason) : undefined) ?? 'stop';
}

/** Token counts as Anthropic reports them: the prompt is split into uncached, cache-read and cache-written parts. */
interface TokenCounts {
  input: number;
  cacheRead: number;
  cacheCreation: number;
  output: number;
}

/** Overwrites the counts the usage object reports; Anthropic's counts are cumulative, never increments. */
function readCounts(into: TokenCounts, usage: unknown): boolean {
  if (!isRecord(usage)) return false;
  if (typeof usage.input_tokens === 'number') into.input = usage.input_tokens;
  if (typeof usage.cache_read_input_tokens === 'number') into.cacheRead = usage.cache_read_input_tokens;
  if (typeof usage.cache_creation_input_tokens === 'number') into.cacheCreation = usage.cache_creation_input_tokens;
  if (typeof usage.output_tokens === 'number') into.output = usage.output_tokens;
  return true;
}

function toUsage(c: TokenCounts): Usage {
  // OpenAI's prompt_tokens counts the whole prompt, cached or not; Anthropic's input_tokens only the uncached part.
  const prompt = c.input + c.cacheRead + c.cacheCreation;
  return { prompt_tokens: prompt, completion_tokens: c.output, total_tokens: prompt + c.output, cached_tokens: c.cacheRead };
}

function usageBody(u: Usage): Record<string, unknown> {
  return {
    prompt_tokens: u.prompt_tokens,
    completion_tokens: u.completion_tokens,
    total_tokens: u.total_tokens,
    prompt_tokens_details: { cached_tokens: u.cached_tokens ?? 0 },
  };
}

export function anthropicToOpenAIResponse(raw: Buffer): { body: string; usage: Usage } {
  let msg: unknown;
  try {
    msg = JSON.parse(raw.toString('utf8'));
  } catch {
    // An upstream fault like any other: retried elsewhere and counted against this backend's breaker.
    throw new UpstreamProtocolError('Anthropic returned a body that is not JSON');
  }
  if (!isRecord(msg)) throw new UpstreamProtocolError('Anthropic returned a body that is not a JSON object');

  const texts: string[] = [];
  const toolCalls: Record<string, unknown>[] = [];
  if (Array.isArray(msg.content)) {
    for (const block of msg.content) {
      if (!isRecord(block)) continue;
      if (block.type === 'text' && typeof block.text === 'string') texts.push(block.text);
      else if (block.type === 'tool_use') {
        toolCalls.push({
          id: str(block.id),
          type: 'function',
          function: { name: str(block.name), arguments: JSON.stringify(block.input ?? {}) },
        });
      }
      // thinking, redacted_thinking and server-tool blocks have no Chat Completions equivalent.
    }
  }
  const counts: TokenCounts = { input: 0, cacheRead: 0, cacheCreation: 0, output: 0 };
  readCounts(counts, msg.usage);
  const usage = toUsage(counts);

  // Text blocks split around citations are contiguous prose, so they are joined without a separator. OpenAI sends
  // null content for a pure tool call.
  const message: Record<string, unknown> = {
    role: 'assistant',
    content: texts.length === 0 && toolCalls.length > 0 ? null : texts.join(''),
    refusal: null,
  };
  if (toolCalls.length > 0) message.tool_calls = toolCalls;
  const body = JSON.stringify({
    id: `chatcmpl-${str(msg.id)}`,
    object: 'chat.completion',
    created: nowSeconds(),
    model: str(msg.model),
    choices: [{ index: 0, message, logprobs: null, finish_reason: finishReason(msg.stop_reason) }],
    usage: usageBody(usage),
  });
  return { body, usage };
}

export class AnthropicStreamTranslator implements StreamTranslator {
  readonly #clientWantsUsage: boolean;
  #id = 'chatcmpl-';
  #model = '';
  #created = nowSeconds();
  /** Every chunk's JSON up to its delta, serialized once per stream: a chunk is then one string concatenation. */
  #prefix = '';
  /** Anthropic content block index → OpenAI tool_calls index, for tool_use blocks only. */
  readonly #toolIndexes = new Map<number, number>();
  readonly #counts: TokenCounts = { input: 0, cacheRead: 0, cacheCreation: 0, output: 0 };
  #sawUsage = false;
  #done = false;
  #sawContent = false;
  #upstreamError: string | undefined;

  constructor(options: StreamOptions) {
    this.#clientWantsUsage = options.clientWantsUsage;
    this.#setPrefix();
  }

  get done(): boolean {
    return this.#done;
  }

  get sawContent(): boolean {
    return this.#sawContent;
  }

  get usage(): Usage | undefined {
    return this.#sawUsage ? toUsage(this.#counts) : undefined;
  }

  get upstreamError(): string | undefined {
    return this.#upstreamError;
  }

  push(event: SseEvent): string | undefined {
    // The most frequent events that carry nothing for the client are skipped before their JSON is parsed.
    if (event.event === 'ping' || event.event === 'content_block_stop') return undefined;
    let data: unknown;
    try {
      data = JSON.parse(event.data);
    } catch {
      return this.#error('invalid_event', 'the upstream sent an event whose data is not JSON');
    }
    if (!isRecord(data)) return this.#error('invalid_event', 'the upstream sent an event whose data is not an object');
    switch (event.event ?? data.type) {
      case 'message_start':
        return this.#messageStart(data.message);
      case 'content_block_start':
        return this.#blockStart(data.index, data.content_block);
      case 'content_block_delta':
        return this.#blockDelta(data.index, data.delta);
      case 'message_delta':
        return this.#messageDelta(data);
      case 'message_stop':
        return this.#messageStop();
      case 'error': {
        const err = isRecord(data.error) ? data.error : {};
        return this.#error(str(err.type) || 'error', str(err.message) || 'unknown error');
      }
      default:
        // ping and content_block_stop without an `event:` name, and event types Anthropic documents it may add.
        return undefined;
    }
  }

  #messageStart(message: unknown): string {
    if (isRecord(message)) {
      this.#id = `chatcmpl-${str(message.id)}`;
      this.#model = str(message.model);
      this.#sawUsage = readCounts(this.#counts, message.usage) || this.#sawUsage;
    }
    this.#created = nowSeconds();
    this.#setPrefix();
    return this.#chunk('{"role":"assistant","content":""}');
  }

  #blockStart(index: unknown, block: unknown): string | undefined {
    if (!isRecord(block)) return undefined;
    if (block.type === 'text') return this.#text(block.text);
    if (block.type !== 'tool_use' || typeof index !== 'number') return undefined; // thinking, server tools…
    const toolIndex = this.#toolIndexes.size;
    this.#toolIndexes.set(index, toolIndex);
    this.#sawContent = true;
    // The input arrives as input_json_delta fragments; the block's own `input` is always {} when streaming.
    const call = { index: toolIndex, id: str(block.id), type: 'function', function: { name: str(block.name), arguments: '' } };
    return this.#chunk(`{"tool_calls":[${JSON.stringify(call)}]}`);
  }

  #blockDelta(index: unknown, delta: unknown): string | undefined {
    if (!isRecord(delta)) return undefined;
    if (delta.type === 'text_delta') return this.#text(delta.text);
    if (delta.type !== 'input_json_delta' || typeof index !== 'number') return undefined; // thinking, signature…
    // Server-tool blocks stream their input the same way; only blocks opened as tool_use have an index here.
    const toolIndex = this.#toolIndexes.get(index);
    if (toolIndex === undefined || typeof delta.partial_json !== 'string' || delta.partial_json === '') return undefined;
    this.#sawContent = true;
    return this.#chunk(
      `{"tool_calls":[{"index":${toolIndex},"function":{"arguments":${JSON.stringify(delta.partial_json)}}}]}`,
    );
  }

  #text(text: unknown): string | undefined {
    if (typeof text !== 'string' || text === '') return undefined;
    this.#sawContent = true;
    return this.#chunk(`{"content":${JSON.stringify(text)}}`);
  }

  #messageDelta(data: Readonly<Record<string, unknown>>): string | undefined {
    this.#sawUsage = readCounts(this.#counts, data.usage) || this.#sawUsage;
    const delta = data.delta;
    if (!isRecord(delta) || delta.stop_reason == null) return undefined;
    return this.#chunk('{}', JSON.stringify(finishReason(delta.stop_reason)));
  }

  #messageStop(): string | undefined {
    this.#done = true;
    if (!this.#clientWantsUsage) return undefined;
    // OpenAI's usage chunk: no choices, sent after the finish_reason chunk.
    return sseFrame(
      JSON.stringify({
        id: this.#id,
        object: 'chat.completion.chunk',
        created: this.#created,
        model: this.#model,
        choices: [],
        usage: usageBody(toUsage(this.#counts)),
      }),
    );
  }

  #error(type: string, message: string): string {
    this.#upstreamError = `${type}: ${message}`;
    const error = { message: `Anthropic stream error (${type}): ${message}`, type: ERRORS.upstream_error.type, code: 'upstream_error' };
    return sseFrame(JSON.stringify({ error }));
  }

  #setPrefix(): void {
    this.#prefix =
      `{"id":${JSON.stringify(this.#id)},"object":"chat.completion.chunk","created":${this.#created},` +
      `"model":${JSON.stringify(this.#model)},"choices":[{"index":0,"delta":`;
  }

  /** `delta` and `finish` are JSON texts. */
  #chunk(delta: string, finish = 'null'): string {
    return sseFrame(`${this.#prefix}${delta},"logprobs":null,"finish_reason":${finish}}]}`);
  }
}

function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

function str(value: unknown): string {
  return typeof value === 'string' ? value : '';
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
