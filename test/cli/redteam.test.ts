// `archway redteam` against a live gateway: the report per category, and the exit code that gates CI.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startGateway, type TestGateway } from '../helpers/gateway.ts';
import { runCli } from '../helpers/cli.ts';

let gw: TestGateway;
let unguarded: TestGateway;
before(async () => {
  gw = await startGateway('models:\n  m:\n    backends:\n      - provider: simulator\n');
  unguarded = await startGateway('guardrails:\n  policies: { default: [] }\nmodels:\n  m:\n    backends:\n      - provider: simulator\n');
});
after(async () => {
  await gw.close();
  await unguarded.close();
});

test('with the default policy: every category reported, exit 0', async () => {
  const res = await runCli(['redteam', '--model', 'm', '--url', gw.url, '--key', gw.adminKey], { cwd: gw.dataDir });
  assert.equal(res.code, 0, res.stderr + res.stdout);
  for (const category of ['prompt_injection', 'jailbreak', 'system_prompt_extraction', 'secret_exfiltration', 'pii_exfiltration', 'benign (false positives)']) {
    assert.match(res.stdout, new RegExp(`^${category.replace(/[()]/g, '\\$&')}\\s+\\d+/\\d+`, 'm'));
  }
  assert.match(res.stdout, /detection over all attacks: \d+\.\d %; false positives: \d+\.\d %/);
});

test('without guardrails: everything gets through, and the command fails', async () => {
  const res = await runCli(['redteam', '--model', 'm', '--url', unguarded.url, '--key', unguarded.adminKey], { cwd: unguarded.dataDir });
  assert.equal(res.code, 1);
  assert.match(res.stdout, /detection over all attacks: 0\.0 %/);
  assert.match(res.stderr, /below the bar: detection 0\.0 %/);
});

test('a wrong key stops the red team with a clear message', async () => {
  const res = await runCli(['redteam', '--model', 'm', '--url', gw.url, '--key', 'sk-archway-wrong'], { cwd: gw.dataDir });
  assert.equal(res.code, 1);
  assert.match(res.stderr, /the gateway refused the red team itself \(HTTP 401\)/);
});
