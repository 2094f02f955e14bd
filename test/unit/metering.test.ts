// Prices, periods and the daily roll-up: the arithmetic under every request's cost and every budget's reset.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { costOf, listedPrice, resolvePrice, worstCaseCost } from '../../src/metering/pricing.ts';
import { periodBounds } from '../../src/quota/budget-period.ts';
import { formatReset } from '../../src/quota/rate-limit-headers.ts';
import { databasePath, openDatabase } from '../../src/stores/sqlite/database.ts';
import { SqliteRequestLogStore } from '../../src/stores/sqlite/request-log-store.ts';
import { SqliteUsageStore } from '../../src/stores/sqlite/usage-store.ts';
import type { RequestLogRow } from '../../src/stores/request-log.ts';

describe('prices', () => {
  test('a dated or suffixed snapshot finds its family, the longest listed name first', () => {
    assert.deepEqual(listedPrice('gpt-4o-2024-08-06'), listedPrice('gpt-4o'));
    assert.deepEqual(listedPrice('gpt-4o-mini-2024-07-18'), listedPrice('gpt-4o-mini'), 'not gpt-4o');
    assert.deepEqual(listedPrice('claude-3-5-sonnet-20241022'), listedPrice('claude-3-5-sonnet'));
    assert.equal(listedPrice('gpt-4omni'), undefined, 'a prefix without its dash is another model');
    assert.equal(listedPrice('llama-3-70b'), undefined);
  });

  test("a backend's own price wins, then the config's by model name, then by upstream name, then the shipped one", () => {
    const own = { input: 1, output: 2 };
    const pricing = { chat: { input: 3, output: 4 }, 'gpt-4o': { input: 5, output: 6 } };
    assert.equal(resolvePrice(own, pricing, 'chat', 'gpt-4o'), own);
    assert.equal(resolvePrice(undefined, pricing, 'chat', 'gpt-4o'), pricing.chat);
    assert.equal(resolvePrice(undefined, pricing, 'other', 'gpt-4o'), pricing['gpt-4o']);
    assert.deepEqual(resolvePrice(undefined, {}, 'other', 'gpt-4o-mini'), listedPrice('gpt-4o-mini'));
    assert.equal(resolvePrice(undefined, {}, 'other', 'unknown'), undefined);
  });

  test('cost: cached prompt tokens at the cached rate, completion (reasoning included) at the output rate', () => {
    const price = { input: 2, cached_input: 0.5, output: 8 };
    // 1,000 prompt tokens of which 400 cached, 300 completion: 600 × 2 + 400 × 0.5 + 300 × 8 = 3,800 per million.
    assert.ok(Math.abs(costOf({ prompt_tokens: 1000, completion_tokens: 300, total_tokens: 1300, cached_tokens: 400, reasoning_tokens: 200 }, price) - 0.0038) < 1e-15);
    // Without a cached rate, cached tokens cost the input rate.
    assert.ok(Math.abs(costOf({ prompt_tokens: 1000, completion_tokens: 0, total_tokens: 1000, cached_tokens: 400 }, { input: 2, output: 8 }) - 0.002) < 1e-15);
    assert.ok(Math.abs(worstCaseCost(100, 50, price) - (100 * 2 + 50 * 8) / 1e6) < 1e-15);
  });
});

describe('budget periods (UTC)', () => {
  const at = (iso: string): number => Date.parse(iso);
  test('a day from midnight, a week from Monday, a month from its first day', () => {
    const wednesday = at('2026-11-25T15:30:00Z');
    assert.deepEqual(periodBounds('day', wednesday), { start: at('2026-11-25T00:00:00Z'), end: at('2026-11-26T00:00:00Z') });
    assert.deepEqual(periodBounds('week', wednesday), { start: at('2026-11-23T00:00:00Z'), end: at('2026-11-30T00:00:00Z') });
    assert.deepEqual(periodBounds('week', at('2026-11-29T23:59:59Z')), { start: at('2026-11-23T00:00:00Z'), end: at('2026-11-30T00:00:00Z') }, 'Sunday ends the week');
    assert.deepEqual(periodBounds('month', at('2026-12-31T23:00:00Z')), { start: at('2026-12-01T00:00:00Z'), end: at('2027-01-01T00:00:00Z') });
  });
});

test('reset durations are written as OpenAI writes them', () => {
  assert.equal(formatReset(350.2), '351ms');
  assert.equal(formatReset(1500), '1.5s');
  assert.equal(formatReset(360_000), '6m0s');
  assert.equal(formatReset(-5), '0ms');
});

test('the daily roll-up counts a row once, even when its batch is written again after a writer crash', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'archway-rollup-'));
  try {
    const db = openDatabase(databasePath(dir));
    const log = new SqliteRequestLogStore(db);
    const row = (id: string, ts: number, extra: Partial<RequestLogRow> = {}): RequestLogRow => ({
      id, ts, keyId: 'key_1', teamId: 'team_1', endpoint: '/v1/chat/completions', model: 'm', backend: 'b', attempts: 1, stream: false, status: 200,
      latencyMs: 1, ttftMs: null, promptTokens: 10, completionTokens: 5, cachedTokens: 2, reasoningTokens: 1, costUsd: 0.5, cache: null, savedUsd: null, error: null, ...extra,
    });
    const day1 = Date.parse('2026-11-23T10:00:00Z');
    const day2 = Date.parse('2026-11-24T00:00:01Z');
    const batch = [row('a', day1), row('b', day1, { status: 429, costUsd: 0, promptTokens: null, completionTokens: null, cachedTokens: null, reasoningTokens: null }), row('c', day2, { cache: 'exact', costUsd: 0, savedUsd: 0.25 })];
    await log.insertBatch(batch);
    await log.insertBatch(batch);
    await log.insertBatch([row('m', day1, { endpoint: '/v1/models', model: null })]);
    const usage = await new SqliteUsageStore(db).usage({ since: '2026-11-01', groupBy: ['day'] });
    assert.deepEqual(
      usage.map((u) => [u.day, u.requests, u.errors, u.prompt_tokens, u.completion_tokens, u.cached_tokens, u.reasoning_tokens, u.cost_usd, u.cache_hits, u.saved_usd]),
      [
        ['2026-11-23', 2, 1, 10, 5, 2, 1, 0.5, 0, 0],
        ['2026-11-24', 1, 0, 10, 5, 2, 1, 0, 1, 0.25],
      ],
      'the batch written twice counts once; the model list is not usage',
    );
    db.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
