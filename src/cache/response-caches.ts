// The gateway's two answer caches, made once per process. The exact cache lives in Redis when the config has
// `state` (every replica answers what any of them stored), else in the process; the semantic index is always the
// process's own. A reload changes what is cached, TTLs and thresholds, not where or how much: that takes a restart.
// The Redis client is loaded only when the config has `state`: a gateway without it does not carry its memory.
import type { CacheConfig, StateConfig } from '../config/cost-schema.ts';
import type { AnswerStore } from '../stores/answer-store.ts';
import type { Logger } from '../observability/logger.ts';
import { redisOutageLogger } from '../stores/redis/outage-log.ts';
import { InProcessAnswerStore } from '../stores/memory/answer-store.ts';
import type { CachedAnswer } from './cached-answer.ts';
import { SemanticIndex } from './semantic-index.ts';

export class ResponseCaches {
  readonly exact: AnswerStore;
  readonly semantic: SemanticIndex<CachedAnswer>;

  private constructor(exact: AnswerStore, semanticEntries: number) {
    this.exact = exact;
    this.semantic = new SemanticIndex(semanticEntries);
  }

  static async create(config: CacheConfig, state: StateConfig | undefined, log: Logger): Promise<ResponseCaches> {
    let exact: AnswerStore;
    if (config.exact.enabled && state !== undefined) {
      const { RedisAnswerStore } = await import('../stores/redis/answer-store.ts');
      const onError = redisOutageLogger(log, state.url, 'the exact cache answers nothing until it does');
      exact = new RedisAnswerStore({ url: state.url, prefix: state.prefix, timeoutMs: state.timeout_ms, onError });
    } else {
      exact = new InProcessAnswerStore(config.exact.max_bytes);
    }
    return new ResponseCaches(exact, config.semantic.max_entries);
  }

  close(): Promise<void> {
    return this.exact.close();
  }
}
