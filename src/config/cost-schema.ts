// The cost sections of the config: prices, quotas (budgets and rate limits), where their counters live, caching, and
// what each backend pays for (capacity). Split from schema.ts to keep each readable.
import { Type, type Static } from '@sinclair/typebox';
import { StringEnum } from './schema-helpers.ts';

const Usd = (description: string) => Type.Number({ minimum: 0, description });

/** USD per million tokens. */
export const PriceSchema = Type.Object(
  {
    input: Usd('USD per 1M prompt tokens'),
    output: Usd('USD per 1M completion tokens (reasoning tokens included)'),
    cached_input: Type.Optional(Usd('USD per 1M prompt tokens read from the provider’s prompt cache (default: input)')),
  },
  { additionalProperties: false },
);

/** Overrides of the shipped price table, by model name (the client's or the upstream's). */
export const PricingSchema = Type.Record(Type.String({ minLength: 1 }), PriceSchema, {
  default: {},
  description: 'model -> price; overrides the shipped defaults (src/metering/prices.ts)',
});

export const BUDGET_PERIODS = ['day', 'week', 'month'] as const;
export const BudgetPeriod = StringEnum([...BUDGET_PERIODS]);

/** A budget and rate limits for one key, team or model. Every field optional: what is absent is not limited. */
export const QuotaSchema = Type.Object(
  {
    budget_usd: Type.Optional(Type.Number({ exclusiveMinimum: 0, description: 'hard limit on spend per period' })),
    period: Type.Optional(BudgetPeriod),
    alert_at: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 1, description: 'soft threshold, a share of budget_usd (default 0.8)' })),
    rpm: Type.Optional(Type.Integer({ minimum: 1, description: 'requests per minute' })),
    tpm: Type.Optional(Type.Integer({ minimum: 1, description: 'tokens per minute (prompt + completion)' })),
  },
  { additionalProperties: false },
);

export const QuotasSchema = Type.Object(
  {
    keys: Type.Record(Type.String({ minLength: 1 }), QuotaSchema, { default: {}, description: 'by key id' }),
    teams: Type.Record(Type.String({ minLength: 1 }), QuotaSchema, { default: {}, description: 'by team name' }),
    models: Type.Record(Type.String({ minLength: 1 }), QuotaSchema, { default: {}, description: 'by model name, over every caller' }),
    default_key: Type.Optional(QuotaSchema),
    /** Reserved for the output of a request that names no max_tokens, when the price table knows no output limit. */
    default_max_tokens: Type.Integer({ minimum: 1, default: 4096 }),
  },
  { additionalProperties: false, default: {} },
);

export const StateSchema = Type.Object(
  {
    url: Type.String({ pattern: '^rediss?://', description: 'redis://[user:password@]host:port[/db]' }),
    on_unavailable: StringEnum(['fail-open', 'fail-closed'], {
      default: 'fail-open',
      description: 'fail-open: count in this process until Redis is back; fail-closed: refuse limited requests (503)',
    }),
    prefix: Type.String({ minLength: 1, default: 'archway:' }),
    timeout_ms: Type.Integer({ minimum: 1, default: 250, description: 'a Redis command slower than this counts as Redis unavailable' }),
  },
  { additionalProperties: false },
);

export const ExactCacheSchema = Type.Object(
  {
    enabled: Type.Boolean({ default: false }),
    ttl_s: Type.Integer({ minimum: 1, default: 3600 }),
    when: StringEnum(['deterministic', 'always'], {
      default: 'deterministic',
      description: 'deterministic: temperature 0 or top_p 0, one choice (a seed alone is best effort: not cached); else only when x-archway-cache: force asks',
    }),
    max_bytes: Type.Integer({ minimum: 1024, default: 64 * 1024 * 1024, description: 'memory the cache may use' }),
  },
  { additionalProperties: false, default: {} },
);

export const SemanticCacheSchema = Type.Object(
  {
    enabled: Type.Boolean({ default: false }),
    embeddings_model: Type.Optional(Type.String({ minLength: 1, description: 'a model of this config that serves embeddings' })),
    threshold: Type.Number({ exclusiveMinimum: 0, maximum: 1, default: 0.95, description: 'least cosine similarity for a hit' }),
    ttl_s: Type.Integer({ minimum: 1, default: 3600 }),
    max_entries: Type.Integer({ minimum: 1, default: 10_000 }),
    models: Type.Optional(Type.Array(Type.String({ minLength: 1 }), { description: 'models cached this way (default: every chat model)' })),
  },
  { additionalProperties: false, default: {} },
);

export const CacheSchema = Type.Object(
  {
    exact: ExactCacheSchema,
    semantic: SemanticCacheSchema,
  },
  { additionalProperties: false, default: {} },
);

/** What a backend pays for, so `archway report utilization` can say how much of it is used. */
export const CapacitySchema = Type.Object(
  {
    tpm: Type.Optional(Type.Integer({ minimum: 1, description: 'tokens per minute the deployment provides' })),
    rpm: Type.Optional(Type.Integer({ minimum: 1 })),
    monthly_usd: Type.Optional(Usd('a fixed commitment (provisioned throughput), paid whether used or not')),
  },
  { additionalProperties: false },
);

export type Price = Static<typeof PriceSchema>;
export type Pricing = Static<typeof PricingSchema>;
export type Quota = Static<typeof QuotaSchema>;
export type Quotas = Static<typeof QuotasSchema>;
export type BudgetPeriodName = Static<typeof BudgetPeriod>;
export type StateConfig = Static<typeof StateSchema>;
export type CacheConfig = Static<typeof CacheSchema>;
export type Capacity = Static<typeof CapacitySchema>;
