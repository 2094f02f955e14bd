// Each backend's use of what it has: tokens and requests per minute against its capacity (config `capacity.tpm`,
// `capacity.rpm`) and requests in flight against its bulkhead (`max_concurrency`); flagged idle when it pays for
// capacity it hardly uses, saturated when its busiest moment nears a limit or its model was throttled. Pure: the
// request-log observations and the config's backends in, rows out.
//
//   average TPM          = tokens / minutes observed                      (from the first request of the window, or
//   average RPM          = requests / minutes observed                     its start if earlier, to its end)
//   average concurrency  = Σ latency / time observed                      (Little's law: time in flight / elapsed)
//   peak concurrency     = most requests in flight at once                (latency counts the whole request, queueing
//                                                                           and retries included: an upper bound)
//   use                  = the highest of average TPM / capacity.tpm, average RPM / capacity.rpm,
//                          average concurrency / max_concurrency
//   peak use             = the same with the busiest minute and the peak concurrency
//   USD per 1M tokens    = capacity.monthly_usd × (days observed / 30) / (tokens / 1e6)
import type { Capacity, Price } from '../config/cost-schema.ts';
import type { Observations } from './utilization-query.ts';

/** Below this average use, capacity that is paid for is idle. */
export const IDLE_BELOW = 0.1;
/** At or above this peak use, a backend is saturated. */
export const SATURATED_AT = 0.9;

const MINUTE_MS = 60_000;
const MONTH_MS = 30 * 86_400_000;

/** A backend as the config describes it. */
export interface ConfiguredBackend {
  readonly model: string;
  readonly backend: string;
  readonly max_concurrency: number;
  readonly capacity: Capacity | null;
  /** Its pay-as-you-go price, to compare a commitment with; null when none is known. */
  readonly price: Price | null;
}

export type UtilizationFlag = 'idle' | 'saturated';

export interface BackendUtilization {
  readonly model: string;
  readonly backend: string;
  /** False for a backend the log names and the config no longer has. */
  readonly in_config: boolean;
  readonly requests: number;
  readonly prompt_tokens: number;
  readonly completion_tokens: number;
  readonly average_tpm: number;
  readonly peak_tpm: number;
  readonly capacity_tpm: number | null;
  readonly average_rpm: number;
  readonly peak_rpm: number;
  readonly capacity_rpm: number | null;
  readonly average_concurrency: number;
  readonly peak_concurrency: number;
  readonly max_concurrency: number | null;
  /** 429s: its own, and its model's when every backend was full or rate limited. */
  readonly throttled: number;
  /** throttled / (requests + throttled) */
  readonly throttled_rate: number;
  /** The highest average use of a limit it has (null: no limit known). */
  readonly use: number | null;
  readonly peak_use: number | null;
  readonly monthly_usd: number | null;
  /** What the commitment cost per million tokens it served in the window; null without monthly_usd or tokens. */
  readonly usd_per_million_tokens: number | null;
  /** The same tokens at its pay-as-you-go price, to compare with. */
  readonly list_usd_per_million_tokens: number | null;
  readonly flags: readonly UtilizationFlag[];
  /** Why each flag was raised, for people. */
  readonly reasons: Readonly<Partial<Record<UtilizationFlag, string>>>;
}

export interface UtilizationReport {
  readonly since: number;
  readonly until: number;
  /** Minutes the averages are over: from the first request (or the window's start, if later) to the end. */
  readonly observed_minutes: number;
  readonly idle_below: number;
  readonly saturated_at: number;
  readonly backends: readonly BackendUtilization[];
}

const ratio = (value: number, limit: number | null | undefined): number | null => (limit ? value / limit : null);
const highest = (values: (number | null)[]): number | null => {
  const known = values.filter((v): v is number => v !== null);
  return known.length === 0 ? null : Math.max(...known);
};
const percent = (share: number): string => `${(share * 100).toFixed(1)} %`;

