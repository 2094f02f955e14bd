// An answer as the caches keep it: the whole non-streamed chat.completion body, ready to send as it is (a streamed
// request gets it replayed as a stream by answer-as-stream.ts), and what producing it cost, so a hit can be metered
// as a saving.
import type { Usage } from '../providers/adapter.ts';

export interface CachedAnswer {
  /** The OpenAI `chat.completion` JSON body, as sent to the client that caused it. */
  readonly body: Buffer;
  /** The usage of the request that produced it (what a hit saves). */
  readonly usage: Usage;
  /** What producing it cost, in USD. */
  readonly costUsd: number;
  /** The upstream model that produced it. */
  readonly model: string;
  /** The backend that produced it. */
  readonly backend: string;
  /** Epoch ms when it was produced. */
  readonly createdAt: number;
  /** Whether a streamed request can have it replayed as a stream (answer-as-stream.ts), decided once, when stored. */
  readonly streamable: boolean;
  /** Memory the entry holds, for the byte bound of the cache. */
  readonly byteSize: number;
}

/** The fields besides the body: the usage, the strings and the object itself, estimated. */
const FIXED_BYTES = 256;

/**
 * A Buffer that owns its memory. A small Buffer is often a slice of Node's shared 8 KiB pool (Buffer.from of a short
 * string, Buffer.concat) or of a larger read buffer: kept for an hour in a cache, it would pin the whole slab, and the
 * byte bound would count a fraction of what is held. The copy is made once, when an answer is stored.
 */
function owned(body: Buffer): Buffer {
  if (body.byteOffset === 0 && body.buffer.byteLength === body.byteLength) return body;
  const copy = Buffer.allocUnsafeSlow(body.byteLength);
  body.copy(copy);
  return copy;
}

export function cachedAnswer(fields: Omit<CachedAnswer, 'byteSize'>): CachedAnswer {
  const body = owned(fields.body);
  return { ...fields, body, byteSize: body.byteLength + FIXED_BYTES + (fields.model.length + fields.backend.length) * 2 };
}
