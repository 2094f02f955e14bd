// Where budgets, rate limits and cool-downs are kept, from the config's `state`: in this process (budgets resume
// after a restart from the daily usage roll-up), or in Redis, shared by every replica. The Redis client is loaded only
// for a config with `state`.
import type { Config } from '../config/schema.ts';
import type { Logger } from '../observability/logger.ts';
import type { GatewayMetrics } from '../observability/metrics.ts';
import type { CoolDownBus, QuotaStore } from '../stores/quota-store.ts';
import type { UsageStore } from '../stores/usage-store.ts';
import { InProcessQuotaStore } from '../stores/memory/quota-store.ts';
import { LocalCoolDownBus } from '../stores/memory/cool-down-bus.ts';
import { budgetSeeds } from './budget-seed.ts';
import { redactUrl, redisOutageLogger } from '../stores/redis/outage-log.ts';
import { QuotaGate } from './quota-gate.ts';
import { MICRO_USD } from './quota-plan.ts';

export interface QuotaServices {
  readonly gate: QuotaGate;
  readonly coolDowns: CoolDownBus;
  close(): Promise<void>;
}

export async function createQuotaServices(config: Config, usage: UsageStore, log: Logger, metrics: GatewayMetrics): Promise<QuotaServices> {
  const state = config.state;
  const local = new InProcessQuotaStore({ seed: state === undefined ? await budgetSeeds(usage, Date.now()) : [] });
  let shared: QuotaStore | undefined;
  let coolDowns: CoolDownBus;
  if (state !== undefined) {
    const [{ RedisQuotaStore }, { RedisCoolDownBus }] = await Promise.all([import('../stores/redis/quota-store.ts'), import('../stores/redis/cool-down-bus.ts')]);
    const onError = redisOutageLogger(log, state.url, `limits follow state.on_unavailable (${state.on_unavailable}) until it answers`);
    const redis = new RedisQuotaStore({ url: state.url, prefix: state.prefix, timeoutMs: state.timeout_ms, onError });
    // Requests admitted before the connection is up would be counted locally: start once Redis answers, or say why not.
    if (!(await redis.ready(Math.max(2_000, 4 * state.timeout_ms)))) {
      log.warn({ state: redactUrl(state.url), on_unavailable: state.on_unavailable }, 'Redis (config state) does not answer at start; limits follow state.on_unavailable until it does');
    }
    shared = redis;
    coolDowns = new RedisCoolDownBus({ url: state.url, prefix: state.prefix, timeoutMs: state.timeout_ms, onError });
  } else {
    coolDowns = new LocalCoolDownBus();
  }
  const gate = new QuotaGate({
    shared,
    local,
    policy: state?.on_unavailable ?? 'fail-open',
    log,
    events: {
      refused: (charge) => metrics.quotaRefusals.inc({ scope: charge.subject.scope, limit: charge.limitKind }),
      alert: (charge, s) => {
        metrics.budgetAlerts.inc({ scope: charge.subject.scope });
        log.warn(
          { scope: charge.subject.scope, id: charge.subject.id, usedUsd: s.used / MICRO_USD, budgetUsd: s.limit / MICRO_USD, resetsAt: new Date(s.resetAt).toISOString() },
          `budget alert: ${charge.subject.label} has used ${Math.round((s.used / s.limit) * 100)}% of its budget`,
        );
      },
    },
  });
  return {
    gate,
    coolDowns,
    async close() {
      await Promise.all([local.close(), shared?.close(), coolDowns.close()]);
    },
  };
}
