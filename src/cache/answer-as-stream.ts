// Replays a cached chat.completion as the stream OpenAI would have sent: a chunk with the role, the text in pieces of
// a few words, the tool calls, a chunk with the finish reason, the usage chunk when the client asked for it, then
// `[DONE]`. The frames are made all at once (the answer is already here): the first goes out at once, and a client
// still renders the text as it renders any stream. Each chunk shares its envelope, built once; a chunk costs one
// JSON.stringify of its piece.
//
// A body holding what a stream of ours could not carry faithfully (logprobs, audio, the legacy function_call) gives
// undefined: the caller treats it as a miss.
import { SSE_DONE_FRAME, sseFrame } from '../streaming/sse-event.ts';

export interface ReplayOptions {
  /** The request's `stream_options.include_usage`: end with a usage chunk, and put `usage: null` on the others. */
  readonly includeUsage: boolean;
}

type Json = Readonly<Record<string, unknown>>;

/** Pieces of text are cut at a space between these lengths (a word longer than the span is cut at the maximum). */
const PIECE_MIN = 32;
const PIECE_MAX = 64;

const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value);
const isEmpty = (value: unknown): boolean => value === null || value === undefined || value === '';
const isSpace = (code: number): boolean => code === 32 || code === 10 || code === 9 || code === 13;

/** `text` in pieces of PIECE_MIN–PIECE_MAX characters, each after the first starting at a space when it can. */
export function textPieces(text: string): string[] {
  const pieces: string[] = [];
  let start = 0;
  while (text.length - start > PIECE_MAX) {
    let cut = -1;
    for (let i = start + PIECE_MAX; i > start + PIECE_MIN; i--) {
      if (isSpace(text.charCodeAt(i))) {
        cut = i;
        break;
      }
    }
    if (cut < 0) {
      cut = start + PIECE_MAX;
      // Never between the two halves of a surrogate pair: each piece must be valid text on its own.
      const before = text.charCodeAt(cut - 1);
      if (before >= 0xd800 && before <= 0xdbff) cut--;
    }
    pieces.push(text.slice(start, cut));
    start = cut;
  }
  if (start < text.length) pieces.push(text.slice(start));
  return pieces;
}

interface Replayable {
  readonly index: number;
  readonly role: string;
  readonly content: string | null;
  readonly refusal: string | null;
  readonly toolCalls: readonly { readonly id: string; readonly name: string; readonly arguments: string }[];
  readonly finishReason: string;
}

/** The choice as a stream can carry it, or undefined. */
function replayable(choice: unknown): Replayable | undefined {
  if (!isObject(choice) || !Number.isInteger(choice['index']) || !isEmpty(choice['logprobs'])) return undefined;
  const message = choice['message'];
  const finishReason = choice['finish_reason'];
  if (!isObject(message) || typeof finishReason !== 'string') return undefined;
  let role = 'assistant';
  let content: string | null = null;
  let refusal: string | null = null;
  const toolCalls: Replayable['toolCalls'][number][] = [];
  for (const key in message) {
    const value = message[key];
    if (key === 'role') {
      if (typeof value !== 'string') return undefined;
      role = value;
    } else if (key === 'content' || key === 'refusal') {
      if (typeof value === 'string') {
        if (key === 'content') content = value;
        else refusal = value;
      } else if (value !== null) return undefined; // content parts (audio answers) are not replayed
    } else if (key === 'tool_calls') {
      if (value === null) continue;
      if (!Array.isArray(value)) return undefined;
      for (const call of value) {
        if (!isObject(call) || typeof call['id'] !== 'string' || (call['type'] !== undefined && call['type'] !== 'function')) return undefined;
        const fn = call['function'];
        if (!isObject(fn) || typeof fn['name'] !== 'string' || typeof fn['arguments'] !== 'string') return undefined;
        toolCalls.push({ id: call['id'], name: fn['name'], arguments: fn['arguments'] });
      }
    } else if (key === 'annotations') {
      if (!(value === null || (Array.isArray(value) && value.length === 0))) return undefined;
    } else if (!isEmpty(value)) {
      return undefined;
    }
  }
  return { index: choice['index'] as number, role, content, refusal, toolCalls, finishReason };
}

/** The choices of a parsed chat.completion as a stream can carry them, or undefined when it cannot replay them all. */
function replayableChoices(completion: unknown): Replayable[] | undefined {
  if (!isObject(completion) || !Array.isArray(completion['choices']) || completion['choices'].length === 0) return undefined;
  const choices: Replayable[] = [];
  for (const choice of completion['choices']) {
    const ready = replayable(choice);
    if (ready === undefined) return undefined;
    choices.push(ready);
  }
  return choices;
}

/** Whether a parsed chat.completion can be replayed as a stream (decided when it is stored, without making the frames). */
export function canReplayAsStream(completion: unknown): boolean {
  return replayableChoices(completion) !== undefined;
}

/**
 * The SSE frames (`data: …\n\n`) of `body`, a chat.completion, as an OpenAI stream, the last one `data: [DONE]`;
 * undefined when the body is not one this can replay.
 */
export function answerAsStream(body: Buffer | string, options: ReplayOptions): string[] | undefined {
  let completion: unknown;
  try {
    completion = JSON.parse(typeof body === 'string' ? body : body.toString('utf8'));
  } catch {
    return undefined;
  }
  const choices = replayableChoices(completion);
  if (choices === undefined || !isObject(completion)) return undefined;

  let envelope = `{"id":${JSON.stringify(completion['id'] ?? null)},"object":"chat.completion.chunk","created":${JSON.stringify(completion['created'] ?? null)},"model":${JSON.stringify(completion['model'] ?? null)}`;
  if (completion['service_tier'] !== undefined) envelope += `,"service_tier":${JSON.stringify(completion['service_tier'])}`;
  if (completion['system_fingerprint'] !== undefined) envelope += `,"system_fingerprint":${JSON.stringify(completion['system_fingerprint'])}`;
  const usageNull = options.includeUsage ? ',"usage":null' : '';

  const frames: string[] = [];
  for (const choice of choices) {
    const head = `${envelope},"choices":[{"index":${choice.index},"delta":`;
    const frame = (delta: string, finish = 'null'): number => frames.push(sseFrame(`${head}${delta},"logprobs":null,"finish_reason":${finish}}]${usageNull}}`));
    // As OpenAI opens: the role, with content "" for a text answer and null for a tool-call one.
    frame(`{"role":${JSON.stringify(choice.role)},"content":${choice.content === null ? 'null' : '""'},"refusal":${choice.refusal === null ? 'null' : '""'}}`);
    if (choice.content !== null) for (const piece of textPieces(choice.content)) frame(`{"content":${JSON.stringify(piece)}}`);
    if (choice.refusal !== null) for (const piece of textPieces(choice.refusal)) frame(`{"refusal":${JSON.stringify(piece)}}`);
    choice.toolCalls.forEach((call, i) => {
      frame(`{"tool_calls":[{"index":${i},"id":${JSON.stringify(call.id)},"type":"function","function":{"name":${JSON.stringify(call.name)},"arguments":""}}]}`);
      for (const piece of textPieces(call.arguments)) frame(`{"tool_calls":[{"index":${i},"function":{"arguments":${JSON.stringify(piece)}}}]}`);
    });
    frame('{}', JSON.stringify(choice.finishReason));
  }
  if (options.includeUsage) frames.push(sseFrame(`${envelope},"choices":[],"usage":${JSON.stringify(completion['usage'] ?? null)}}`));
  frames.push(SSE_DONE_FRAME);
  return frames;
}
