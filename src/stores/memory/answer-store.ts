// The exact cache in the process: an LRU bounded by the bytes of its answers and keys.
import type { CachedAnswer } from '../../cache/cached-answer.ts';
import { LruCache } from '../../cache/lru-cache.ts';
import type { AnswerStore } from '../answer-store.ts';

export class InProcessAnswerStore implements AnswerStore {
  readonly kind = 'in-process';
  readonly #lru: LruCache<CachedAnswer>;

  constructor(maxBytes: number, now?: () => number) {
    this.#lru = new LruCache(maxBytes, now);
  }

  async get(key: string): Promise<CachedAnswer | undefined> {
    return this.#lru.get(key);
  }

  async set(key: string, answer: CachedAnswer, ttlMs: number): Promise<void> {
    this.#lru.set(key, answer, ttlMs);
  }

  async close(): Promise<void> {
    this.#lru.clear();
  }
}
