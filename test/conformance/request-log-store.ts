// The contract of a RequestLogStore, run against every implementation: each gets it with one line, e.g.
//   requestLogStoreConformance('postgres', () => openPostgresRequestLog(url));
// `open` must return a new, empty store each time; the suite closes every store it opens.
import { describe, it, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import type { RequestLogRow, RequestLogStore } from '../../src/stores/request-log.ts';

const T = 1_700_000_000_000;

export function logRow(id: string, overrides: Partial<RequestLogRow> = {}): RequestLogRow {
  return {
    id,
    ts: T,
    keyId: 'key_a',
    teamId: null,
    endpoint: '/v1/chat/completions',
    model: 'gpt-4o-mini',
    backend: 'simulator-primary',
    attempts: 1,
    stream: false,
    status: 200,
    latencyMs: 12.5,
    ttftMs: null,
    promptTokens: 10,
    completionTokens: 20,
    cachedTokens: null,
    reasoningTokens: null,
    costUsd: 0.000015,
    cache: null,
    savedUsd: null,
    error: null,
    ...overrides,
  };
}

const ids = (rows: readonly RequestLogRow[]): string[] => rows.map((r) => r.id);

export function requestLogStoreConformance(name: string, open: () => Promise<RequestLogStore>): void {
  describe(`RequestLogStore conformance: ${name}`, () => {
    let store: RequestLogStore;
    beforeEach(async () => {
      store = await open();
    });
    afterEach(async () => {
      await store.close();
    });

    it('starts empty', async () => {
      assert.equal(await store.count(), 0);
      assert.deepEqual(await store.query({}), []);
    });

    it('stores rows exactly as given, every field and type', async () => {
      const full = logRow('req_full', { stream: true, ttftMs: 3.25, attempts: 3, backend: 'b-2', error: null, cachedTokens: 4, reasoningTokens: 7, cache: 'semantic', savedUsd: 0.25 });
      const sparse = logRow('req_sparse', {
        ts: T - 1,
        keyId: null,
        model: null,
        backend: null,
        status: 502,
        latencyMs: 0,
        ttftMs: null,
        promptTokens: null,
        completionTokens: null,
        costUsd: null,
        error: 'upstream answered HTTP 502: "bad gateway" ✗',
      });
      await store.insertBatch([full, sparse]);
      assert.equal(await store.count(), 2);
      assert.deepEqual(await store.query({}), [full, sparse]);
    });

    it('returns the newest first, ties by id', async () => {
      await store.insertBatch([logRow('b', { ts: T }), logRow('c', { ts: T + 5 }), logRow('a', { ts: T }), logRow('d', { ts: T - 5 })]);
      assert.deepEqual(ids(await store.query({})), ['c', 'a', 'b', 'd']);
    });

    it('filters by since (inclusive), key and model, alone and together', async () => {
      await store.insertBatch([
        logRow('old', { ts: T - 100, keyId: 'key_a', model: 'm1' }),
        logRow('edge', { ts: T, keyId: 'key_b', model: 'm1' }),
        logRow('new', { ts: T + 100, keyId: 'key_a', model: 'm2' }),
        logRow('anon', { ts: T + 200, keyId: null, model: null }),
      ]);
      assert.deepEqual(ids(await store.query({ since: T })), ['anon', 'new', 'edge']);
      assert.deepEqual(ids(await store.query({ since: T + 201 })), []);
      assert.deepEqual(ids(await store.query({ keyId: 'key_a' })), ['new', 'old']);
      assert.deepEqual(ids(await store.query({ keyId: 'key_none' })), []);
      assert.deepEqual(ids(await store.query({ model: 'm1' })), ['edge', 'old']);
      assert.deepEqual(ids(await store.query({ keyId: 'key_a', model: 'm1' })), ['old']);
      assert.deepEqual(ids(await store.query({ since: T, keyId: 'key_a' })), ['new']);
      assert.deepEqual(ids(await store.query({ since: T - 100, keyId: 'key_b', model: 'm1' })), ['edge']);
      assert.deepEqual(ids(await store.query({ until: T })), ['old']);
      assert.deepEqual(ids(await store.query({ until: T + 101 })), ['new', 'edge', 'old']);
    });

    it('filters by team, and finds one row by id', async () => {
      await store.insertBatch([logRow('t1', { teamId: 'team_a' }), logRow('t2', { teamId: 'team_b' }), logRow('t3', { teamId: 'team_a', ts: T + 1 })]);
      assert.deepEqual(ids(await store.query({ teamId: 'team_a' })), ['t3', 't1']);
      assert.deepEqual(ids(await store.query({ teamId: 'team_c' })), []);
      assert.equal((await store.get('t2'))?.teamId, 'team_b');
      assert.equal(await store.get('nope'), undefined);
    });

    it('limits to the newest rows that match', async () => {
      await store.insertBatch(Array.from({ length: 10 }, (_, i) => logRow(`r${i}`, { ts: T + i, model: i % 2 === 0 ? 'even' : 'odd' })));
      assert.deepEqual(ids(await store.query({ limit: 3 })), ['r9', 'r8', 'r7']);
      assert.deepEqual(ids(await store.query({ limit: 1, model: 'even' })), ['r8']);
      assert.deepEqual(ids(await store.query({ limit: 50, model: 'odd' })), ['r9', 'r7', 'r5', 'r3', 'r1']);
    });

    it('ignores a row whose id is already stored: the first one stays', async () => {
      await store.insertBatch([logRow('dup', { status: 200 })]);
      await store.insertBatch([logRow('dup', { status: 500, error: 'replayed' }), logRow('fresh')]);
      assert.equal(await store.count(), 2);
      const dup = (await store.query({})).find((r) => r.id === 'dup');
      assert.equal(dup?.status, 200);
      assert.equal(dup?.error, null);
      // A batch replayed whole (after a crash) changes nothing and does not fail.
      await store.insertBatch([logRow('dup'), logRow('fresh')]);
      assert.equal(await store.count(), 2);
    });

    it('ignores a repeated id within one batch', async () => {
      await store.insertBatch([logRow('x', { status: 201 }), logRow('x', { status: 500 }), logRow('y')]);
      assert.equal(await store.count(), 2);
      assert.equal((await store.query({})).find((r) => r.id === 'x')?.status, 201);
    });

    it('accepts an empty batch', async () => {
      await store.insertBatch([]);
      assert.equal(await store.count(), 0);
      await store.insertBatch([logRow('one')]);
      await store.insertBatch([]);
      assert.equal(await store.count(), 1);
    });

    it('stores a large batch whole', async () => {
      const rows = Array.from({ length: 2_000 }, (_, i) => logRow(`bulk-${String(i).padStart(4, '0')}`, { ts: T + i }));
      await store.insertBatch(rows);
      assert.equal(await store.count(), 2_000);
      assert.deepEqual(ids(await store.query({ since: T + 1_998 })), ['bulk-1999', 'bulk-1998']);
    });
  });
}
