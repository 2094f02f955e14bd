// The exact cache in Redis, shared by every replica. A key is the SHA-256 of the cache's key (which holds the whole
// request: Redis keys should stay short); the value is one binary string, the answer's metadata as JSON after its
// length, then the body as it was sent, and Redis expires it (PX). Redis eviction policies (allkeys-lru) bound its
// memory; the gateway's own `max_bytes` applies to the in-process store only.
import { hash } from 'node:crypto';
import type { Redis } from 'ioredis';
import { cachedAnswer, type CachedAnswer } from '../../cache/cached-answer.ts';
import type { AnswerStore } from '../answer-store.ts';
import { closeRedis, connectRedis, DEFAULT_COMMAND_TIMEOUT_MS, waitUntilUsable } from './connection.ts';
import { StallBreaker } from './stall-breaker.ts';

export interface RedisAnswerStoreOptions {
  readonly url: string;
  readonly prefix: string;
  /** A command without an answer after this long is a miss (default 250 ms). */
  readonly timeoutMs?: number;
  /** The first connection error of each time Redis is away. */
  readonly onError?: (error: Error) => void;
}

type Meta = Omit<CachedAnswer, 'body' | 'byteSize'>;

function encode(answer: CachedAnswer): Buffer {
  const meta: Meta = { usage: answer.usage, costUsd: answer.costUsd, model: answer.model, backend: answer.backend, createdAt: answer.createdAt, streamable: answer.streamable };
  const head = Buffer.from(JSON.stringify(meta));
  const length = Buffer.allocUnsafe(4);
  length.writeUInt32BE(head.length);
  return Buffer.concat([length, head, answer.body]);
}

function decode(value: Buffer): CachedAnswer | undefined {
  if (value.length < 4) return undefined;
  const end = 4 + value.readUInt32BE(0);
  if (end > value.length) return undefined;
  try {
    const meta = JSON.parse(value.toString('utf8', 4, end)) as Meta;
    return cachedAnswer({ ...meta, body: value.subarray(end) });
  } catch {
    return undefined;
  }
}

export class RedisAnswerStore implements AnswerStore {
  readonly kind = 'redis';
  readonly #client: Redis;
  readonly #prefix: string;
  readonly #stall: StallBreaker;

  constructor(options: RedisAnswerStoreOptions) {
    this.#prefix = `${options.prefix}a:`;
    this.#client = connectRedis({ ...options, name: 'archway-cache' });
    this.#stall = new StallBreaker(2 * (options.timeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS), 'Redis does not answer');
  }

  /** Resolves true once connected, or false after `timeoutMs` (until then every lookup is a miss). */
  ready(timeoutMs: number): Promise<boolean> {
    return waitUntilUsable(this.#client, timeoutMs);
  }

  #key(key: string): string {
    return this.#prefix + hash('sha256', key, 'base64url');
  }

  async get(key: string): Promise<CachedAnswer | undefined> {
    try {
      const value = await this.#stall.run(() => this.#client.getBuffer(this.#key(key)));
      return value === null ? undefined : decode(value);
    } catch {
      return undefined;
    }
  }

  async set(key: string, answer: CachedAnswer, ttlMs: number): Promise<void> {
    if (!(ttlMs > 0)) return;
    try {
      await this.#stall.run(() => this.#client.set(this.#key(key), encode(answer), 'PX', Math.ceil(ttlMs)));
    } catch {
      // Not kept: the next request misses.
    }
  }

  async close(): Promise<void> {
    await closeRedis(this.#client);
  }
}
