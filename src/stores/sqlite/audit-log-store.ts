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

function clampLimit(limit: number | undefined): number {
  if (limit === undefined || !Number.isFinite(limit)) return 1_000;
  return Math.min(Math.max(Math.trunc(limit), 1), 10_000);
}

/**
 * Append only ever stores an object's JSON. Text that is not JSON was written by someone else: it is returned under a
 * key no hashed entry can have produced from that text, so verification reports the entry as edited (not a crash)
 * and an export shows the auditor what is there.
 */
function parseDetail(text: string | null): Record<string, unknown> | null {
  if (text === null) return null;
  try {
    return JSON.parse(text) as Record<string, unknown>;
  } catch {
    return { $unparseable: text };
  }
}

function toEntry(r: AuditRow): AuditEntry {
  return {
    seq: r.seq,
    ts: r.ts,
    actor: r.actor,
    action: r.action,
    target: r.target,
    outcome: r.outcome as AuditOutcome,
    detail: parseDetail(r.detail),
    prevHash: r.prev_hash,
    hash: r.hash,
  };
}

export class SqliteAuditLog implements AuditLog {
  readonly #db: DatabaseSync;
  readonly #head: StatementSync;
  readonly #insert: StatementSync;
  readonly #page: StatementSync;
  readonly #list: StatementSync;

  constructor(db: DatabaseSync) {
    this.#db = db;
    this.#head = db.prepare('SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1');
    this.#insert = db.prepare('INSERT INTO audit_log (seq, ts, actor, action, target, outcome, detail, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)');
    this.#page = db.prepare('SELECT * FROM audit_log WHERE seq > ? ORDER BY seq LIMIT ?');
    // One statement for every filter combination: a filter left out is bound as NULL and matches everything.
    this.#list = db.prepare(`SELECT * FROM audit_log WHERE seq > :after
      AND (:since IS NULL OR ts >= :since) AND (:until IS NULL OR ts < :until)
      AND (:actor IS NULL OR actor = :actor) AND (:action IS NULL OR action = :action)
      ORDER BY seq LIMIT :limit`);
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
      // A failed COMMIT may already have ended the transaction; a ROLLBACK then would hide the real error.
      if (this.#db.isTransaction) this.#db.exec('ROLLBACK');
      throw err;
    }
  }

  async list(q: AuditQuery = {}): Promise<AuditEntry[]> {
    const rows = this.#list.all({
      after: q.afterSeq ?? 0,
      since: q.since ?? null,
      until: q.until ?? null,
      actor: q.actor ?? null,
      action: q.action ?? null,
      limit: clampLimit(q.limit),
    }) as unknown as AuditRow[];
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
