// The gateway's two answer caches, made once per process from the config's `cache` sizes (a reload changes what is
// cached, TTLs and thresholds, not how much memory the caches may hold: that takes a restart).
import type { CacheConfig } from '../config/cost-schema.ts';
import type { CachedAnswer } from './cached-answer.ts';
import { LruCache } from './lru-cache.ts';
import { SemanticIndex } from './semantic-index.ts';

export class ResponseCaches {
  readonly exact: LruCache<CachedAnswer>;
  readonly semantic: SemanticIndex<CachedAnswer>;

  constructor(config: CacheConfig) {
    this.exact = new LruCache(config.exact.max_bytes);
    this.semantic = new SemanticIndex(config.semantic.max_entries);
  }
}
