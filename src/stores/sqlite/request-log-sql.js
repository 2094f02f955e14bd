// @ts-check
// The request log's SQL, shared by the store (TypeScript) and its writer thread, which is plain JavaScript so that
// its isolate does not load a TypeScript stripper of its own (about 17 MB of the process's memory).

/** Settings every connection needs (see database.ts for why). */
export const CONNECTION_PRAGMAS = 'PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;';
export const BUSY_TIMEOUT_MS = 5_000;

// OR IGNORE: a batch sent again after a writer crash must not fail on the rows that did make it.
export const INSERT_REQUEST_LOG = `INSERT OR IGNORE INTO request_log
  (id, ts, key_id, endpoint, model, backend, attempts, stream, status, latency_ms, ttft_ms, prompt_tokens, completion_tokens, error, team_id)
  VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`;

// Sealed request and response content (only when the config stores content), in the same transaction as its row.
export const INSERT_REQUEST_CONTENT = 'INSERT OR IGNORE INTO request_content (id, kid, request, response) VALUES (?, ?, ?, ?)';

/**
 * A row in the column order above, `stream` as a boolean, then optionally the sealed content: its key id and the
 * base64 of the request and response blobs.
 * @typedef {readonly [string, number, string | null, string, string | null, string | null, number, boolean, number, number, number | null, number | null, number | null, string | null, string | null, (string | null)?, (string | null)?, (string | null)?]} RowTuple
 */

/**
 * Inserts rows in one transaction.
 * @param {import('node:sqlite').DatabaseSync} db
 * @param {import('node:sqlite').StatementSync} insert the prepared INSERT_REQUEST_LOG
 * @param {ReadonlyArray<RowTuple>} tuples
 * @param {import('node:sqlite').StatementSync} [insertContent] the prepared INSERT_REQUEST_CONTENT
 */
export function insertTuples(db, insert, tuples, insertContent) {
  if (tuples.length === 0) return;
  db.exec('BEGIN');
  try {
    for (const t of tuples) {
      insert.run(t[0], t[1], t[2], t[3], t[4], t[5], t[6], t[7] ? 1 : 0, t[8], t[9], t[10], t[11], t[12], t[13], t[14]);
      if (t[15] && insertContent) {
        insertContent.run(t[0], t[15], Buffer.from(/** @type {string} */ (t[16]), 'base64'), t[17] ? Buffer.from(t[17], 'base64') : null);
      }
    }
    db.exec('COMMIT');
  } catch (err) {
    db.exec('ROLLBACK');
    throw err;
  }
}
