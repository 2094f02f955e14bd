// The gateway's two answer caches, made once per process. The exact cache lives in Redis when the config has
// `state` (every replica answers what any of them stored), else in the process; the semantic index is always the
// process's own. A reload changes what is cached, TTLs and thresholds, not where or how much: that takes a restart.
import type { CacheConfig, StateConfig } from '../config/cost-schema.ts';
import type { AnswerStore } from '../stores/answer-store.ts';
import { InProcessAnswerStore } from '../stores/memory/answer-store.ts';
import { RedisAnswerStore } from '../stores/redis/answer-store.ts';
import type { CachedAnswer } from './cached-answer.ts';
import { SemanticIndex } from './semantic-index.ts';

export class ResponseCaches {
  readonly exact: AnswerStore;
  readonly semantic: SemanticIndex<CachedAnswer>;

  constructor(config: CacheConfig, state: StateConfig | undefined) {
    this.exact =
      config.exact.enabled && state !== undefined
        ? new RedisAnswerStore({ url: state.url, prefix: state.prefix, timeoutMs: state.timeout_ms })
        : new InProcessAnswerStore(config.exact.max_bytes);
    this.semantic = new SemanticIndex(config.semantic.max_entries);
  }

  close(): Promise<void> {
    return this.exact.close();
  }
}
