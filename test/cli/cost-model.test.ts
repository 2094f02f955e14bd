// `archway cost-model` run as an operator runs it: the sample scenario's table against the hand calculation, bad
// scenarios refused with exit 2 and the path of each problem, and a projection from usage seeded in the database.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { CostTable } from '../../src/cost-model/compute.ts';
import { databasePath, openDatabase } from '../../src/stores/sqlite/database.ts';
import { utcDay } from '../../src/stores/usage-store.ts';
import { runCli, type RunResult } from '../helpers/cli.ts';
import { tempDir } from '../helpers/gateway.ts';
import { assertMatchesHandCalculation, near, SAMPLE_SCENARIO } from '../helpers/cost-sample.ts';

const DAY_MS = 86_400_000;

// `chat` has a price in the config (with a cached rate); gpt-4o-mini is priced from the shipped table.
const CONFIG_YAML = (dataDir: string) => `data_dir: ${JSON.stringify(dataDir)}
pricing:
  chat: { input: 1, cached_input: 0.5, output: 2 }
models:
  chat:
    backends:
      - { provider: simulator }
  gpt-4o-mini:
    backends:
      - { provider: simulator }
`;

function workspace(prefix: string): { dir: string; dataDir: string; run: (...args: string[]) => Promise<RunResult>; remove: () => void } {
  const dir = tempDir(prefix);
  const dataDir = join(dir.path, 'data');
  const config = join(dir.path, 'archway.yaml');
  writeFileSync(config, CONFIG_YAML(dataDir));
  return { dir: dir.path, dataDir, run: (...args) => runCli([...args, '--config', config], { cwd: dir.path, env: { ARCHWAY_DATA_DIR: '' } }), remove: dir.remove };
}

describe('archway cost-model SCENARIO.yaml', () => {
  const ws = workspace('archway-cost-model-');
  after(() => ws.remove());
  const sample = fileURLToPath(SAMPLE_SCENARIO);

  test('--json: the sample scenario matches the hand calculation', async () => {
    const res = await ws.run('cost-model', sample, '--json');
    assert.equal(res.code, 0, res.stderr);
    assertMatchesHandCalculation(JSON.parse(res.stdout) as CostTable);
  });

  test('the table: the hand-calculated figures, rounded to the cent', async () => {
    const res = await ws.run('cost-model', sample);
    assert.equal(res.code, 0, res.stderr);
    const lines = res.stdout.split('\n');
    const row = (first: string) => lines.find((l) => l.startsWith(`${first} `))?.split(/\s{2,}/);
    assert.match(lines[0]!, /^Cost model: support assistant: 20,000 requests\/day × 30 days = 600,000 requests\/month$/);
    // model, share, requests, input tokens, output tokens, cache hit rate, upstream requests, pay-as-you-go, cache saves, price
    assert.deepEqual(row('gpt-4o-mini')?.slice(0, 9), ['gpt-4o-mini', '70.0 %', '420,000', '630,000,000', '126,000,000', '20.0 %', '336,000', '117.18', '29.30']);
    assert.deepEqual(row('gpt-4o')?.slice(0, 9), ['gpt-4o', '25.0 %', '150,000', '450,000,000', '90,000,000', '20.0 %', '120,000', '1,620.00', '405.00']);
    assert.deepEqual(row('support-finetune')?.slice(0, 9), ['support-finetune', '5.0 %', '30,000', '45,000,000', '9,000,000', '20.0 %', '24,000', '19.44', '4.86']);
    assert.deepEqual(row('total'), ['total', '100.0 %', '600,000', '1,125,000,000', '225,000,000', '20.0 %', '480,000', '1,756.62', '439.16']);
    assert.match(res.stdout, /^Provisioned \(gpt-4o\): 4 units × 5,000 TPM = 20,000 TPM, 1,400\.00 USD\/month$/m);
    assert.match(res.stdout, /10,000 TPM on average, 20,000 at peak \(peak_factor 2\); needs 4 units: fits/);
    assert.match(res.stdout, /1,620\.00 USD\/month for the same traffic: provisioned saves 220\.00 USD\/month/);
    assert.match(res.stdout, /break-even: +4,321 requests\/day to gpt-4o \(now 5,000\), i\.e\. 43\.2 % average use of the units \(now 50\.0 %; at most 50\.0 %/);
  });

  test('a bad scenario: exit 2, each problem with its path', async () => {
    const bad = join(ws.dir, 'bad.yaml');
    writeFileSync(bad, 'requests_per_day: 100\ninput_tokens: 10\noutput_tokens: 5\nmodels:\n  - { model: gpt-4o, share: 0.5 }\n  - { model: in-house, share: 0.4 }\n');
    const res = await ws.run('cost-model', bad);
    assert.equal(res.code, 2);
    assert.equal(res.stdout, '');
    assert.match(res.stderr, new RegExp(`^archway: invalid scenario ${bad.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:\n`));
    assert.match(res.stderr, /\n {2}- models: the shares must add up to 1; they add up to 0\.9 \(gpt-4o 0\.5 \+ in-house 0\.4\)\n/);
    assert.match(res.stderr, /\n {2}- models\[1\]\.price: is required: "in-house" is not in the shipped price table .*add price:/);

    writeFileSync(bad, 'requests_per_day: 100\ninput_tokens: 10\noutput_tokens: 5\ncache_hit_rate: 2\nmodels: [{ model: gpt-4o, share: 1 }]\n');
    const schema = await ws.run('cost-model', bad);
    assert.equal(schema.code, 2);
    assert.match(schema.stderr, /- cache_hit_rate: must be <= 1/);

    const missing = await ws.run('cost-model', join(ws.dir, 'nope.yaml'));
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /cannot read the scenario .*nope\.yaml/);
  });

  test('usage mistakes exit 2', async () => {
    for (const args of [['cost-model'], ['cost-model', sample, '--from-logs'], ['cost-model', sample, '--days', '7'], ['cost-model', '--from-logs', '--days', 'a week'], ['cost-model', sample, '--bogus']]) {
      const res = await ws.run(...args);
      assert.equal(res.code, 2, `${args.join(' ')}: ${res.stderr}`);
      assert.match(res.stderr, /^archway: /);
    }
  });
});

