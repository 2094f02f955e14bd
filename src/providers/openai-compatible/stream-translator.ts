// OpenAI-compatible upstreams already speak the client's protocol, so their events pass through as received. The
// translator only watches them: for the end of the stream, usage, the first token and errors, and it hides the usage
// chunk the gateway asked for on its own account when the client did not ask for it.
import type { StreamOptions, StreamTranslator, Usage } from '../adapter.ts';
import type { SseEvent } from '../../streaming/sse-event.ts';
import { extractUsage } from '../usage.ts';

export class OpenAIPassthroughTranslator implements StreamTranslator {
  readonly #clientWantsUsage: boolean;
  readonly #keepText: boolean;
  text: string | undefined;
  done = false;
  sawContent = false;
  usage: Usage | undefined;
  upstreamError: string | undefined;

  constructor(options: StreamOptions) {
    this.#clientWantsUsage = options.clientWantsUsage;
    this.#keepText = options.keepText === true;
    if (this.#keepText) this.text = '';
  }

  push(event: SseEvent): string | undefined {
    const data = event.data;
    if (data === '[DONE]') {
      this.done = true;
      return undefined;
    }
    if (!this.sawContent && hasContent(data)) this.sawContent = true;
    if (this.#keepText) this.text += deltaText(safeParse(data));
    if (USAGE_OBJECT.test(data)) {
      this.usage = extractUsage(data) ?? this.usage;
      if (!this.#clientWantsUsage && NO_CHOICES.test(data)) return undefined;
    } else if (ERROR_EVENT.test(data)) {
      const parsed = safeParse(data);
      const error = parsed?.error as { message?: unknown } | undefined;
      this.upstreamError = typeof error?.message === 'string' ? error.message : 'upstream sent an error event';
    }
    return event.raw;
  }
}

function deltaText(chunk: Record<string, unknown> | undefined): string {
  const choices = chunk?.choices;
  if (!Array.isArray(choices)) return '';
  let text = '';
  for (const choice of choices) {
    const content = (choice as { delta?: { content?: unknown } }).delta?.content;
    if (typeof content === 'string') text += content;
  }
  return text;
}

function safeParse(data: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(data);
    return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

// Cheap textual checks. They allow whitespace around the colon: the JSON is the upstream's own, and some
// OpenAI-compatible servers (Python's json.dumps, e.g. llama-cpp-python) write `"usage": {`; exact-text checks
// missed those, so such streams were never metered, had no time to first token, and leaked the usage chunk.
// `"usage":null`, on every chunk of a stream that asked for usage, must not match.
const USAGE_OBJECT = /"usage"\s*:\s*\{/;
const ERROR_EVENT = /^\{\s*"error"\s*:/;
/** The usage-only chunk: its choices are an empty array. (A key in a string literal would have escaped quotes.) */
const NO_CHOICES = /"choices"\s*:\s*\[\s*\]/;
// Run on every chunk until the first token: a non-empty content or refusal string, or a tool call.
const CONTENT = /"(?:content|refusal)"\s*:\s*"[^"]|"tool_calls"\s*:\s*\[/;

function hasContent(data: string): boolean {
  return CONTENT.test(data);
}
