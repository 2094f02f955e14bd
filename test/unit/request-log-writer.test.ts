// The request log's writer and its thread, on a real SQLite file: a row is durable (in the journal) when its append
// resolves, which is what lets a response wait for it; it is in the tables after a flush, or by itself soon after;
// rows appended together are stored once each; close leaves nothing behind; and a journal left by a process that died
// is taken in at the next start, once.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { DatabaseSync, type SQLInputValue, type SQLOutputValue } from 'node:sqlite';
import { Session } from 'node:inspector/promises';
import { databasePath, openDatabase } from '../../src/stores/sqlite/database.ts';
import { journalsInUse, SqliteRequestLogWriter } from '../../src/stores/sqlite/request-log-writer.ts';
import { journalChunks, recoverJournals } from '../../src/stores/sqlite/request-log-journal.js';
import { prepareStatements } from '../../src/stores/sqlite/request-log-sql.js';
import { rowToTuple } from '../../src/stores/sqlite/request-log-wire.ts';
import { createLogger, type Logger } from '../../src/observability/logger.ts';
import { newRequestId } from '../../src/server/request-id.ts';
import type { RequestLogRow } from '../../src/stores/request-log.ts';
import { tempDir } from '../helpers/gateway.ts';
import { eventually } from '../helpers/eventually.ts';

const dirs: { remove: () => void }[] = [];
after(() => {
  for (const dir of dirs) dir.remove();
});

function freshDatabase(): string {
  const dir = tempDir('archway-writer-');
  dirs.push(dir);
  const path = databasePath(dir.path);
  openDatabase(path).close(); // migrated, as the gateway does before it starts the writer
  return path;
}

