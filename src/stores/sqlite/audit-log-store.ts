// The audit log in SQLite. Appends read the chain's head and insert inside one IMMEDIATE transaction, so a gateway
// and the CLI (or several gateways) writing to one database file still build a single chain.
import type { DatabaseSync, StatementSync } from 'node:sqlite';
import { entryHash, GENESIS_HASH, verifyChain, type VerifyResult } from '../../audit/hash-chain.ts';
import type { AuditEntry, AuditEntryInput, AuditLog, AuditOutcome, AuditQuery } from '../audit-log.ts';

interface AuditRow {
  seq: number;
  ts: number;
  actor: string;
  action: string;
  target: string | null;
  outcome: string;
  detail: string | null;
  prev_hash: string;
  hash: string;
}

const PAGE = 1_000;

function toEntry(r: AuditRow): AuditEntry {
  return {
    seq: r.seq,
    ts: r.ts,
    actor: r.actor,
    action: r.action,
    target: r.target,
    outcome: r.outcome as AuditOutcome,
    detail: r.detail === null ? null : (JSON.parse(r.detail) as Record<string, unknown>),
    prevHash: r.prev_hash,
    hash: r.hash,
  };
}

export class SqliteAuditLog implements AuditLog {
  readonly #db: DatabaseSync;
  readonly #head: StatementSync;
  readonly #insert: StatementSync;
  readonly #page: StatementSync;

  constructor(db: DatabaseSync) {
    this.#db = db;
    this.#head = db.prepare('SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1');
    this.#insert = db.prepare('INSERT INTO audit_log (seq, ts, actor, action, target, outcome, detail, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)');
    this.#page = db.prepare('SELECT * FROM audit_log WHERE seq > ? ORDER BY seq LIMIT ?');
  }

  async append(input: AuditEntryInput): Promise<AuditEntry> {
    this.#db.exec('BEGIN IMMEDIATE');
    try {
      const head = this.#head.get() as { seq: number; hash: string } | undefined;
      const prevHash = head?.hash ?? GENESIS_HASH;
      const fields = {
        seq: (head?.seq ?? 0) + 1,
        ts: Date.now(),
        actor: input.actor,
        action: input.action,
        target: input.target ?? null,
        outcome: input.outcome,
        // Stored as it will be read back, so the hash covers exactly what verification will see.
        detail: input.detail == null ? null : (JSON.parse(JSON.stringify(input.detail)) as Record<string, unknown>),
      };
      const entry: AuditEntry = { ...fields, prevHash, hash: entryHash(prevHash, fields) };
      this.#insert.run(entry.seq, entry.ts, entry.actor, entry.action, entry.target, entry.outcome, entry.detail === null ? null : JSON.stringify(entry.detail), prevHash, entry.hash);
      this.#db.exec('COMMIT');
      return entry;
    } catch (err) {
      this.#db.exec('ROLLBACK');
      throw err;
    }
  }

  async list(q: AuditQuery = {}): Promise<AuditEntry[]> {
    const where: string[] = ['seq > ?'];
    const args: (string | number)[] = [q.afterSeq ?? 0];
    if (q.since !== undefined) (where.push('ts >= ?'), args.push(q.since));
    if (q.until !== undefined) (where.push('ts < ?'), args.push(q.until));
    if (q.actor !== undefined) (where.push('actor = ?'), args.push(q.actor));
    if (q.action !== undefined) (where.push('action = ?'), args.push(q.action));
    args.push(Math.min(Math.max(q.limit ?? 1000, 1), 10_000));
    const rows = this.#db.prepare(`SELECT * FROM audit_log WHERE ${where.join(' AND ')} ORDER BY seq LIMIT ?`).all(...args) as unknown as AuditRow[];
    return rows.map(toEntry);
  }

  async *entries(): AsyncIterable<AuditEntry> {
    let after = 0;
    for (;;) {
      const rows = this.#page.all(after, PAGE) as unknown as AuditRow[];
      for (const row of rows) yield toEntry(row);
      if (rows.length < PAGE) return;
      after = rows[rows.length - 1]!.seq;
    }
  }

  verify(): Promise<VerifyResult> {
    return verifyChain(this.entries());
  }
}
