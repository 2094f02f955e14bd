// Reads the request body once, with a size limit checked before and while reading, and parses it as a JSON object.
import type { IncomingMessage } from 'node:http';
import { GatewayError } from '../errors.ts';

function tooLarge(limit: number, source: string): GatewayError {
  return new GatewayError('body_too_large', `the request body is larger than the limit of ${limit} bytes (${source})`);
}

function isJsonContentType(value: string | undefined): boolean {
  if (value === undefined) return true; // some clients send none; the body is still parsed as JSON
  const semicolon = value.indexOf(';');
  const type = (semicolon < 0 ? value : value.slice(0, semicolon)).trim().toLowerCase();
  return type === 'application/json' || type.endsWith('+json');
}

function readBody(req: IncomingMessage, limit: number, source: string): Promise<Buffer> {
  const declared = Number(req.headers['content-length']);
  if (declared > limit) return Promise.reject(tooLarge(limit, source));
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size > limit) {
        cleanup();
        reject(tooLarge(limit, source));
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = (): void => {
      cleanup();
      resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size));
    };
    const onError = (err: Error): void => {
      cleanup();
      reject(new GatewayError('invalid_request', `the request body could not be read: ${err.message}`));
    };
    const onAborted = (): void => onError(new Error('the client closed the connection'));
    function cleanup(): void {
      req.off('data', onData).off('end', onEnd).off('error', onError).off('aborted', onAborted);
    }
    req.on('data', onData).on('end', onEnd).on('error', onError).on('aborted', onAborted);
  });
}

/** `source`: where the limit comes from, for the message of a 413. */
export async function parseJsonBody(req: IncomingMessage, limit: number, source = 'server.max_body_bytes'): Promise<Record<string, unknown>> {
  if (!isJsonContentType(req.headers['content-type'])) {
    throw new GatewayError('unsupported_media_type', `send the body as JSON with "Content-Type: application/json" (got "${req.headers['content-type']}")`);
  }
  const raw = await readBody(req, limit, source);
  if (raw.length === 0) throw new GatewayError('invalid_json', 'the request body is empty; send a JSON object');
  let value: unknown;
  try {
    value = JSON.parse(raw.toString('utf8'));
  } catch (err) {
    throw new GatewayError('invalid_json', `the request body is not valid JSON: ${(err as Error).message}`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new GatewayError('invalid_json', 'the request body must be a JSON object');
  }
  return value as Record<string, unknown>;
}