function row(status = 200, keyId = 'key_1'): RequestLogRow {
  return {
    id: newRequestId(),
    ts: Date.now(),
    keyId,
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

/** One row of a query on the tables, read through a connection of its own, as another process would. */
function selectOne(path: string, sql: string, ...params: SQLInputValue[]): Record<string, SQLOutputValue> {
  const db = new DatabaseSync(path, { readOnly: true });
  try {
    return db.prepare(sql).get(...params)!;
  } finally {
    db.close();
  }
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

/** What the journals in the database's directory hold. */
function journaled(path: string): string {
  const dir = dirname(path);
  return readdirSync(dir)
    .filter((f) => f.endsWith('.journal'))
    .map((f) => readFileSync(join(dir, f), 'utf8'))
    .join('');
}

interface WriterOptions {
  othersInFlight?: (rows: number) => boolean;
  batchIntervalMs?: number;
  log?: Logger;
}

/** `use` with a writer on a fresh database (and that database's path); the writer is closed after, whatever happens. */
async function withWriter(use: (writer: SqliteRequestLogWriter, path: string) => Promise<void>, options: WriterOptions = {}): Promise<void> {
  const path = freshDatabase();
  const writer = new SqliteRequestLogWriter(path, options.log ?? createLogger('silent'), options.othersInFlight, options.batchIntervalMs);
  try {
    await use(writer, path);
  } finally {
    await writer.close();
  }
}

describe('SqliteRequestLogWriter', () => {
  it('a row is in the journal by the time its append resolves, and in the tables after a flush', () =>
    withWriter(async (writer, path) => {
      for (let i = 0; i < 5; i++) {
        const r = row();
        await writer.append(r);
        assert.ok(journaled(path).includes(r.id) || committedIds(path).has(r.id), `row ${i} not durable when its append resolved`);
        await writer.flush();
        assert.ok(committedIds(path).has(r.id), `row ${i} not in the tables after a flush`);
      }
    }));

  it('journaled rows reach the tables by themselves, without a flush', () =>
    withWriter(async (writer, path) => {
      const r = row();
      await writer.append(r);
      await eventually('the row reaches the tables', () => (committedIds(path).has(r.id) ? true : undefined));
    }));

  it('rows appended while others are in flight are each stored once, and counted once in the roll-up', async () => {
    let inFlight = 0;
    await withWriter(async (writer, path) => {
      const rows = Array.from({ length: 500 }, (_, i) => row(i % 7 === 0 ? 503 : 200));
      inFlight = rows.length;
      await Promise.all(
        rows.map(async (r) => {
          await writer.append(r);
          inFlight--;
        }),
      );
      await writer.flush();
      assert.equal(Number(selectOne(path, 'SELECT count(*) AS n FROM request_log').n), 500);
      // The roll-up counted each row once.
      const usage = selectOne(path, 'SELECT sum(requests) AS requests, sum(errors) AS errors FROM usage_daily');
      assert.equal(Number(usage.requests), 500);
      assert.equal(Number(usage.errors), rows.filter((r) => r.status >= 400).length);
    }, { othersInFlight: (rows) => inFlight > rows });
  });

  // Batches are held for rows still to come only while some request in flight has not appended its row yet. The
  // interval here is a minute: a batch held for it fails the test, which allows seconds.
  const sentWithin = async (appended: Promise<unknown>[], what: string): Promise<void> => {
    let timer: NodeJS.Timeout | undefined;
    const held = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what}: the batch was held for the interval`)), 5_000)));
    try {
      await Promise.race([Promise.all(appended), held]);
    } finally {
      clearTimeout(timer);
    }
  };

  /** Three requests, each ending once its row is durable, as the gateway's do; batches spaced a minute apart. */
  const withThreeRequests = (use: (request: () => Promise<void>) => Promise<void>): Promise<void> => {
    let inFlight = 3;
    return withWriter((writer) => use(() => writer.append(row()).then(() => void inFlight--)), { othersInFlight: (rows) => inFlight > rows, batchIntervalMs: 60_000 });
  };

  it('sends the next batch at once when the requests still in flight all wait on the log', () =>
    withThreeRequests(async (request) => {
      const first = request();
      await new Promise((resolve) => setImmediate(resolve)); // the first batch is on its way
      // The other two join the next batch; when the first is acknowledged its request is still being answered, and
      // the other two wait on the log: nobody is left to append.
      await sentWithin([first, request(), request()], 'after an acknowledgement');
    }));

  it('sends a held batch as soon as the last request in flight appends its row', () =>
    withThreeRequests(async (request) => {
      await request();
      const second = request(); // held: a third request is still in flight
      await new Promise((resolve) => setImmediate(resolve));
      await sentWithin([second, request()], 'after the last append');
    }));

  it('stores a row whose stored content is tens of megabytes (its batch is too big for a small capped heap)', () =>
    withWriter(async (writer, path) => {
      const big = { ...row(), content: { kid: 'kid_1', request: Buffer.alloc(30 * 1024 * 1024, 1), response: Buffer.alloc(30 * 1024 * 1024, 2) } };
      await writer.append(big);
      await writer.flush();
      const stored = selectOne(path, 'SELECT length(request) AS request, length(response) AS response FROM request_content WHERE id = ?', big.id);
      assert.deepEqual([Number(stored.request), Number(stored.response)], [30 * 1024 * 1024, 30 * 1024 * 1024]);
    }));

  it('stores rows whose batch fits the shared buffer only once measured (multi-byte text near its size)', () =>
    withWriter(async (writer, path) => {
      // About 200 KB of JSON: three bytes per character would not fit 256 KB, the measured length does.
      const near = { ...row(), error: 'é'.repeat(60_000) + 'x'.repeat(70_000) };
      await writer.append(near);
      await writer.flush();
      assert.equal(selectOne(path, 'SELECT error FROM request_log WHERE id = ?', near.id).error, near.error);
    }));

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
    assert.equal(journaled(path), '', 'a closed writer leaves no journal behind');
  });
});

describe('SqliteRequestLogWriter while another connection holds the write lock', () => {
  it('keeps acknowledging rows (they wait in the journal) and stores each once after', async () => {
    let inFlight = 0;
    let failuresLogged = 0;
    const logs = { write: (line: string) => void (failuresLogged += line.includes('request log batch failed') ? 1 : 0) };
    await withWriter(async (writer, path) => {
      const blocker = new DatabaseSync(path);
      try {
        blocker.exec('BEGIN IMMEDIATE'); // a write transaction left open, as a stuck tool would
        const rows = Array.from({ length: 2_000 }, (_, i) => row(i % 5 === 0 ? 500 : 200, 'key_locked'));
        let slowest = 0;
        for (let i = 0; i < rows.length; i += 500) {
          const wave = rows.slice(i, i + 500);
          inFlight = wave.length;
          const started = performance.now();
          await Promise.all(wave.map((r) => writer.append(r).then(() => inFlight--)));
          slowest = Math.max(slowest, performance.now() - started);
        }
        // Each try at the tables gives up quickly instead of holding acknowledgements for SQLite's full busy timeout.
        assert.ok(slowest < 2_000, `a wave of appends took ${slowest.toFixed(0)} ms while the tables were locked`);
        const journal = journaled(path);
        assert.ok(rows.every((r) => journal.includes(r.id)), 'the rows wait in the journal');
        assert.equal(committedIds(path).size, 0);
        // Tried every 100 ms, reported once: a long lock does not flood the log. (Wait for the first report, then for
        // several more tries.)
        await eventually('the failing ingest is reported', () => (failuresLogged > 0 ? true : undefined));
        await new Promise((resolve) => setTimeout(resolve, 400));
        assert.equal(failuresLogged, 1);
        blocker.exec('ROLLBACK');
        await writer.flush();
        assert.equal(Number(selectOne(path, "SELECT count(*) AS n FROM request_log WHERE key_id = 'key_locked'").n), rows.length);
        const usage = selectOne(path, "SELECT sum(requests) AS requests, sum(errors) AS errors FROM usage_daily WHERE key_id = 'key_locked'");
        assert.deepEqual([Number(usage.requests), Number(usage.errors)], [rows.length, rows.length / 5]);
        assert.equal(journaled(path), '', 'the journal is emptied once its rows are in');
      } finally {
        blocker.close();
      }
    }, { othersInFlight: (rows) => inFlight > rows, log: createLogger('error', logs) });
  });
});

describe('SqliteRequestLogWriter when its thread dies', () => {
  /** Ends the writer's thread from outside, as a crash would, through the inspector's access to workers. */
  async function killWriterThread(): Promise<void> {
    const session = new Session();
    session.connect();
    try {
      const attached: { sessionId: string; workerInfo: { url: string } }[] = [];
      session.on('NodeWorker.attachedToWorker', (m) => attached.push(m.params as (typeof attached)[number]));
      await session.post('NodeWorker.enable', { waitForDebuggerOnStart: false });
      const thread = await eventually('the writer thread is found', () => attached.findLast((a) => a.workerInfo.url.endsWith('request-log-worker.js')));
      const message = JSON.stringify({ id: 1, method: 'Runtime.evaluate', params: { expression: 'process.exit(7)' } });
      await session.post('NodeWorker.sendMessageToWorker', { sessionId: thread.sessionId, message });
    } finally {
      session.disconnect();
    }
  }

  it('a new thread takes over its journal: rows it had acknowledged reach the tables, and new rows are taken', async () => {
    let restarts = 0;
    const logs = { write: (line: string) => void (restarts += line.includes('restarting it') ? 1 : 0) };
    await withWriter(async (writer, path) => {
      const blocker = new DatabaseSync(path);
      try {
        blocker.exec('BEGIN IMMEDIATE'); // the rows stay in the journal: only a thread that takes it over can put them in
        const before = Array.from({ length: 20 }, () => row(200, 'key_crash'));
        for (const r of before) await writer.append(r);
        await killWriterThread();
        await eventually('the writer starts a new thread', () => (restarts > 0 ? true : undefined));
        assert.equal(restarts, 1, 'the writer started one new thread');
        const after = Array.from({ length: 20 }, () => row(200, 'key_crash'));
        for (const r of after) await writer.append(r);
        blocker.exec('ROLLBACK');
        await writer.flush();
        const ids = committedIds(path);
        for (const r of [...before, ...after]) assert.ok(ids.has(r.id), `row ${r.id} lost`);
        const usage = selectOne(path, "SELECT sum(requests) AS requests FROM usage_daily WHERE key_id = 'key_crash'");
        assert.equal(Number(usage.requests), 40, 'each row counted once');
      } finally {
        blocker.close();
      }
    }, { log: createLogger('error', logs) });
  });
});

describe('journalChunks', () => {
  it('reads whole lines a chunk at a time, a line longer than a chunk included, from any offset', () => {
    const dir = tempDir('archway-journal-');
    dirs.push(dir);
    const file = join(dir.path, 'request-log.1.test.journal');
    const lines = ['["a"]', `["${'x'.repeat(100)}"]`, '["b"]', '["c"]'];
    writeFileSync(file, `${lines.join('\n')}\n["cut`);
    const chunks = [...journalChunks(file, 0, 16)];
    assert.deepEqual(chunks.flatMap((c) => c.lines), lines, 'every whole line once, in order; the cut last one left out');
    assert.ok(chunks.length > 1);
    const afterFirst = chunks[0]!.end;
    assert.deepEqual([...journalChunks(file, afterFirst, 16)].flatMap((c) => c.lines), lines.slice(chunks[0]!.lines.length));
    assert.deepEqual([...journalChunks(join(dir.path, 'none.journal'))], []);
  });
});

describe('recoverJournals', () => {
  it("takes in the journal of a process that is gone, once, and leaves a live writer's alone", async () => {
    const path = freshDatabase();
    const dir = dirname(path);
    // A pid that was running and is not any more: a child that has exited.
    const gonePid = spawnSync(process.execPath, ['-e', '0']).pid!;
    const stored = row(200, 'key_gone');
    const lost = [row(200, 'key_gone'), row(503, 'key_gone')];
    writeFileSync(join(dir, `request-log.${gonePid}.dead0001.journal`), `${JSON.stringify([rowToTuple(stored)])}\n${JSON.stringify(lost.map(rowToTuple))}\nnot json\n`);
    const live = new SqliteRequestLogWriter(path, createLogger('silent'));
    try {
      const pending = row();
      await live.append(pending); // durable in the live writer's journal, perhaps not yet in the tables
      const db = openDatabase(path);
      try {
        // `stored` is already in the tables (the process died between its commit and emptying the journal).
        prepareStatements(db).insert.run(...(rowToTuple(stored).slice(0, 20).map((v) => (typeof v === 'boolean' ? Number(v) : v)) as never[]));
        const recovered = recoverJournals(db, prepareStatements(db), path, journalsInUse);
        assert.deepEqual(recovered, { rows: 3, skipped: 1 });
        const ids = committedIds(path);
        for (const r of [stored, ...lost]) assert.ok(ids.has(r.id));
        assert.ok(!readdirSync(dir).some((f) => f.includes(`.${gonePid}.`)), 'the recovered journal is deleted');
        // (Its rows may have gone into the tables meanwhile; the file itself stays until the writer closes.)
        assert.ok(readdirSync(dir).some((f) => f.startsWith(`request-log.${process.pid}.`)), "the live writer's journal is left alone");
        // The roll-up counts the recovered rows, and `stored`, which was already there, not again.
        const usage = db.prepare("SELECT sum(requests) AS requests, sum(errors) AS errors FROM usage_daily WHERE key_id = 'key_gone'").get()!;
        assert.deepEqual([Number(usage.requests), Number(usage.errors)], [2, 1]);
      } finally {
        db.close();
      }
    } finally {
      await live.close();
    }
  });
});
