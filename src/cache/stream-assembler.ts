// Rebuilds the non-streamed chat.completion from the chunks of an OpenAI stream, so a streamed answer can be cached
// (and later served as JSON, or replayed as a stream). Fed each chunk as it is forwarded; finish() says whether the
// whole answer was representable.
//
// What the model said lives in the deltas: role, content, refusal and tool calls are rebuilt; anything else there
// (audio, the legacy function_call, reasoning text some servers add), logprobs, a moderation result or an error
// makes the answer not cacheable rather than cached wrong. Metadata around the deltas that a completion has no
// place for (Azure's content filter results, a server's extra fields) is left out.
import type { Usage } from '../providers/adapter.ts';
import { usageFromOpenAI } from '../providers/usage.ts';

export type AssembledAnswer =
  | {
      readonly ok: true;
      /** The chat.completion JSON body. */
      readonly body: Buffer;
      /** The same, as the object it was written from (so that storing it needs no parse). */
      readonly completion: Json;
      readonly usage: Usage;
    }
  | { readonly ok: false; readonly reason: string };

export interface StreamAssemblerOptions {
  /** Give up (not cacheable) once the text of the answer passes this many characters: it would not be kept. */
  readonly maxChars?: number;
}

interface ToolCallState {
  id: string | undefined;
  name: string;
  arguments: string;
}

interface ChoiceState {
  role: string | undefined;
  /** Null until a content delta (even "") arrives: a tool-call answer has content null, an empty answer "". */
  content: string | null;
  refusal: string | null;
  readonly toolCalls: ToolCallState[];
  finishReason: string | undefined;
}

type Json = Readonly<Record<string, unknown>>;

/** OpenAI allows n ≤ 128; tool calls per answer are fewer in practice. Bounds what a malformed index can allocate. */
const MAX_INDEX = 128;

const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value);
const isIndex = (value: unknown): value is number => Number.isInteger(value) && (value as number) >= 0 && (value as number) < MAX_INDEX;
/** Null and "" say nothing: servers send `"reasoning_content": ""` or `"audio": null` alongside plain text. */
const isEmpty = (value: unknown): boolean => value === null || value === undefined || value === '';

export class StreamAssembler {
  readonly #maxChars: number;
  #failure: string | undefined;
  #chars = 0;
  #id: string | undefined;
  #created: number | undefined;
  #model: string | undefined;
  #systemFingerprint: unknown;
  #serviceTier: unknown;
  #usage: Json | undefined;
  readonly #choices: (ChoiceState | undefined)[] = [];

  constructor(options: StreamAssemblerOptions = {}) {
    this.#maxChars = options.maxChars ?? Infinity;
  }

  /** False once something was seen that the cache cannot store; later chunks are then ignored. */
  get cacheable(): boolean {
    return this.#failure === undefined;
  }

  /** SSE frames as the gateway writes them (`data: …\n\n`, several concatenated). */
  pushFrames(frames: string): void {
    let at = 0;
    while (at < frames.length && this.#failure === undefined) {
      const end = frames.indexOf('\n\n', at);
      if (end < 0) return this.#fail('a frame does not end with a blank line');
      if (frames.startsWith('data: ', at)) this.push(frames.slice(at + 6, end));
      else if (frames.charCodeAt(at) !== 58 /* ':' comment */) this.#fail('a frame is not a data frame');
      at = end + 2;
    }
  }

