// Usage aggregates: requests, tokens and spend per UTC day, key, team and model, summed over any of those. Read by
// `archway report usage`, `archway cost-model --from-logs` and the admin API; written by the request-log writer,
// which keeps the daily roll-up in the same transaction as the rows it counts.

export const USAGE_GROUPS = ['day', 'key', 'team', 'model'] as const;
export type UsageGroup = (typeof USAGE_GROUPS)[number];

export interface UsageQuery {
  /** First UTC day counted, YYYY-MM-DD. */
  readonly since: string;
  /** First UTC day no longer counted, YYYY-MM-DD (exclusive, like every `until` of the stores); absent: up to now. */
  readonly until?: string;
  /** What the sums are broken down by, in this order; empty: one row of totals (none when nothing matched). */
  readonly groupBy: readonly UsageGroup[];
  readonly keyId?: string;
  readonly teamId?: string;
  readonly model?: string;
}

export interface UsageTotals {
  readonly requests: number;
  /** Requests answered with a status of 400 or more. */
  readonly errors: number;
  readonly prompt_tokens: number;
  /** Reasoning tokens included. */
  readonly completion_tokens: number;
  /** Prompt tokens the provider read from its prompt cache (billed at its cached rate). */
  readonly cached_tokens: number;
  readonly reasoning_tokens: number;
  readonly cost_usd: number;
  /** Requests the gateway's own cache answered: nothing was paid upstream for them. */
  readonly cache_hits: number;
  /** What those cache hits would have cost. */
  readonly saved_usd: number;
}

/** One group's sums. Only the fields of `groupBy` are present; null for requests without a key, team or model. */
export interface UsageRow extends UsageTotals {
  readonly day?: string;
  readonly key_id?: string | null;
  readonly team_id?: string | null;
  readonly model?: string | null;
}

export interface UsageStore {
  /** Sums per group, ordered by the group fields (days oldest first). Rejects with a RangeError for a malformed day. */
  usage(query: UsageQuery): Promise<UsageRow[]>;
}

const DAY = /^\d{4}-\d{2}-\d{2}$/;

/** Whether `text` is a YYYY-MM-DD day that exists in the calendar. */
export function isUtcDay(text: string): boolean {
  if (!DAY.test(text)) return false;
  const date = new Date(`${text}T00:00:00Z`);
  // "2026-02-30" parses as 2 March: a day that does not exist does not come back unchanged.
  return !Number.isNaN(date.getTime()) && date.toISOString().startsWith(text);
}

/** The UTC day of epoch ms `ms`, YYYY-MM-DD. */
export function utcDay(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}
