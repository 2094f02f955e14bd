// What `archway report utilization` observes in the request log: per model and backend, requests and tokens, the
// busiest minute, time in flight, the most requests in flight at once, and throttling. Everything is aggregated in
// SQLite (per minute, then per backend), so a month of a busy gateway comes back as one row per backend, never as
// millions of rows in this process. Request ids are UUIDv7, so the time window is also a range of the primary key.
import type { DatabaseSync } from 'node:sqlite';
import { MODEL_SATURATED } from '../errors.ts';
import { firstRequestIdAt } from '../server/request-id.ts';

export interface BackendObservation {
  readonly model: string;
  readonly backend: string;
  readonly requests: number;
  readonly prompt_tokens: number;
  readonly completion_tokens: number;
  readonly cost_usd: number;
  /** Tokens in and out of the busiest minute. */
  readonly peak_tpm: number;
  /** Requests of the busiest minute. */
  readonly peak_rpm: number;
  /** Sum of the requests' latencies: time in flight, for the average concurrency. */
  readonly busy_ms: number;
  /** The most requests in flight at once (a sweep over start and end times). */
  readonly peak_concurrency: number;
  /** Its requests answered 429. */
  readonly throttled: number;
}

export interface Observations {
  readonly backends: readonly BackendObservation[];
  /** Per model, requests refused 429 because every backend was at its limit or rate limited: no backend is on those rows. */
  readonly modelThrottled: ReadonlyMap<string, number>;
  /** Epoch ms of the first request in the window, or null when there was none. */
  readonly firstTs: number | null;
}

// The ids of the window start a minute early: a request's id and its ts are two reads of the clock.
const ID_SLACK_MS = 60_000;

const WINDOW = 'id >= ? AND ts >= ? AND ts < ?';

const PER_BACKEND = `
  SELECT model, backend,
         SUM(requests) AS requests, SUM(prompt) AS prompt_tokens, SUM(completion) AS completion_tokens, SUM(cost) AS cost_usd,
         MAX(prompt + completion) AS peak_tpm, MAX(requests) AS peak_rpm, SUM(busy_ms) AS busy_ms, SUM(throttled) AS throttled
  FROM (
    SELECT model, backend, CAST(ts / 60000 AS INTEGER) AS minute, COUNT(*) AS requests,
           SUM(COALESCE(prompt_tokens, 0)) AS prompt, SUM(COALESCE(completion_tokens, 0)) AS completion,
           SUM(COALESCE(cost_usd, 0)) AS cost, SUM(latency_ms) AS busy_ms, SUM(status = 429) AS throttled
    FROM request_log WHERE ${WINDOW} AND backend IS NOT NULL AND model IS NOT NULL
    GROUP BY model, backend, minute
  )
  GROUP BY model, backend`;

// +1 at each start and -1 at each end; the running sum per backend is the requests in flight. At equal times the
// ends come first, so a request starting as another ends does not count as overlapping it.
const PEAK_CONCURRENCY = `
  WITH events AS (
    SELECT model, backend, ts AS t, 1 AS d FROM request_log WHERE ${WINDOW} AND backend IS NOT NULL AND model IS NOT NULL
    UNION ALL
    SELECT model, backend, ts + latency_ms AS t, -1 AS d FROM request_log WHERE ${WINDOW} AND backend IS NOT NULL AND model IS NOT NULL
  ),
  running AS (
    SELECT model, backend, SUM(d) OVER (PARTITION BY model, backend ORDER BY t, d ROWS UNBOUNDED PRECEDING) AS in_flight FROM events
  )
  SELECT model, backend, MAX(in_flight) AS peak_concurrency FROM running GROUP BY model, backend`;

// The refusals of src/pipeline/route.ts that mean "every backend is full or rate limited", found by how their message
// begins. A quota's 429 (a key over its rate limit) says nothing about the backends, and is left out by not matching.
const MODEL_THROTTLED = `
  SELECT model, COUNT(*) AS throttled FROM request_log
  WHERE ${WINDOW} AND backend IS NULL AND model IS NOT NULL AND status = 429 AND error LIKE '${MODEL_SATURATED}%'
  GROUP BY model`;

const FIRST_TS = `SELECT MIN(ts) AS first FROM request_log WHERE ${WINDOW}`;

/** The request log's traffic in [since, until) epoch ms. */
export function observeUtilization(db: DatabaseSync, since: number, until: number): Observations {
  const window = [firstRequestIdAt(Math.max(0, since - ID_SLACK_MS)), since, until] as const;
  const backends = db.prepare(PER_BACKEND).all(...window) as unknown as Omit<BackendObservation, 'peak_concurrency'>[];
  const peaks = new Map<string, number>();
  for (const row of db.prepare(PEAK_CONCURRENCY).all(...window, ...window) as unknown as { model: string; backend: string; peak_concurrency: number }[]) {
    peaks.set(`${row.model}\n${row.backend}`, row.peak_concurrency);
  }
  const modelThrottled = new Map<string, number>();
  for (const row of db.prepare(MODEL_THROTTLED).all(...window) as unknown as { model: string; throttled: number }[]) {
    modelThrottled.set(row.model, row.throttled);
  }
  const first = db.prepare(FIRST_TS).get(...window) as { first: number | null } | undefined;
  return {
    backends: backends.map((b) => ({ ...b, peak_concurrency: peaks.get(`${b.model}\n${b.backend}`) ?? 0 })),
    modelThrottled,
    firstTs: first?.first ?? null,
  };
}
