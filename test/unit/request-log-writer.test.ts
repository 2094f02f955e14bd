// The request log's writer and its thread, on a real SQLite file: a row is committed when its append resolves (which
// is what lets a response wait for it), rows appended together are committed once each, and nothing is left
// uncommitted by close.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { databasePath, openDatabase } from '../../src/stores/sqlite/database.ts';
import { SqliteRequestLogWriter } from '../../src/stores/sqlite/request-log-writer.ts';
import { createLogger } from '../../src/observability/logger.ts';
import { newRequestId } from '../../src/server/request-id.ts';
import type { RequestLogRow } from '../../src/stores/request-log.ts';

const dirs: string[] = [];
after(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

function freshDatabase(): string {
  const dir = mkdtempSync(join(tmpdir(), 'archway-writer-'));
  dirs.push(dir);
  const path = databasePath(dir);
  openDatabase(path).close(); // migrated, as the gateway does before it starts the writer
  return path;
}

function row(status = 200): RequestLogRow {
  return {
    id: newRequestId(),
    ts: Date.now(),
    keyId: 'key_1',
    teamId: null,
    endpoint: '/v1/chat/completions',
    model: 'gpt-4o-mini',
    backend: 'mock',
    attempts: 1,
    stream: false,
    status,
    latencyMs: 1.5,
    ttftMs: null,
    promptTokens: 10,
    completionTokens: 5,
    cachedTokens: null,
    reasoningTokens: null,
    costUsd: 0.0001,
    cache: null,
    savedUsd: null,
    error: null,
  };
}

/** What another connection (a reader, another process) sees committed. */
function committedIds(path: string): Set<string> {
  const db = new DatabaseSync(path, { readOnly: true });
  try {
    return new Set(db.prepare('SELECT id FROM request_log').all().map((r) => String(r.id)));
  } finally {
    db.close();
  }
}

describe('SqliteRequestLogWriter', () => {
  it('a row is committed, for every other connection, by the time its append resolves', async () => {
    const path = freshDatabase();
    const writer = new SqliteRequestLogWriter(path, createLogger('silent'));
    try {
      for (let i = 0; i < 5; i++) {
        const r = row();
        await writer.append(r);
        assert.ok(committedIds(path).has(r.id), `row ${i} not committed when its append resolved`);
      }
    } finally {
      await writer.close();
    }
  });

  it('rows appended while others are in flight are batched, and each is committed once', async () => {
    const path = freshDatabase();
    let inFlight = 0;
    const writer = new SqliteRequestLogWriter(path, createLogger('silent'), (rows) => inFlight > rows);
    try {
      const rows = Array.from({ length: 500 }, (_, i) => row(i % 7 === 0 ? 503 : 200));
      inFlight = rows.length;
      await Promise.all(
        rows.map(async (r) => {
          await writer.append(r);
          inFlight--;
          assert.ok(committedIds(path).has(r.id));
        }),
      );
      const db = new DatabaseSync(path, { readOnly: true });
      try {
        assert.equal(Number(db.prepare('SELECT count(*) AS n FROM request_log').get()!.n), 500);
        // The roll-up counted each row once.
        const usage = db.prepare('SELECT sum(requests) AS requests, sum(errors) AS errors FROM usage_daily').get()!;
        assert.equal(Number(usage.requests), 500);
        assert.equal(Number(usage.errors), rows.filter((r) => r.status >= 400).length);
      } finally {
        db.close();
      }
    } finally {
      await writer.close();
    }
  });

  it('close commits what was appended, and a row appended after it is refused, not left hanging', async () => {
    const path = freshDatabase();
    const writer = new SqliteRequestLogWriter(path, createLogger('silent'), () => true);
    const pending = Array.from({ length: 20 }, () => row());
    const appended = pending.map((r) => writer.append(r));
    await writer.close();
    await Promise.all(appended);
    const ids = committedIds(path);
    for (const r of pending) assert.ok(ids.has(r.id));
    await writer.append(row()); // resolves (the row is dropped and logged): a closed log must not hold a response
  });
});