describe('archway cost-model --from-logs', () => {
  const ws = workspace('archway-cost-model-logs-');
  const now = Date.now();
  const day = (ago: number) => utcDay(now - ago * DAY_MS);
  before(() => {
    const db = openDatabase(databasePath(ws.dataDir));
    try {
      const insert = db.prepare(`INSERT INTO usage_daily (day, key_id, team_id, model, requests, errors, prompt_tokens, completion_tokens, cached_tokens,
        reasoning_tokens, cost_usd, cache_hits, saved_usd) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`);
      // Outside a 7-day window: must not count.
      insert.run(day(10), 'key_1', '', 'chat', 5000, 0, 9_000_000, 9_000_000, 0, 0, 50, 0, 0);
      // chat: 110 + 200 requests, 10 failed → 300 answered; 300,000 in (60,000 from the prompt cache), 60,000 out;
      // 60 gateway cache hits.
      insert.run(day(2), 'key_1', '', 'chat', 110, 10, 150_000, 30_000, 0, 0, 0.15, 30, 0.04);
      insert.run(day(0), 'key_1', 'team_1', 'chat', 200, 0, 150_000, 30_000, 60_000, 0, 0.15, 30, 0.04);
      // gpt-4o-mini: 300 answered; 150,000 in, 30,000 out.
      insert.run(day(1), 'key_2', '', 'gpt-4o-mini', 300, 0, 150_000, 30_000, 0, 0, 0.12, 0, 0);
    } finally {
      db.close();
    }
  });
  after(() => ws.remove());

  test('projects a month from the last N days, by hand', async () => {
    // Traffic from day(2) to today: 3 days observed; 600 answered → 200 requests/day → 6,000 a month.
    // chat: share 300/600 = 0.5 → 3,000 a month; 1,000 in and 200 out per request; cached 60,000/300,000 = 0.2 of
    //   the input; cache hits 60/300 = 0.2 → 600 hits, 2,400 upstream.
    //   per request: 800 × 1 + 200 × 0.5 + 200 × 2 = 1,300 per 1M = 0.0013 USD → 2,400 × 0.0013 = 3.12; saves 0.78
    // gpt-4o-mini: share 0.5 → 3,000; 500 in and 100 out; no hits.
    //   per request: 500 × 0.15 + 100 × 0.6 = 135 per 1M = 0.000135 USD → 3,000 × 0.000135 = 0.405
    // Total pay-as-you-go 3.525; cache saves 0.78.
    const res = await ws.run('cost-model', '--from-logs', '--days', '7', '--json');
    assert.equal(res.code, 0, res.stderr);
    const table = JSON.parse(res.stdout) as CostTable;
    near(table.requests_per_day, 200, 'requests/day');
    assert.equal(table.days_per_month, 30);
    const chat = table.models.find((m) => m.model === 'chat')!;
    const mini = table.models.find((m) => m.model === 'gpt-4o-mini')!;
    near(chat.share, 0.5, 'chat share');
    near(chat.input_tokens_per_request, 1000, 'chat input/request');
    near(chat.output_tokens_per_request, 200, 'chat output/request');
    near(chat.cached_input_share, 0.2, 'chat cached input');
    near(chat.cache_hit_rate, 0.2, 'chat cache hit rate');
    assert.equal(chat.price_source, 'config');
    near(chat.upstream_requests_per_month, 2400, 'chat upstream');
    near(chat.pay_as_you_go_usd, 3.12, 'chat pay-as-you-go');
    near(chat.cache_savings_usd, 0.78, 'chat cache savings');
    near(mini.input_tokens_per_request, 500, 'mini input/request');
    near(mini.pay_as_you_go_usd, 0.405, 'mini pay-as-you-go');
    assert.match(mini.price_source, /^shipped /);
    near(table.total.pay_as_you_go_usd, 3.525, 'total');
    near(table.total.cache_savings_usd, 0.78, 'total savings');
    // Logged: 0.42 USD over 3 days = 0.14 a day = 4.20 a month.
    assert.match(table.notes.join('\n'), new RegExp(`projected from 600 answered requests over 3 days \\(${day(2)} to ${day(0)}, UTC\\); 10 failed requests left out`));
    assert.match(table.notes.join('\n'), /as logged: 0\.42 USD, 4\.20 USD a month at that rate/);
  });

  test('the text table', async () => {
    const res = await ws.run('cost-model', '--from-logs', '--days', '7');
    assert.equal(res.code, 0, res.stderr);
    assert.match(res.stdout, new RegExp(`^Cost model: observed traffic, ${day(2)} to ${day(0)}: 200 requests/day × 30 days = 6,000 requests/month`));
    assert.match(res.stdout, /\ntotal +100\.0 % +6,000 .* 3\.53 +0\.78\n/);
  });

  test('no traffic in the window: it says so (exit 1)', async () => {
    const empty = workspace('archway-cost-model-empty-');
    try {
      openDatabase(databasePath(empty.dataDir)).close();
      const res = await empty.run('cost-model', '--from-logs', '--days', '3');
      assert.equal(res.code, 1);
      assert.match(res.stderr, /^archway: no answered requests in the last 3 days \(since \d{4}-\d{2}-\d{2}, UTC\): nothing to project from/);
    } finally {
      empty.remove();
    }
  });
});