export function computeUtilization(configured: readonly ConfiguredBackend[], observed: Observations, since: number, until: number): UtilizationReport {
  const start = observed.firstTs === null ? since : Math.max(since, observed.firstTs);
  const observedMs = Math.max(MINUTE_MS, until - start);
  const minutes = observedMs / MINUTE_MS;
  const seen = new Map(observed.backends.map((b) => [`${b.model}\n${b.backend}`, b]));
  const keys = [...configured.map((c) => `${c.model}\n${c.backend}`), ...seen.keys()];
  const byKey = new Map(configured.map((c) => [`${c.model}\n${c.backend}`, c]));
  const rows: BackendUtilization[] = [];
  for (const key of new Set(keys)) {
    const [model, backend] = key.split('\n') as [string, string];
    const config = byKey.get(key);
    const o = seen.get(key);
    const requests = o?.requests ?? 0;
    const tokens = (o?.prompt_tokens ?? 0) + (o?.completion_tokens ?? 0);
    const throttled = (o?.throttled ?? 0) + (config === undefined ? 0 : (observed.modelThrottled.get(model) ?? 0));
    const capacity = config?.capacity ?? null;
    const average = { tpm: tokens / minutes, rpm: requests / minutes, concurrency: (o?.busy_ms ?? 0) / observedMs };
    const peak = { tpm: o?.peak_tpm ?? 0, rpm: o?.peak_rpm ?? 0, concurrency: o?.peak_concurrency ?? 0 };
    const use = highest([ratio(average.tpm, capacity?.tpm), ratio(average.rpm, capacity?.rpm), ratio(average.concurrency, config?.max_concurrency)]);
    const peakUse = highest([ratio(peak.tpm, capacity?.tpm), ratio(peak.rpm, capacity?.rpm), ratio(peak.concurrency, config?.max_concurrency)]);
    const reasons: Partial<Record<UtilizationFlag, string>> = {};
    // Spare room on a pay-as-you-go backend costs nothing: only capacity that is paid for can be idle.
    if (capacity !== null && use !== null && use < IDLE_BELOW) {
      reasons.idle = `${percent(use)} average use of what it pays for (idle below ${percent(IDLE_BELOW)})`;
    }
    const saturated = [
      peakUse !== null && peakUse >= SATURATED_AT ? `${percent(peakUse)} of a limit at its busiest (saturated from ${percent(SATURATED_AT)})` : '',
      throttled > 0 ? `${throttled} request${throttled === 1 ? '' : 's'} refused 429 (busy or rate limited)` : '',
    ].filter(Boolean);
    if (saturated.length > 0) reasons.saturated = saturated.join('; ');
    const flags = (['idle', 'saturated'] as const).filter((f) => reasons[f] !== undefined);
    const monthly = capacity?.monthly_usd ?? null;
    const price = config?.price ?? null;
    rows.push({
      model,
      backend,
      in_config: config !== undefined,
      requests,
      prompt_tokens: o?.prompt_tokens ?? 0,
      completion_tokens: o?.completion_tokens ?? 0,
      average_tpm: average.tpm,
      peak_tpm: peak.tpm,
      capacity_tpm: capacity?.tpm ?? null,
      average_rpm: average.rpm,
      peak_rpm: peak.rpm,
      capacity_rpm: capacity?.rpm ?? null,
      average_concurrency: average.concurrency,
      peak_concurrency: peak.concurrency,
      max_concurrency: config?.max_concurrency ?? null,
      throttled,
      throttled_rate: requests + throttled > 0 ? throttled / (requests + throttled) : 0,
      use,
      peak_use: peakUse,
      monthly_usd: monthly,
      usd_per_million_tokens: monthly !== null && tokens > 0 ? (monthly * (observedMs / MONTH_MS)) / (tokens / 1e6) : null,
      list_usd_per_million_tokens:
        price !== null && tokens > 0 ? ((o?.prompt_tokens ?? 0) * price.input + (o?.completion_tokens ?? 0) * price.output) / tokens : null,
      flags,
      reasons,
    });
  }
  return { since, until, observed_minutes: minutes, idle_below: IDLE_BELOW, saturated_at: SATURATED_AT, backends: rows };
}
