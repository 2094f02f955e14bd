// Incremental Server-Sent Events parser: bytes in as they arrive, whole events out. Only complete events are
// returned, so a frame split across TCP packets is held just until its end arrives, never longer.
import { StringDecoder } from 'node:string_decoder';
import type { SseEvent } from './sse-event.ts';

export class SseParser {
  readonly #decoder = new StringDecoder('utf8');
  #pending = '';

  /** Feeds a chunk; returns the events it completed (often none or one). */
  push(chunk: Buffer): SseEvent[] {
    let text = this.#pending + this.#decoder.write(chunk);
    if (text.includes('\r')) {
      // A CR at the very end may be the first half of a CRLF cut between two chunks. Turned into "\n" now, the LF
      // that follows would make a second line break: a blank line that splits one event in two. It waits for the
      // next chunk instead (pending text is otherwise already normalised, so it is the only CR kept).
      const tail = text.endsWith('\r') ? '\r' : '';
      text = text.slice(0, text.length - tail.length).replace(/\r\n?/g, '\n') + tail;
    }
    const events: SseEvent[] = [];
    let start = 0;
    for (;;) {
      // The usual frame is one line, `data: …` then a blank line: its first line break is its end, found in one scan.
      const lineEnd = text.indexOf('\n', start);
      if (lineEnd < 0) break;
      let end = lineEnd;
      if (text.charCodeAt(lineEnd + 1) !== 10 /* \n */) {
        end = text.indexOf('\n\n', lineEnd + 1);
        if (end < 0) break;
      }
      const raw = text.slice(start, end + 2);
      const event = end === lineEnd && text.startsWith('data: ', start) ? { event: undefined, data: text.slice(start + 6, end), raw } : parseFrame(raw);
      start = end + 2;
      if (event) events.push(event);
    }
    this.#pending = start === 0 ? text : text.slice(start);
    return events;
  }

  /** Bytes received that do not yet form a whole event (a stream that ends here was cut). */
  get pendingLength(): number {
    return this.#pending.length;
  }
}

function parseFrame(raw: string): SseEvent | undefined {
  let event: string | undefined;
  let data: string | undefined;
  let lineStart = 0;
  while (lineStart < raw.length) {
    let lineEnd = raw.indexOf('\n', lineStart);
    if (lineEnd < 0) lineEnd = raw.length;
    const line = raw.slice(lineStart, lineEnd);
    lineStart = lineEnd + 1;
    if (line === '' || line.charCodeAt(0) === 58 /* ':' comment */) continue;
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? '' : line.slice(colon + 1);
    if (value.charCodeAt(0) === 32) value = value.slice(1);
    if (field === 'data') data = data === undefined ? value : `${data}\n${value}`;
    else if (field === 'event') event = value;
  }
  // A frame of only comments (keep-alives) carries no event.
  if (data === undefined && event === undefined) return undefined;
  return { event, data: data ?? '', raw };
}
