// SqliteUsageStore over the daily roll-up: sums per day, key, team and model in any combination, filters, '' read
// back as null, and no SQL built from what a caller gives.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DatabaseSync } from 'node:sqlite';
import { databasePath, openDatabase } from '../../src/stores/sqlite/database.ts';
import { SqliteUsageStore } from '../../src/stores/sqlite/usage-store.ts';
import { isUtcDay, type UsageGroup } from '../../src/stores/usage-store.ts';

// day, key, team, model, requests, errors, prompt, completion, cached, reasoning, cost, cache hits, saved
// (Amounts exact in binary, so sums compare exactly.)
type Seed = [string, string, string, string, number, number, number, number, number, number, number, number, number];
const SEED: Seed[] = [
  ['2026-03-01', 'key_a', 'team_1', 'gpt-4o', 10, 1, 1000, 500, 100, 0, 0.5, 2, 0.125],
  ['2026-03-01', 'key_b', 'team_1', 'gpt-4o-mini', 20, 0, 2000, 800, 0, 50, 0.25, 0, 0],
  ['2026-03-02', 'key_a', 'team_1', 'gpt-4o', 5, 0, 400, 100, 0, 0, 0.125, 1, 0.0625],
  ['2026-03-02', 'key_c', '', 'gpt-4o-mini', 3, 3, 0, 0, 0, 0, 0, 0, 0],
  ['2026-03-03', '', '', '', 1, 1, 0, 0, 0, 0, 0, 0, 0],
];

describe('SqliteUsageStore', () => {
  let dir: string;
  let db: DatabaseSync;
  let store: SqliteUsageStore;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'archway-usage-store-'));
    db = openDatabase(databasePath(dir));
    const insert = db.prepare(`INSERT INTO usage_daily (day, key_id, team_id, model, requests, errors, prompt_tokens, completion_tokens, cached_tokens,
      reasoning_tokens, cost_usd, cache_hits, saved_usd) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`);
    for (const row of SEED) insert.run(...row);
    store = new SqliteUsageStore(db);
  });
  after(() => {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('with no grouping: one row of totals', async () => {
    assert.deepEqual(await store.usage({ since: '2026-03-01', groupBy: [] }), [
      { requests: 39, errors: 5, prompt_tokens: 3400, completion_tokens: 1400, cached_tokens: 100, reasoning_tokens: 50, cost_usd: 0.875, cache_hits: 3, saved_usd: 0.1875 },
    ]);
  });

  it('nothing matched: no rows, not a row of zeros', async () => {
    assert.deepEqual(await store.usage({ since: '2026-04-01', groupBy: [] }), []);
    assert.deepEqual(await store.usage({ since: '2026-03-01', groupBy: ['model'], model: 'gpt-5' }), []);
  });

  it('per model, with none (stored as \'\') as null, ordered by the group', async () => {
    const rows = await store.usage({ since: '2026-03-01', groupBy: ['model'] });
    assert.deepEqual(
      rows.map((r) => [r.model, r.requests, r.cost_usd]),
      [
        [null, 1, 0],
        ['gpt-4o', 15, 0.625],
        ['gpt-4o-mini', 23, 0.25],
      ],
    );
    assert.deepEqual(Object.keys(rows[0]!).sort(), ['cache_hits', 'cached_tokens', 'completion_tokens', 'cost_usd', 'errors', 'model', 'prompt_tokens', 'reasoning_tokens', 'requests', 'saved_usd']);
  });

  it('per day and team: only the group fields are present', async () => {
    const rows = await store.usage({ since: '2026-03-01', groupBy: ['day', 'team'] });
    assert.deepEqual(
      rows.map((r) => ({ day: r.day, team_id: r.team_id, requests: r.requests, key_id: r.key_id, model: r.model })),
      [
        { day: '2026-03-01', team_id: 'team_1', requests: 30, key_id: undefined, model: undefined },
        { day: '2026-03-02', team_id: null, requests: 3, key_id: undefined, model: undefined },
        { day: '2026-03-02', team_id: 'team_1', requests: 5, key_id: undefined, model: undefined },
        { day: '2026-03-03', team_id: null, requests: 1, key_id: undefined, model: undefined },
      ],
    );
  });

  it('since is inclusive, until exclusive; filters by key, team and model', async () => {
    assert.deepEqual((await store.usage({ since: '2026-03-02', until: '2026-03-03', groupBy: ['day'] })).map((r) => [r.day, r.requests]), [['2026-03-02', 8]]);
    assert.deepEqual((await store.usage({ since: '2026-03-01', groupBy: ['day'], keyId: 'key_a' })).map((r) => [r.day, r.requests]), [
      ['2026-03-01', 10],
      ['2026-03-02', 5],
    ]);
    assert.deepEqual((await store.usage({ since: '2026-03-01', groupBy: ['key'], teamId: 'team_1', model: 'gpt-4o-mini' })).map((r) => [r.key_id, r.requests]), [['key_b', 20]]);
  });

  it('refuses a malformed day and a group outside the list, and treats a hostile filter as a value', async () => {
    await assert.rejects(store.usage({ since: '2026-3-1', groupBy: [] }), RangeError);
    await assert.rejects(store.usage({ since: '2026-03-01', until: '2026-02-30', groupBy: [] }), RangeError);
    await assert.rejects(store.usage({ since: '2026-03-01', groupBy: ['key_id; DROP TABLE usage_daily' as UsageGroup] }), RangeError);
    assert.deepEqual(await store.usage({ since: '2026-03-01', groupBy: ['model'], model: "x' OR '1'='1" }), []);
    assert.equal((await store.usage({ since: '2026-03-01', groupBy: [] }))[0]!.requests, 39, 'the table is still there');
  });

  it('isUtcDay: only days that exist', () => {
    assert.deepEqual(['2026-03-01', '2024-02-29', '2026-02-29', '2026-13-01', '2026-03-1', ' 2026-03-01'].map(isUtcDay), [true, true, false, false, false, false]);
  });
});
