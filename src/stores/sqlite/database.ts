// Opens the embedded SQLite database (node:sqlite) with the settings every connection needs: WAL so the request-log
// writer and readers never block each other, synchronous=NORMAL so a commit is one write() to the WAL (it survives a
// process crash; only a power loss can take the last commits), and a busy timeout for the CLI running beside a server.
import { DatabaseSync } from 'node:sqlite';
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { MIGRATIONS } from './migrations.ts';
import { BUSY_TIMEOUT_MS, CONNECTION_PRAGMAS } from './request-log-sql.js';

export function databasePath(dataDir: string): string {
  return join(dataDir, 'archway.db');
}

export function openDatabase(path: string): DatabaseSync {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  const db = new DatabaseSync(path, { timeout: BUSY_TIMEOUT_MS });
  db.exec(CONNECTION_PRAGMAS);
  migrate(db);
  return db;
}

function migrate(db: DatabaseSync): void {
  db.exec('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)');
  const row = db.prepare('SELECT COALESCE(MAX(version), 0) AS v FROM schema_migrations').get() as { v: number };
  for (let version = row.v + 1; version <= MIGRATIONS.length; version++) {
    db.exec('BEGIN IMMEDIATE');
    try {
      // Another process may have migrated between our read and our lock.
      const again = db.prepare('SELECT 1 FROM schema_migrations WHERE version = ?').get(version);
      if (!again) {
        db.exec(MIGRATIONS[version - 1]!);
        db.prepare('INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)').run(version, Date.now());
      }
      db.exec('COMMIT');
    } catch (err) {
      db.exec('ROLLBACK');
      throw err;
    }
  }
}
