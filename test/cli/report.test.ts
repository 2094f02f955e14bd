// `archway report usage` over a seeded daily roll-up, and `archway report utilization` over a seeded request log:
// one backend paying for capacity it hardly uses (idle), one at its concurrency limit and one whose model was
// throttled (saturated), and one with spare room that costs nothing (not flagged).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { newRequestId } from '../../src/server/request-id.ts';
import { databasePath, openDatabase } from '../../src/stores/sqlite/database.ts';
import { SqliteDirectoryStore } from '../../src/stores/sqlite/directory-store.ts';
import { SqliteKeyStore } from '../../src/stores/sqlite/key-store.ts';
import type { UsageRow } from '../../src/stores/usage-store.ts';
import { utcDay } from '../../src/stores/usage-store.ts';
import type { BackendUtilization, UtilizationReport } from '../../src/cost-model/utilization.ts';
import { runCli, type RunResult } from '../helpers/cli.ts';
import { startGateway, tempDir } from '../helpers/gateway.ts';
import { bearer, post } from '../helpers/http.ts';

const DAY_MS = 86_400_000;
const MINUTE_MS = 60_000;

const CONFIG_YAML = (dataDir: string) => `data_dir: ${JSON.stringify(dataDir)}
pricing:
  chat: { input: 1, output: 2 }
models:
  chat:
    backends:
      - { name: ptu, provider: simulator, max_concurrency: 10, capacity: { tpm: 100000, monthly_usd: 3000 } }
      - { name: paygo, provider: simulator, priority: 1, max_concurrency: 4 }
  other:
    backends:
      - { name: spare, provider: simulator }
  quiet:
    backends:
      - { name: fallback, provider: simulator }
`;

const workspace = (() => {
  const dir = tempDir('archway-report-');
  const dataDir = join(dir.path, 'data');
  const config = join(dir.path, 'archway.yaml');
  writeFileSync(config, CONFIG_YAML(dataDir));
  return { dataDir, run: (...args: string[]): Promise<RunResult> => runCli([...args, '--config', config], { cwd: dir.path, env: { ARCHWAY_DATA_DIR: '' } }), remove: dir.remove };
})();

const now = Date.now();
const day = (ago: number) => utcDay(now - ago * DAY_MS);
let keyId = '';
let teamId = '';

before(async () => {
  const db = openDatabase(databasePath(workspace.dataDir));
  try {
    teamId = (await new SqliteDirectoryStore(db).createTeam({ name: 'research' })).id;
    keyId = (await new SqliteKeyStore(db).create({ name: 'svc-a', teamId })).record.id;
    const usage = db.prepare(`INSERT INTO usage_daily (day, key_id, team_id, model, requests, errors, prompt_tokens, completion_tokens, cached_tokens,
      reasoning_tokens, cost_usd, cache_hits, saved_usd) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`);
    usage.run(day(1), keyId, teamId, 'chat', 10, 1, 1000, 500, 0, 0, 0.5, 2, 0.125);
    usage.run(day(0), keyId, teamId, 'chat', 20, 0, 2000, 1000, 0, 0, 0.25, 0, 0);
    usage.run(day(0), 'key_other', '', 'other', 5, 0, 100, 100, 0, 0, 0.0625, 0, 0);
    usage.run(day(40), keyId, teamId, 'chat', 999, 0, 0, 0, 0, 0, 99, 0, 0);

    const log = db.prepare(`INSERT INTO request_log (id, ts, key_id, endpoint, model, backend, attempts, stream, status, latency_ms, prompt_tokens,
      completion_tokens, cost_usd, error) VALUES (?, ?, 'key_x', '/v1/chat/completions', ?, ?, 1, 0, ?, ?, ?, ?, ?, ?)`);
    const row = (ts: number, model: string, backend: string | null, status: number, latencyMs: number, prompt: number, completion: number, error: string | null = null) =>
      log.run(newRequestId(ts), ts, model, backend, status, latencyMs, prompt, completion, status === 200 ? 0.001 : null, error);
    const t0 = Math.floor((now - 30 * MINUTE_MS) / MINUTE_MS) * MINUTE_MS; // the start of a minute, half an hour ago
    // ptu: 10 requests of 800 + 200 tokens in one minute, back to back (each starts as the one before ends): at most
    // one in flight. 10,000 tokens over ~30 minutes is ~333 TPM of the 100,000 it pays for: idle.
    for (let i = 0; i < 10; i++) row(t0 + i * 100, 'chat', 'ptu', 200, 100, 800, 200);
    // paygo: 4 requests at once, 5 s each: 4 in flight of max_concurrency 4: saturated.
    for (let i = 0; i < 4; i++) row(t0 + 10 * MINUTE_MS, 'chat', 'paygo', 200, 5000, 100, 100);
    // other: every backend busy twice (no backend on those rows): its one backend is saturated.
    row(t0 + 5 * MINUTE_MS, 'other', 'spare', 200, 50, 10, 10);
    for (let i = 0; i < 2; i++) row(t0 + 6 * MINUTE_MS + i, 'other', null, 429, 1, 0, 0, 'every backend of model "other" is at its concurrency limit; retry shortly');
    // A key over its own rate limit is not the backends' doing.
    row(t0 + 7 * MINUTE_MS, 'chat', null, 429, 1, 0, 0, 'rate limit of key key_x exceeded: 60 requests per minute');
    // Eight days ago, outside a 7-day window: a burst that would make ptu busy if it counted.
    for (let i = 0; i < 5; i++) row(now - 8 * DAY_MS + i, 'chat', 'ptu', 200, 60_000, 5_000_000, 5_000_000);
  } finally {
    db.close();
  }
});
after(() => workspace.remove());

