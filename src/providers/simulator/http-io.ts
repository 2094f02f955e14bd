// The few HTTP primitives the simulator's handlers share: reading a bounded body, answering JSON, waiting without
// outliving the client, and the two ways of failing a connection on purpose.
import { once } from 'node:events';
import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import { SimulatorHttpError } from './protocol-errors.ts';

/** Big enough for any realistic prompt a load test sends, small enough that a runaway client cannot exhaust memory. */
export const MAX_BODY_BYTES = 32 * 1024 * 1024;

/** The whole request body. Rejects if the client goes away first, or with a 413 past `limit` bytes. */
export function readBody(req: IncomingMessage, limit = MAX_BODY_BYTES): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (tooLarge) return; // keep draining so the 413 can still be written on this connection
      if (size > limit) {
        tooLarge = true;
        chunks.length = 0;
        reject(new SimulatorHttpError(413, `request body larger than ${limit} bytes`));
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
    req.on('close', () => {
      if (!req.complete) reject(new Error('client closed the connection before sending the whole body'));
    });
  });
}

/** The parsed JSON object of a request body; a 400 for anything else, as the real APIs answer. */
export function parseJsonObject(raw: Buffer): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw.toString('utf8'));
  } catch {
    throw new SimulatorHttpError(400, 'We could not parse the JSON body of your request: it is not valid JSON.');
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new SimulatorHttpError(400, 'The request body must be a JSON object.');
  }
  return parsed as Record<string, unknown>;
}

export function sendJson(res: ServerResponse, status: number, body: string, headers: OutgoingHttpHeaders = {}): void {
  if (res.headersSent || res.destroyed) return;
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), ...headers });
  res.end(body);
}

/** Waits `ms`; resolves false at once if `signal` aborts (the client left or the server closes), true otherwise. */
export function delay(ms: number, signal: AbortSignal): Promise<boolean> {
  if (signal.aborted) return Promise.resolve(false);
  if (ms <= 0) return Promise.resolve(true);
  return new Promise((resolve) => {
    const onAbort = (): void => {
      clearTimeout(timer);
      resolve(false);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve(true);
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/** Writes one frame, honouring backpressure; false once the response is gone. */
export async function writeFrame(res: ServerResponse, frame: string, signal: AbortSignal): Promise<boolean> {
  if (signal.aborted || res.destroyed) return false;
  if (res.write(frame)) return true;
  try {
    await once(res, 'drain', { signal });
    return true;
  } catch {
    return false;
  }
}

/**
 * Ends a stream mid-way the way a dying upstream does: what was written is flushed, then the connection closes
 * without the terminating chunk, so the client sees a truncated body rather than a clean end.
 */
export function cutConnection(res: ServerResponse): void {
  const socket = res.socket;
  if (!socket || socket.destroyed) return;
  // end() first flushes whatever is still buffered; destroy() alone would discard it.
  socket.end(() => socket.destroy());
}

/** Drops the connection with a TCP RST before any response: the client sees ECONNRESET. */
export function resetConnection(req: IncomingMessage): void {
  const socket = req.socket;
  if (socket.destroyed) return;
  socket.resetAndDestroy();
}
