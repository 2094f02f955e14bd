import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { SseParser } from '../../src/streaming/sse-parser.ts';
import type { SseEvent } from '../../src/streaming/sse-event.ts';

function parseChunks(chunks: readonly Buffer[]): { events: SseEvent[]; pending: number } {
  const parser = new SseParser();
  const events = chunks.flatMap((c) => parser.push(c));
  return { events, pending: parser.pendingLength };
}

const parseAll = (text: string): SseEvent[] => parseChunks([Buffer.from(text)]).events;

/** Every way of cutting `bytes` in two, plus byte by byte: each must give `expected`. */
function assertSplitInvariant(bytes: Buffer, expected: readonly SseEvent[]): void {
  for (let cut = 0; cut <= bytes.length; cut++) {
    const { events, pending } = parseChunks([bytes.subarray(0, cut), bytes.subarray(cut)]);
    assert.deepEqual(events, expected, `cut at byte ${cut}`);
    assert.equal(pending, 0, `pending after cut at byte ${cut}`);
  }
  const bytewise = parseChunks([...bytes].map((b) => Buffer.from([b])));
  assert.deepEqual(bytewise.events, expected, 'byte by byte');
}

const ev = (data: string, raw: string, event?: string): SseEvent => ({ event, data, raw });

describe('SseParser', () => {
  it('parses whole events and keeps the frame as raw', () => {
    const events = parseAll('data: {"a":1}\n\ndata: [DONE]\n\n');
    assert.deepEqual(events, [ev('{"a":1}', 'data: {"a":1}\n\n'), ev('[DONE]', 'data: [DONE]\n\n')]);
  });

  it('returns nothing until the blank line that ends an event arrives', () => {
    const parser = new SseParser();
    assert.deepEqual(parser.push(Buffer.from('data: one\n')), []);
    assert.deepEqual(parser.push(Buffer.from('\n')), [ev('one', 'data: one\n\n')]);
  });

  it('gives the same events however the stream is cut (LF)', () => {
    const text = ': hello\n\nevent: message_start\ndata: {"x":"é"}\n\ndata: a\ndata: b\n\ndata: [DONE]\n\n';
    const expected = [ev('{"x":"é"}', 'event: message_start\ndata: {"x":"é"}\n\n', 'message_start'), ev('a\nb', 'data: a\ndata: b\n\n'), ev('[DONE]', 'data: [DONE]\n\n')];
    assert.deepEqual(parseAll(text), expected);
    assertSplitInvariant(Buffer.from(text), expected);
  });

  it('decodes multi-byte UTF-8 split across chunks', () => {
    const text = 'data: {"t":"héllo 世界 🎉"}\n\n';
    const bytes = Buffer.from(text);
    assert.ok(bytes.length > text.length, 'the sample has multi-byte characters');
    const expected = [ev('{"t":"héllo 世界 🎉"}', text)];
    assertSplitInvariant(bytes, expected);
    // The emoji's four bytes arrive one by one, in separate pushes.
    const at = bytes.indexOf(Buffer.from('🎉'));
    const parser = new SseParser();
    const out = [
      ...parser.push(bytes.subarray(0, at + 1)),
      ...parser.push(bytes.subarray(at + 1, at + 2)),
      ...parser.push(bytes.subarray(at + 2, at + 3)),
      ...parser.push(bytes.subarray(at + 3)),
    ];
    assert.deepEqual(out, expected);
  });

  it('accepts CRLF line endings, also with a CRLF cut between CR and LF', () => {
    const text = 'event: ping\r\ndata: 1\r\n\r\ndata: a\r\ndata: b\r\n\r\n: keep-alive\r\n\r\ndata: [DONE]\r\n\r\n';
    const expected = [ev('1', 'event: ping\ndata: 1\n\n', 'ping'), ev('a\nb', 'data: a\ndata: b\n\n'), ev('[DONE]', 'data: [DONE]\n\n')];
    assert.deepEqual(parseAll(text), expected);
    assertSplitInvariant(Buffer.from(text), expected);
  });

  it('accepts bare CR line endings', () => {
    assert.deepEqual(parseAll('data: a\rdata: b\r\rdata: c\r\r\n'), [ev('a\nb', 'data: a\ndata: b\n\n'), ev('c', 'data: c\n\n')]);
  });

  it('drops comments and keep-alive frames', () => {
    assert.deepEqual(parseAll(': keep-alive\n\n:\n\n: one\n: two\n\n'), []);
    assert.deepEqual(parseAll(': note\ndata: x\n: more\n\n'), [ev('x', ': note\ndata: x\n: more\n\n')]);
  });

  it('joins multi-line data with \\n', () => {
    assert.deepEqual(parseAll('data: line 1\ndata: line 2\ndata:\ndata: line 4\n\n')[0]?.data, 'line 1\nline 2\n\nline 4');
  });

  it('reads event names', () => {
    const events = parseAll('event: content_block_delta\ndata: {}\n\nevent: message_stop\ndata: {"type":"message_stop"}\n\n');
    assert.deepEqual(
      events.map((e) => [e.event, e.data]),
      [
        ['content_block_delta', '{}'],
        ['message_stop', '{"type":"message_stop"}'],
      ],
    );
  });

  it('strips exactly one space after the colon', () => {
    assert.deepEqual(
      parseAll('data:x\n\ndata:  two spaces\n\ndata\n\n').map((e) => e.data),
      ['x', ' two spaces', ''],
    );
  });

  it('ignores unknown fields, id and retry', () => {
    assert.deepEqual(parseAll('id: 7\nretry: 100\nfoo: bar\ndata: y\n\n').map((e) => [e.event, e.data]), [[undefined, 'y']]);
  });

  it('reports what is pending when the stream is cut mid-event', () => {
    const parser = new SseParser();
    parser.push(Buffer.from('data: whole\n\ndata: partial'));
    assert.equal(parser.pendingLength, 'data: partial'.length);
    parser.push(Buffer.from(' more\n'));
    assert.equal(parser.pendingLength, 'data: partial more\n'.length);
    assert.deepEqual(parser.push(Buffer.from('\n')), [ev('partial more', 'data: partial more\n\n')]);
    assert.equal(parser.pendingLength, 0);
  });

  it('has nothing pending after complete events', () => {
    const parser = new SseParser();
    assert.equal(parser.pendingLength, 0);
    parser.push(Buffer.from('data: a\n\ndata: b\n\n'));
    assert.equal(parser.pendingLength, 0);
  });

  it('handles many events in one chunk and an empty chunk', () => {
    const text = Array.from({ length: 100 }, (_, i) => `data: ${i}\n\n`).join('');
    const parser = new SseParser();
    assert.deepEqual(parser.push(Buffer.alloc(0)), []);
    const events = parser.push(Buffer.from(text));
    assert.deepEqual(events.map((e) => e.data), Array.from({ length: 100 }, (_, i) => String(i)));
  });
});