describe('archway report usage', () => {
  test('--json by day and model over the last N days', async () => {
    const res = await workspace.run('report', 'usage', '--by', 'day,model', '--days', '2', '--json');
    assert.equal(res.code, 0, res.stderr);
    const out = JSON.parse(res.stdout) as { since: string; group_by: string[]; rows: UsageRow[] };
    assert.equal(out.since, day(1));
    assert.deepEqual(out.group_by, ['day', 'model']);
    assert.deepEqual(
      out.rows.map((r) => [r.day, r.model, r.requests, r.cost_usd]),
      [
        [day(1), 'chat', 10, 0.5],
        [day(0), 'chat', 20, 0.25],
        [day(0), 'other', 5, 0.0625],
      ],
    );
  });

  test('a table by team, names shown, with a total; filtered by team name, key or model', async () => {
    const res = await workspace.run('report', 'usage', '--by', 'team');
    assert.equal(res.code, 0, res.stderr);
    assert.match(res.stdout, new RegExp(`^Usage since ${day(29)} \\(UTC\\)\n`));
    const lines = res.stdout.split('\n');
    assert.deepEqual(lines.find((l) => l.startsWith('- '))?.split(/\s{2,}/), ['-', '5', '0', '100', '100', '0', '0.06', '0', '0.00']);
    assert.deepEqual(lines.find((l) => l.startsWith('research '))?.split(/\s{2,}/), ['research', '30', '1', '3,000', '1,500', '0', '0.75', '2', '0.13']);
    assert.deepEqual(lines.find((l) => l.startsWith('total '))?.split(/\s{2,}/), ['total', '35', '1', '3,100', '1,600', '0', '0.81', '2', '0.13']);

    const team = await workspace.run('report', 'usage', '--by', 'key', '--team', 'research', '--json');
    assert.deepEqual((JSON.parse(team.stdout) as { rows: UsageRow[] }).rows.map((r) => [r.key_id, r.requests]), [[keyId, 30]]);
    const keyed = await workspace.run('report', 'usage', '--by', 'key', '--key', keyId);
    assert.match(keyed.stdout, new RegExp(`\n${keyId} \\(svc-a\\) +30 `));
    const model = await workspace.run('report', 'usage', '--by', '', '--model', 'other', '--json');
    assert.deepEqual((JSON.parse(model.stdout) as { rows: UsageRow[] }).rows.map((r) => r.requests), [5]);
  });

  test('mistakes exit 2, saying what is wrong', async () => {
    const by = await workspace.run('report', 'usage', '--by', 'day,region');
    assert.equal(by.code, 2);
    assert.match(by.stderr, /--by: "region" is not one of day, key, team, model/);
    const team = await workspace.run('report', 'usage', '--team', 'nobody');
    assert.equal(team.code, 2);
    assert.match(team.stderr, /--team: no team "nobody"; `archway teams list` shows them/);
    const days = await workspace.run('report', 'usage', '--days', '0');
    assert.equal(days.code, 2);
    assert.equal((await workspace.run('report', 'summary')).code, 2);
  });
});

