// The request log in SQLite. Used from the log writer's worker thread, never from the event loop of the server.
import type { DatabaseSync, StatementSync } from 'node:sqlite';
import type { RequestLogQuery, RequestLogRow, RequestLogStore } from '../request-log.ts';

interface LogRow {
  id: string;
  ts: number;
  key_id: string | null;
  endpoint: string;
  model: string | null;
  backend: string | null;
  attempts: number;
  stream: number;
  status: number;
  latency_ms: number;
  ttft_ms: number | null;
  prompt_tokens: number | null;
  completion_tokens: number | null;
  error: string | null;
}

function fromRow(r: LogRow): RequestLogRow {
  return {
    id: r.id,
    ts: r.ts,
    keyId: r.key_id,
    endpoint: r.endpoint,
    model: r.model,
    backend: r.backend,
    attempts: r.attempts,
    stream: r.stream === 1,
    status: r.status,
    latencyMs: r.latency_ms,
    ttftMs: r.ttft_ms,
    promptTokens: r.prompt_tokens,
    completionTokens: r.completion_tokens,
    error: r.error,
  };
}

export class SqliteRequestLogStore implements RequestLogStore {
  readonly #db: DatabaseSync;
  readonly #insert: StatementSync;
  readonly #count: StatementSync;

  constructor(db: DatabaseSync) {
    this.#db = db;
    // OR IGNORE: a batch replayed after a crash must not fail on rows that did make it.
    this.#insert = db.prepare(
      `INSERT OR IGNORE INTO request_log
       (id, ts, key_id, endpoint, model, backend, attempts, stream, status, latency_ms, ttft_ms, prompt_tokens, completion_tokens, error)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    this.#count = db.prepare('SELECT COUNT(*) AS n FROM request_log');
  }

  async insertBatch(rows: readonly RequestLogRow[]): Promise<void> {
    if (rows.length === 0) return;
    this.#db.exec('BEGIN');
    try {
      for (const r of rows) {
        this.#insert.run(
          r.id, r.ts, r.keyId, r.endpoint, r.model, r.backend, r.attempts, r.stream ? 1 : 0, r.status,
          r.latencyMs, r.ttftMs, r.promptTokens, r.completionTokens, r.error,
        );
      }
      this.#db.exec('COMMIT');
    } catch (err) {
      this.#db.exec('ROLLBACK');
      throw err;
    }
  }

  async query(q: RequestLogQuery): Promise<RequestLogRow[]> {
    const where: string[] = [];
    const args: (string | number)[] = [];
    if (q.since !== undefined) (where.push('ts >= ?'), args.push(q.since));
    if (q.keyId !== undefined) (where.push('key_id = ?'), args.push(q.keyId));
    if (q.model !== undefined) (where.push('model = ?'), args.push(q.model));
    const sql = `SELECT * FROM request_log ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY ts DESC, id LIMIT ?`;
    args.push(Math.min(Math.max(q.limit ?? 100, 1), 10_000));
    return (this.#db.prepare(sql).all(...args) as unknown as LogRow[]).map(fromRow);
  }

  async count(): Promise<number> {
    return Number((this.#count.get() as { n: number }).n);
  }

  async close(): Promise<void> {
    this.#db.close();
  }
}
