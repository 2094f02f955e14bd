// The request log in SQLite. Used from the log writer's worker thread, never from the event loop of the server.
import type { DatabaseSync, StatementSync } from 'node:sqlite';
import type { RequestLogQuery, RequestLogRow, RequestLogStore } from '../request-log.ts';
import { insertTuples, prepareStatements } from './request-log-sql.js';
import { rowToTuple } from './request-log-wire.ts';

interface LogRow {
  id: string;
  ts: number;
  key_id: string | null;
  team_id: string | null;
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
  cached_tokens: number | null;
  reasoning_tokens: number | null;
  cost_usd: number | null;
  cache: string | null;
  saved_usd: number | null;
  error: string | null;
}

function fromRow(r: LogRow): RequestLogRow {
  return {
    id: r.id,
    ts: r.ts,
    keyId: r.key_id,
    teamId: r.team_id,
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
    cachedTokens: r.cached_tokens,
    reasoningTokens: r.reasoning_tokens,
    costUsd: r.cost_usd,
    cache: r.cache as RequestLogRow['cache'],
    savedUsd: r.saved_usd,
    error: r.error,
  };
}

export class SqliteRequestLogStore implements RequestLogStore {
  readonly #db: DatabaseSync;
  readonly #statements: ReturnType<typeof prepareStatements>;
  readonly #count: StatementSync;
  readonly #get: StatementSync;

  constructor(db: DatabaseSync) {
    this.#db = db;
    this.#statements = prepareStatements(db);
    this.#count = db.prepare('SELECT COUNT(*) AS n FROM request_log');
    this.#get = db.prepare('SELECT * FROM request_log WHERE id = ?');
  }

  async insertBatch(rows: readonly RequestLogRow[]): Promise<void> {
    insertTuples(this.#db, this.#statements, rows.map(rowToTuple));
  }

  async query(q: RequestLogQuery): Promise<RequestLogRow[]> {
    const where: string[] = [];
    const args: (string | number)[] = [];
    if (q.since !== undefined) (where.push('ts >= ?'), args.push(q.since));
    if (q.keyId !== undefined) (where.push('key_id = ?'), args.push(q.keyId));
    if (q.teamId !== undefined) (where.push('team_id = ?'), args.push(q.teamId));
    if (q.model !== undefined) (where.push('model = ?'), args.push(q.model));
    if (q.until !== undefined) (where.push('ts < ?'), args.push(q.until));
    const sql = `SELECT * FROM request_log ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY ts DESC, id LIMIT ?`;
    args.push(Math.min(Math.max(q.limit ?? 100, 1), 10_000));
    return (this.#db.prepare(sql).all(...args) as unknown as LogRow[]).map(fromRow);
  }

  async get(id: string): Promise<RequestLogRow | undefined> {
    const row = this.#get.get(id) as LogRow | undefined;
    return row && fromRow(row);
  }

  async count(): Promise<number> {
    return Number((this.#count.get() as { n: number }).n);
  }

  async close(): Promise<void> {
    this.#db.close();
  }
}
