// Reads an upstream body whole, with a ceiling so a runaway upstream cannot exhaust the gateway's memory.
import type { Dispatcher } from 'undici';
import { UpstreamProtocolError } from './attempt-failure.ts';

type Body = Dispatcher.ResponseData['body'];

function tooLarge(body: Body, maxBytes: number): never {
  body.destroy();
  throw new UpstreamProtocolError(`response body larger than ${maxBytes} bytes`);
}

export async function readUpstreamBody(body: Body, maxBytes: number, contentLength?: string | string[]): Promise<Buffer> {
  const declared = typeof contentLength === 'string' ? Number(contentLength) : Number.NaN;
  if (declared > maxBytes) tooLarge(body, maxBytes);
  if (Number.isInteger(declared)) {
    // The common case: a known length within the limit. undici's own consumer skips the stream machinery.
    const bytes = await body.bytes();
    return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > maxBytes) tooLarge(body, maxBytes);
    chunks.push(chunk);
  }
  return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size);
}