  /** One event's data: a chat.completion.chunk as JSON text (`[DONE]` is ignored). */
  push(data: string): void {
    if (this.#failure !== undefined || data === '[DONE]') return;
    let chunk: unknown;
    try {
      chunk = JSON.parse(data);
    } catch {
      return this.#fail('a chunk is not JSON');
    }
    if (!isObject(chunk)) return this.#fail('a chunk is not a JSON object');
    if (!isEmpty(chunk['error'])) return this.#fail('the stream carried an error');
    if (!isEmpty(chunk['moderation'])) return this.#fail('a moderation result is not cached');
    const type = chunk['object'];
    if (!isEmpty(type) && type !== 'chat.completion.chunk') return this.#fail(`a chunk of type ${String(type)}`);
    // Azure opens with a chunk of prompt filter results whose id, model and object are "" and created 0.
    if (this.#id === undefined && typeof chunk['id'] === 'string' && chunk['id'] !== '') this.#id = chunk['id'];
    if (this.#created === undefined && typeof chunk['created'] === 'number' && chunk['created'] > 0) this.#created = chunk['created'];
    if (this.#model === undefined && typeof chunk['model'] === 'string' && chunk['model'] !== '') this.#model = chunk['model'];
    if (this.#systemFingerprint === undefined && chunk['system_fingerprint'] !== undefined) this.#systemFingerprint = chunk['system_fingerprint'];
    if (this.#serviceTier === undefined && chunk['service_tier'] !== undefined) this.#serviceTier = chunk['service_tier'];
    if (isObject(chunk['usage'])) this.#usage = chunk['usage'];
    const choices = chunk['choices'];
    if (choices === undefined || choices === null) return;
    if (!Array.isArray(choices)) return this.#fail('choices is not an array');
    for (const choice of choices) {
      this.#pushChoice(choice);
      if (this.#failure !== undefined) return;
    }
  }

  #pushChoice(choice: unknown): void {
    if (!isObject(choice) || !isIndex(choice['index'])) return this.#fail('a choice without a valid index');
    if (!isEmpty(choice['logprobs'])) return this.#fail('logprobs are not cached');
    let state = this.#choices[choice['index']];
    if (state === undefined) {
      state = { role: undefined, content: null, refusal: null, toolCalls: [], finishReason: undefined };
      this.#choices[choice['index']] = state;
    }
    const delta = choice['delta'];
    if (isObject(delta)) {
      for (const key in delta) {
        const value = delta[key];
        if (key === 'role') {
          if (typeof value === 'string') state.role = value;
        } else if (key === 'content' || key === 'refusal') {
          if (typeof value === 'string') {
            state[key] = (state[key] ?? '') + value;
            this.#count(value.length);
          } else if (value !== null) return this.#fail(`${key} is not a string`);
        } else if (key === 'tool_calls') {
          if (Array.isArray(value)) for (const call of value) this.#pushToolCall(state, call);
          else if (value !== null) return this.#fail('tool_calls is not an array');
        } else if (!isEmpty(value)) {
          return this.#fail(`the delta field ${key} is not cached`);
        }
        if (this.#failure !== undefined) return;
      }
    } else if (delta !== undefined && delta !== null) {
      return this.#fail('a delta is not an object');
    }
    const finish = choice['finish_reason'];
    if (typeof finish === 'string') state.finishReason = finish;
  }

  #pushToolCall(state: ChoiceState, call: unknown): void {
    if (!isObject(call) || !isIndex(call['index'])) return this.#fail('a tool call without a valid index');
    let tool = state.toolCalls[call['index']];
    if (tool === undefined) {
      tool = { id: undefined, name: '', arguments: '' };
      state.toolCalls[call['index']] = tool;
    }
    for (const key in call) {
      const value = call[key];
      if (key === 'index') continue;
      if (key === 'id') {
        if (typeof value !== 'string' || value === '') continue;
        // Some servers repeat the id on every delta; a different one would be a second call under the same index.
        if (tool.id !== undefined && tool.id !== value) return this.#fail('a tool call changed its id');
        tool.id = value;
      } else if (key === 'type') {
        if (value !== 'function' && value !== null) return this.#fail(`a tool call of type ${String(value)}`);
      } else if (key === 'function') {
        if (value === null) continue;
        if (!isObject(value)) return this.#fail('a tool call function is not an object');
        const { name, arguments: args } = value;
        if (typeof name === 'string') tool.name += name;
        if (typeof args === 'string') tool.arguments += args;
        this.#count((typeof name === 'string' ? name.length : 0) + (typeof args === 'string' ? args.length : 0));
      } else if (!isEmpty(value)) {
        return this.#fail(`the tool call field ${key} is not cached`);
      }
    }
  }

  #count(chars: number): void {
    this.#chars += chars;
    if (this.#chars > this.#maxChars) this.#fail('the answer is larger than the cache keeps');
  }

  #fail(reason: string): void {
    this.#failure ??= reason;
    // What was gathered can no longer be stored: let it go.
    this.#choices.length = 0;
  }

  /**
   * The chat.completion, once the stream has ended. `fallbackUsage` is used when the chunks carried none (the
   * client did not ask for include_usage, so the usage chunk was not forwarded; the gateway still knows it).
   */
  finish(fallbackUsage?: Usage): AssembledAnswer {
    if (this.#failure !== undefined) return { ok: false, reason: this.#failure };
    if (this.#id === undefined || this.#created === undefined || this.#model === undefined) {
      return { ok: false, reason: 'the stream lacks an id, created or model' };
    }
    const choices: Json[] = [];
    for (let index = 0; index < this.#choices.length; index++) {
      const state = this.#choices[index];
      if (state === undefined) continue;
      if (state.finishReason === undefined) return { ok: false, reason: `choice ${index} did not finish` };
      const message: Record<string, unknown> = { role: state.role ?? 'assistant', content: state.content, refusal: state.refusal };
      if (state.toolCalls.length > 0) {
        const toolCalls: Json[] = [];
        for (const tool of state.toolCalls) {
          if (tool === undefined) continue;
          if (tool.id === undefined) return { ok: false, reason: 'a tool call without an id' };
          toolCalls.push({ id: tool.id, type: 'function', function: { name: tool.name, arguments: tool.arguments } });
        }
        message['tool_calls'] = toolCalls;
      }
      choices.push({ index, message, logprobs: null, finish_reason: state.finishReason });
    }
    if (choices.length === 0) return { ok: false, reason: 'the stream had no choices' };
    const rawUsage = this.#usage ?? (fallbackUsage === undefined ? undefined : openAIUsage(fallbackUsage));
    const usage = usageFromOpenAI(rawUsage);
    if (rawUsage === undefined || usage === undefined) return { ok: false, reason: 'the stream reported no usage' };
    const completion: Record<string, unknown> = { id: this.#id, object: 'chat.completion', created: this.#created, model: this.#model, choices, usage: rawUsage };
    if (this.#systemFingerprint !== undefined) completion['system_fingerprint'] = this.#systemFingerprint;
    if (this.#serviceTier !== undefined) completion['service_tier'] = this.#serviceTier;
    return { ok: true, body: Buffer.from(JSON.stringify(completion)), completion, usage };
  }
}

/** The gateway's usage back in OpenAI's shape. */
function openAIUsage(usage: Usage): Json {
  const out: Record<string, unknown> = { prompt_tokens: usage.prompt_tokens, completion_tokens: usage.completion_tokens, total_tokens: usage.total_tokens };
  if (usage.cached_tokens !== undefined) out['prompt_tokens_details'] = { cached_tokens: usage.cached_tokens };
  if (usage.reasoning_tokens !== undefined) out['completion_tokens_details'] = { reasoning_tokens: usage.reasoning_tokens };
  return out;
}
