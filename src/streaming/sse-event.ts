// One Server-Sent Event as the gateway sees it: the fields a translator needs, plus the frame as it arrived so a
// pass-through translator can forward it without re-encoding.
export interface SseEvent {
  /** The `event:` field, when the upstream names its events (Anthropic does, OpenAI does not). */
  readonly event: string | undefined;
  /** The `data:` lines joined with "\n". */
  readonly data: string;
  /** The whole frame as received, ending in a blank line. */
  readonly raw: string;
}

/** Frames an OpenAI-style SSE data payload. */
export function sseFrame(data: string): string {
  return `data: ${data}\n\n`;
}

export const SSE_DONE_FRAME = 'data: [DONE]\n\n';
