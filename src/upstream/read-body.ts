// Reads an upstream body whole, with a ceiling so a runaway upstream cannot exhaust the gateway's memory.
import type { Dispatcher } from 'undici';
import { UpstreamProtocolError } from './attempt-failure.ts';

export async function readUpstreamBody(body: Dispatcher.ResponseData['body'], maxBytes: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > maxBytes) {
      body.destroy();
      throw new UpstreamProtocolError(`response body larger than ${maxBytes} bytes`);
    }
    chunks.push(chunk);
  }
  return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size);
}
