// The store conformance suites against the SQLite implementations, each on its own temp-file database.
import { after } from 'node:test';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { databasePath, openDatabase } from '../../src/stores/sqlite/database.ts';
import { SqliteRequestLogStore } from '../../src/stores/sqlite/request-log-store.ts';
import { SqliteKeyStore } from '../../src/stores/sqlite/key-store.ts';
import { requestLogStoreConformance } from './request-log-store.ts';
import { keyStoreConformance, type KeyStoreHarness } from './key-store.ts';
import type { DatabaseSync } from 'node:sqlite';
import { SqliteAuditLog } from '../../src/stores/sqlite/audit-log-store.ts';
import { auditLogSuite, type AuditLogHarness, type AuditLogTamper, type StoredFields } from './audit-log.ts';

const dirs: string[] = [];
after(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

function freshDataDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'archway-conformance-'));
  dirs.push(dir);
  return dir;
}

/** The database and its WAL and shared-memory files: every byte SQLite has written. */
function databaseBytes(dir: string): Buffer {
  return Buffer.concat(readdirSync(dir).filter((f) => f.startsWith('archway.db')).map((f) => readFileSync(join(dir, f))));
}

async function openSqliteKeyStore(): Promise<KeyStoreHarness> {
  const dir = freshDataDir();
  const db = openDatabase(databasePath(dir));
  return {
    store: new SqliteKeyStore(db),
    persisted: async () => databaseBytes(dir),
    close: async () => db.close(),
  };
}

requestLogStoreConformance('sqlite', async () => new SqliteRequestLogStore(openDatabase(databasePath(freshDataDir()))));
keyStoreConformance('sqlite', openSqliteKeyStore);

// The audit log, tampered with by plain SQL on the log's own connection, as someone holding the database file could.
const AUDIT_COLUMNS: Readonly<Record<keyof StoredFields, string>> = {
  ts: 'ts', actor: 'actor', action: 'action', target: 'target', outcome: 'outcome', detail: 'detail', prevHash: 'prev_hash', hash: 'hash',
};

async function openSqliteAuditLog(): Promise<AuditLogHarness> {
  const path = databasePath(freshDataDir());
  const db = openDatabase(path);
  const others: DatabaseSync[] = [];
  const tamper: AuditLogTamper = {
    async update(seq, fields) {
      for (const [field, value] of Object.entries(fields)) {
        const stored = field === 'detail' && value !== null ? JSON.stringify(value) : (value as string | number | null);
        db.prepare(`UPDATE audit_log SET ${AUDIT_COLUMNS[field as keyof StoredFields]} = ? WHERE seq = ?`).run(stored, seq);
      }
    },
    async remove(seq) {
      db.prepare('DELETE FROM audit_log WHERE seq = ?').run(seq);
    },
    async swap(a, b) {
      db.prepare('UPDATE audit_log SET seq = -1 WHERE seq = ?').run(a);
      db.prepare('UPDATE audit_log SET seq = ? WHERE seq = ?').run(a, b);
      db.prepare('UPDATE audit_log SET seq = ? WHERE seq = -1').run(b);
    },
  };
  return {
    log: new SqliteAuditLog(db),
    tamper,
    async openAnother() {
      const other = openDatabase(path);
      others.push(other);
      return new SqliteAuditLog(other);
    },
    async close() {
      for (const other of others) other.close();
      db.close();
    },
  };
}

auditLogSuite('sqlite', openSqliteAuditLog);
