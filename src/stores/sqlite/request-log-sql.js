// @ts-check
// The request log's SQL, shared by the store (TypeScript) and its writer thread, which is plain JavaScript so that
// its isolate does not load a TypeScript stripper of its own (about 17 MB of the process's memory).

/** Settings every connection needs (see database.ts for why). */
export const CONNECTION_PRAGMAS = 'PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;';
export const BUSY_TIMEOUT_MS = 5_000;

// OR IGNORE: a batch sent again after a writer crash must not fail on the rows that did make it.
export const INSERT_REQUEST_LOG = `INSERT OR IGNORE INTO request_log
  (id, ts, key_id, endpoint, model, backend, attempts, stream, status, latency_ms, ttft_ms, prompt_tokens, completion_tokens, error, team_id,
   cached_tokens, reasoning_tokens, cost_usd, cache, saved_usd)
  VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`;

// Sealed request and response content (only when the config stores content), in the same transaction as its row.
export const INSERT_REQUEST_CONTENT = 'INSERT OR IGNORE INTO request_content (id, kid, request, response) VALUES (?, ?, ?, ?)';

// The daily roll-up, in the same transaction as the rows it counts, so the two never disagree.
export const UPSERT_USAGE_DAILY = `INSERT INTO usage_daily
  (day, key_id, team_id, model, requests, errors, prompt_tokens, completion_tokens, cached_tokens, reasoning_tokens, cost_usd, cache_hits, saved_usd)
  VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
  ON CONFLICT (day, key_id, team_id, model) DO UPDATE SET
    requests = requests + excluded.requests, errors = errors + excluded.errors,
    prompt_tokens = prompt_tokens + excluded.prompt_tokens, completion_tokens = completion_tokens + excluded.completion_tokens,
    cached_tokens = cached_tokens + excluded.cached_tokens, reasoning_tokens = reasoning_tokens + excluded.reasoning_tokens,
    cost_usd = cost_usd + excluded.cost_usd, cache_hits = cache_hits + excluded.cache_hits, saved_usd = saved_usd + excluded.saved_usd`;

/** Endpoints whose requests are usage (the model list is not). */
const METERED = new Set(['/v1/chat/completions', '/v1/embeddings']);

/**
 * A row in the column order above, `stream` as a boolean, then optionally the sealed content: its key id and the
 * base64 of the request and response blobs.
 * @typedef {readonly [string, number, string | null, string, string | null, string | null, number, boolean, number, number, number | null, number | null, number | null, string | null, string | null, number | null, number | null, number | null, string | null, number | null, (string | null)?, (string | null)?, (string | null)?]} RowTuple
 */

/**
 * @typedef {object} Statements
 * @property {import('node:sqlite').StatementSync} insert the prepared INSERT_REQUEST_LOG
 * @property {import('node:sqlite').StatementSync} [insertContent] the prepared INSERT_REQUEST_CONTENT
 * @property {import('node:sqlite').StatementSync} [upsertUsage] the prepared UPSERT_USAGE_DAILY
 */

/** @param {import('node:sqlite').DatabaseSync} db */
export function prepareStatements(db) {
  return { insert: db.prepare(INSERT_REQUEST_LOG), insertContent: db.prepare(INSERT_REQUEST_CONTENT), upsertUsage: db.prepare(UPSERT_USAGE_DAILY) };
}

const DAY_MS = 86_400_000;
// The day of the last row: rows come in time order, so formatting a date is needed about once a day, not per row.
let lastDayStart = -1;
let lastDay = '';

/** @param {number} ts */
function utcDay(ts) {
  const start = ts - (ts % DAY_MS);
  if (start !== lastDayStart) {
    lastDayStart = start;
    lastDay = new Date(start).toISOString().slice(0, 10);
  }
  return lastDay;
}

/**
 * Inserts rows in one transaction, and adds the ones that were new (not already there from an earlier try) to the
 * daily roll-up, summed per day, key, team and model first so a batch of a busy minute is a handful of upserts.
 * @param {import('node:sqlite').DatabaseSync} db
 * @param {Statements} statements
 * @param {ReadonlyArray<RowTuple>} tuples
 */
export function insertTuples(db, statements, tuples) {
  if (tuples.length === 0) return;
  const { insert, insertContent, upsertUsage } = statements;
  /** @type {Map<string, [string, string, string, string, number, number, number, number, number, number, number, number, number]>} */
  const usage = new Map();
  db.exec('BEGIN');
  try {
    for (const t of tuples) {
      const { changes } = insert.run(t[0], t[1], t[2], t[3], t[4], t[5], t[6], t[7] ? 1 : 0, t[8], t[9], t[10], t[11], t[12], t[13], t[14], t[15], t[16], t[17], t[18], t[19]);
      if (t[20] && insertContent) {
        insertContent.run(t[0], t[20], Buffer.from(/** @type {string} */ (t[21]), 'base64'), t[22] ? Buffer.from(t[22], 'base64') : null);
      }
      if (changes === 0 || upsertUsage === undefined || !METERED.has(t[3])) continue;
      const day = utcDay(t[1]);
      const group = `${day}\n${t[2] ?? ''}\n${t[14] ?? ''}\n${t[4] ?? ''}`;
      let sum = usage.get(group);
      if (sum === undefined) usage.set(group, (sum = [day, t[2] ?? '', t[14] ?? '', t[4] ?? '', 0, 0, 0, 0, 0, 0, 0, 0, 0]));
      sum[4] += 1;
      if (t[8] >= 400) sum[5] += 1;
      sum[6] += t[11] ?? 0;
      sum[7] += t[12] ?? 0;
      sum[8] += t[15] ?? 0;
      sum[9] += t[16] ?? 0;
      sum[10] += t[17] ?? 0;
      if (t[18] !== null) sum[11] += 1;
      sum[12] += t[19] ?? 0;
    }
    if (upsertUsage) for (const s of usage.values()) upsertUsage.run(...s);
    db.exec('COMMIT');
  } catch (err) {
    db.exec('ROLLBACK');
    throw err;
  }
}
