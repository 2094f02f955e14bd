// The audit log: append-only, hash-chained entries of every control-plane change, refused credential use and read
// of stored content. A narrow interface, so a PostgreSQL implementation can join the SQLite one.
import type { VerifyResult } from '../audit/hash-chain.ts';

export type AuditOutcome = 'ok' | 'refused' | 'failed';

export interface AuditEntryInput {
  actor: string;
  action: string;
  target?: string | null;
  outcome: AuditOutcome;
  detail?: Record<string, unknown> | null;
}

export interface AuditEntry {
  seq: number;
  ts: number;
  actor: string;
  action: string;
  target: string | null;
  outcome: AuditOutcome;
  detail: Record<string, unknown> | null;
  prevHash: string;
  hash: string;
}

export interface AuditQuery {
  afterSeq?: number;
  since?: number;
  until?: number;
  actor?: string;
  action?: string;
  limit?: number;
}

export interface AuditLog {
  append(entry: AuditEntryInput): Promise<AuditEntry>;
  /** Ascending seq; limit default 1000, max 10000. */
  list(query?: AuditQuery): Promise<AuditEntry[]>;
  /** All entries, ascending seq, read in pages: for verification and export. */
  entries(): AsyncIterable<AuditEntry>;
  verify(): Promise<VerifyResult>;
}
