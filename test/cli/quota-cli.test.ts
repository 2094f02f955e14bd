// Budgets and rate limits from the command line, as the issue spells them: keys create with --budget-usd, --rpm and
// --tpm, teams budget, keys quota to change or clear one; mistakes name the option.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { tempDir } from '../helpers/gateway.ts';
import { runCli } from '../helpers/cli.ts';

const dataDir = tempDir('archway-quota-cli-');
after(() => dataDir.remove());
const run = (...args: string[]) => runCli(args, { cwd: dataDir.path, env: { ARCHWAY_DATA_DIR: dataDir.path } });

test('keys create --budget-usd --budget-period --rpm --tpm, keys quota, teams budget', async () => {
  const created = await run('keys', 'create', '--name', 'bot', '--budget-usd', '5', '--budget-period', 'day', '--rpm', '60', '--tpm', '20000', '--json');
  assert.equal(created.code, 0, created.stderr);
  const { id } = JSON.parse(created.stdout) as { id: string };
  const listed = JSON.parse((await run('keys', 'list', '--json')).stdout) as { id: string; quota: unknown }[];
  assert.deepEqual(listed.find((k) => k.id === id)!.quota, { budget_usd: 5, period: 'day', rpm: 60, tpm: 20000 });

  const changed = await run('keys', 'quota', id, '--rpm', '120');
  assert.equal(changed.code, 0, changed.stderr);
  assert.match(changed.stdout, /\$5 per day \(alert at 80%\), 120 requests\/min, 20000 tokens\/min/);
  assert.match((await run('keys', 'quota', id, '--clear')).stdout, /no quota/);

  assert.equal((await run('teams', 'create', 'research')).code, 0);
  const budget = await run('teams', 'budget', 'research', '--usd', '100', '--period', 'month', '--json');
  assert.equal(budget.code, 0, budget.stderr);
  assert.deepEqual((JSON.parse(budget.stdout) as { quota: unknown }).quota, { budget_usd: 100, period: 'month' });
  const limits = await run('teams', 'quota', 'research', '--tpm', '100000', '--json');
  assert.deepEqual((JSON.parse(limits.stdout) as { quota: unknown }).quota, { budget_usd: 100, period: 'month', tpm: 100000 }, 'fields not given are kept');

  const audit = (await run('audit', 'export')).stdout;
  assert.match(audit, /"action":"key.quota"/);
  assert.match(audit, /"action":"team.quota"/);
});

test('a wrong value names its option and exits 2', async () => {
  const period = await run('keys', 'create', '--name', 'x', '--budget-usd', '5', '--budget-period', 'year');
  assert.equal(period.code, 2);
  assert.match(period.stderr, /--budget-period: .*day, week, month/);
  const usd = await run('keys', 'create', '--name', 'x', '--budget-usd', 'lots');
  assert.equal(usd.code, 2);
  assert.match(usd.stderr, /--budget-usd takes a number, got "lots"/);
  const rpm = await run('keys', 'create', '--name', 'x', '--rpm', '0');
  assert.equal(rpm.code, 2);
  assert.match(rpm.stderr, /--rpm: /);
  const none = await run('teams', 'budget', 'nobody', '--usd', '1');
  assert.equal(none.code, 2);
  assert.match(none.stderr, /no team "nobody"/);
});
