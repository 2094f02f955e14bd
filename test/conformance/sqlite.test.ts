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