describe('archway report utilization', () => {
  test('--json: per backend, idle and saturated ones flagged', async () => {
    const res = await workspace.run('report', 'utilization', '--days', '7', '--json');
    assert.equal(res.code, 0, res.stderr);
    const report = JSON.parse(res.stdout) as UtilizationReport;
    const backend = (name: string): BackendUtilization => report.backends.find((b) => b.backend === name)!;
    assert.deepEqual(report.backends.map((b) => `${b.model}/${b.backend}`), ['chat/ptu', 'chat/paygo', 'other/spare', 'quiet/fallback']);
    // Averages run from the first request in the window (~30 minutes ago) to now.
    assert.ok(report.observed_minutes > 29 && report.observed_minutes < 32, String(report.observed_minutes));
    const minutes = report.observed_minutes;

    const ptu = backend('ptu');
    assert.deepEqual([ptu.requests, ptu.prompt_tokens, ptu.completion_tokens, ptu.peak_tpm, ptu.peak_rpm, ptu.peak_concurrency], [10, 8000, 2000, 10_000, 10, 1]);
    assert.equal(ptu.average_tpm, 10_000 / minutes);
    assert.equal(ptu.use, 10_000 / minutes / 100_000); // ~0.33 %: TPM is the limit most used
    assert.equal(ptu.peak_use, 0.1); // 10,000 of 100,000 TPM in its busiest minute, 1 of 10 in flight
    assert.deepEqual(ptu.flags, ['idle']);
    // 3,000 USD a month for ~30 minutes (30 / 43,200 of a month) over 10,000 tokens (0.01 M): ~208 USD per 1M,
    // against (8,000 × 1 + 2,000 × 2) / 10,000 = 1.2 at list price.
    assert.ok(ptu.usd_per_million_tokens! > 200 && ptu.usd_per_million_tokens! < 225, String(ptu.usd_per_million_tokens));
    assert.equal(ptu.list_usd_per_million_tokens, 1.2);

    const paygo = backend('paygo');
    assert.deepEqual([paygo.requests, paygo.peak_concurrency, paygo.max_concurrency, paygo.peak_use, paygo.throttled], [4, 4, 4, 1, 0]);
    assert.equal(paygo.average_concurrency, 20_000 / (minutes * MINUTE_MS)); // 4 × 5 s in flight over the window
    assert.deepEqual(paygo.flags, ['saturated'], 'at its concurrency limit; no capacity block, so never idle');
    assert.match(paygo.reasons.saturated!, /100\.0 % of a limit at its busiest/);

    const spare = backend('spare');
    assert.equal(spare.throttled, 2, 'the model-wide 429s; the key rate limit 429 of chat is not counted anywhere');
    assert.deepEqual(spare.flags, ['saturated']);
    assert.equal(backend('ptu').throttled + backend('paygo').throttled, 0);

    const fallback = backend('fallback');
    assert.deepEqual([fallback.requests, fallback.use, fallback.flags], [0, 0, []], 'spare room that costs nothing is not idle capacity');
  });

  test('throttling is found in what a real gateway logs: every backend busy, so 429s without a backend', async (t) => {
    const gw = await startGateway(`
models:
  slow:
    backends:
      - { name: single, provider: simulator, max_concurrency: 1, max_queue: 0, simulator: { latency_ms: 300 } }
`);
    t.after(() => gw.close());
    const answers = await Promise.all(Array.from({ length: 4 }, () => post(`${gw.baseURL}/chat/completions`, { model: 'slow', messages: [{ role: 'user', content: 'hi' }] }, bearer(gw.adminKey))));
    assert.deepEqual(answers.map((a) => a.status).sort(), [200, 429, 429, 429]);
    assert.ok(answers.filter((a) => a.status === 429).every((a) => a.json<{ error: { code: string } }>().error.code === 'backend_busy'));
    await gw.gateway.services.requestLog.flush();
    const res = await runCli(['report', 'utilization', '--json', '--config', join(gw.dataDir, 'archway.yaml')], { cwd: gw.dataDir, env: { ARCHWAY_DATA_DIR: gw.dataDir } });
    assert.equal(res.code, 0, res.stderr);
    const single = (JSON.parse(res.stdout) as UtilizationReport).backends.find((b) => b.backend === 'single')!;
    assert.deepEqual([single.requests, single.throttled], [1, 3]);
    assert.deepEqual(single.flags, ['saturated']);
  });

  test('the table and the flags with their reasons', async () => {
    const res = await workspace.run('report', 'utilization');
    assert.equal(res.code, 0, res.stderr);
    assert.match(res.stdout, /^Utilization over the last 7 days \(/);
    assert.match(res.stdout, /\nchat +ptu +10 +10,000 .* idle\n/);
    assert.match(res.stdout, /\nidle +chat\/ptu: 0\.3 % average use of what it pays for \(idle below 10\.0 %\)\n/);
    assert.match(res.stdout, /\nsaturated +chat\/paygo: 100\.0 % of a limit at its busiest/);
    assert.match(res.stdout, /\nsaturated +other\/spare: 2 requests refused 429 \(busy or rate limited\)\n/);
  });

  test('report utilization takes no usage filters', async () => {
    const res = await workspace.run('report', 'utilization', '--team', 'research');
    assert.equal(res.code, 2);
    assert.match(res.stderr, /--team is for report usage/);
  });
});
