// Where the exact cache keeps answers: in the process (an LRU bounded by bytes), or in Redis when the config has
// `state`, so every replica answers what any of them stored. A store that cannot answer (Redis away) is a miss, and
// a store that cannot keep an answer drops it: the cache never fails a request.
//
// Every implementation passes test/conformance/answer-store.ts.
import type { CachedAnswer } from '../cache/cached-answer.ts';

export interface AnswerStore {
  /** The answer stored under `key` and not expired, else undefined (also when the store does not answer). */
  get(key: string): Promise<CachedAnswer | undefined>;
  /** Keeps `answer` for `ttlMs`; a failure is not reported (the next request misses, that is all). */
  set(key: string, answer: CachedAnswer, ttlMs: number): Promise<void>;
  /** "in-process" or "redis". */
  readonly kind: string;
  close(): Promise<void>;
}
