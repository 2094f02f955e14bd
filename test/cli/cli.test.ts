// The `archway` command run as a child process, the way an operator runs it: config checks, key management against a
// running gateway, usage errors, and the launcher that hands an older system Node over to the project's Node 24.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ADMIN_KEY, spawnGateway, tempDir, type ChildGateway } from '../helpers/gateway.ts';
import { runCli, type RunResult } from '../helpers/cli.ts';
import { closeAll, startSimulators } from '../helpers/simulators.ts';
import { bearer, post, type RawResponse } from '../helpers/http.ts';
import type { SimulatorHandle } from '../../src/providers/simulator/server.ts';

const BIN = new URL('../../bin/archway.js', import.meta.url).pathname;
const SYSTEM_NODE = '/usr/bin/node';

const dataDir = tempDir('archway-cli-data-');
const workDir = tempDir('archway-cli-cwd-'); // no archway.yaml here, so nothing is picked up by accident

/** Runs a command with ARCHWAY_DATA_DIR set to this file's temp data directory. */
function run(args: readonly string[], options: { node?: string; script?: string } = {}): Promise<RunResult> {
  return runCli(args, { ...options, cwd: workDir.path, env: { ARCHWAY_DATA_DIR: dataDir.path } });
}

after(() => {
  dataDir.remove();
  workDir.remove();
});

describe('archway check-config', () => {
  test('a valid file: exit 0 and a summary of the models', async () => {
    const path = join(workDir.path, 'valid.yaml');
    writeFileSync(path, 'models:\n  chat:\n    backends:\n      - { provider: openai, base_url: "http://127.0.0.1:9/v1", api_key: sk-x, model: m }\n');
    const res = await run(['check-config', path]);
    assert.equal(res.code, 0, res.stderr);
    assert.match(res.stdout, /valid\. Models: chat \(1 backend\)/);
  });

  test('a broken file: exit 2 and stderr names the path of each problem', async () => {
    const path = join(workDir.path, 'broken.yaml');
    writeFileSync(
      path,
      'server: { port: 99999 }\nmodels:\n  chat:\n    backends:\n      - { provider: nope, base_url: "http://127.0.0.1:9/v1" }\n',
    );
    const res = await run(['check-config', path]);
    assert.equal(res.code, 2, res.stdout);
    assert.match(res.stderr, new RegExp(`invalid config ${path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
    assert.match(res.stderr, /models\.chat\.backends\[0\]\.provider: must be one of: openai, azure-openai, anthropic, simulator/);
    assert.match(res.stderr, /server\.port: /);
    assert.doesNotMatch(res.stderr, /\n\s+at /, 'no stack trace for a config problem');
  });

  test('a file that does not exist: exit 2 naming it', async () => {
    const res = await run(['check-config', join(workDir.path, 'missing.yaml')]);
    assert.equal(res.code, 2);
    assert.match(res.stderr, /missing\.yaml.*cannot be read/s);
  });
});

describe('archway keys, against a running gateway', () => {
  let sims: SimulatorHandle[];
  let gw: ChildGateway | undefined;

  before(async () => {
    sims = await startSimulators(1);
    gw = await spawnGateway(
      `models:\n  a:\n    backends:\n      - { name: sim, provider: openai, base_url: "${sims[0]!.url}/v1", model: sim-model }\n`,
      dataDir.path,
    );
  });

  after(async () => {
    if (gw && gw.child.exitCode === null) {
      gw.child.kill('SIGTERM');
      await gw.exited;
    }
    await closeAll(sims ?? []);
  });

  const chat = (key: string): Promise<RawResponse> =>
    post(`${gw!.url}/v1/chat/completions`, { model: 'a', messages: [{ role: 'user', content: 'hi' }], max_tokens: 3 }, bearer(key));

  /** Polls until `done` holds for the answer, within a deadline; returns the last answer. */
  async function pollUntil(key: string, done: (res: RawResponse) => boolean): Promise<RawResponse> {
    const deadline = Date.now() + 5_000; // the gateway re-reads keys every second
    let res = await chat(key);
    while (!done(res) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
      res = await chat(key);
    }
    return res;
  }

  test('create prints the key once; list shows it without the secret; the gateway follows create and revoke', async () => {
    const created = await run(['keys', 'create', '--name', 'ci-app', '--models', 'a']);
    assert.equal(created.code, 0, created.stderr);
    const secret = /^(sk-archway-\S+)$/m.exec(created.stdout)?.[1];
    assert.ok(secret, created.stdout);
    assert.equal(created.stdout.split(secret).length - 1, 1, 'the secret is printed exactly once');
    assert.match(created.stdout, /shown once/);
    const id = /created key (key_[0-9a-f]+)/.exec(created.stdout)?.[1];
    assert.ok(id, created.stdout);

    const listed = await run(['keys', 'list']);
    assert.equal(listed.code, 0, listed.stderr);
    const line = listed.stdout.split('\n').find((l) => l.startsWith(id));
    assert.ok(line, listed.stdout);
    assert.match(line, /ci-app\s+app\s+team=-\s+active\s+models=a/);
    assert.ok(line.includes(secret.slice(0, 17)), 'the display prefix helps tell keys apart');
    assert.ok(!listed.stdout.includes(secret), 'the secret is never listed');
    const listedJson = await run(['keys', 'list', '--json']);
    assert.ok(!listedJson.stdout.includes(secret) && !listedJson.stdout.includes('"hash"'), listedJson.stdout);

    // The running gateway (same data directory) picks the new key up by itself.
    const accepted = await pollUntil(secret, (r) => r.status !== 401);
    assert.equal(accepted.status, 200, accepted.text);

    const revoked = await run(['keys', 'revoke', id]);
    assert.equal(revoked.code, 0, revoked.stderr);
    assert.match(revoked.stdout, new RegExp(`revoked ${id}`));
    const refused = await pollUntil(secret, (r) => r.status === 401);
    assert.equal(refused.status, 401, refused.text);
    assert.equal(refused.json<{ error: { code: string } }>().error.code, 'invalid_api_key');
    // The gateway itself is unaffected.
    assert.equal((await chat(ADMIN_KEY)).status, 200);

    const listedAfter = await run(['keys', 'list']);
    assert.match(listedAfter.stdout.split('\n').find((l) => l.startsWith(id)) ?? '', /revoked/);
    const again = await run(['keys', 'revoke', id]);
    assert.equal(again.code, 2, 'revoking twice is a usage error');
    assert.match(again.stderr, /no active key/);
  });

  test('keys create without --name is a usage error', async () => {
    const res = await run(['keys', 'create']);
    assert.equal(res.code, 2);
    assert.match(res.stderr, /keys create needs --name NAME/);
  });
});

describe('usage', () => {
  test('an unknown command: exit 2, pointing at --help', async () => {
    const res = await run(['frobnicate']);
    assert.equal(res.code, 2);
    assert.match(res.stderr, /unknown command "frobnicate".*archway --help/);
    assert.equal(res.stdout, '');
  });

  test('--help lists the commands', async () => {
    const res = await run(['--help']);
    assert.equal(res.code, 0);
    assert.match(res.stdout, /^Usage: archway <command>/);
    assert.match(res.stdout, /check-config/);
  });
});

describe('bin/archway.js on the system Node', { skip: existsSync(SYSTEM_NODE) ? false : `${SYSTEM_NODE} is not installed` }, () => {
  test('the system Node is older than 24 (else this test proves nothing)', () => {
    const version = execFileSync(SYSTEM_NODE, ['--version'], { encoding: 'utf8' }).trim();
    assert.ok(Number(version.replace(/^v/, '').split('.')[0]) < 24, `system node is ${version}`);
  });

  test('--help works: the launcher re-executes on the project Node 24', async () => {
    const res = await run(['--help'], { node: SYSTEM_NODE, script: BIN });
    assert.equal(res.code, 0, res.stderr);
    assert.match(res.stdout, /^Usage: archway <command>/);
  });

  test('exit codes pass through the launcher', async () => {
    const res = await run(['frobnicate'], { node: SYSTEM_NODE, script: BIN });
    assert.equal(res.code, 2);
    assert.match(res.stderr, /unknown command "frobnicate"/);
  });
});

describe('bin/archway.js start', { skip: existsSync('/proc/self/environ') ? false : 'needs /proc to look at the process it starts' }, () => {
  test('runs the gateway with the flags and malloc setting it is measured with, and hands SIGTERM on to it', async () => {
    const dir = tempDir('archway-launcher-');
    try {
      const yaml = 'models:\n  chat:\n    backends:\n      - { provider: openai, base_url: "http://127.0.0.1:9/v1", api_key: sk-x, model: m }\n';
      const gateway = await spawnGateway(yaml, dir.path, { MALLOC_ARENA_MAX: '' }, BIN);
      const launcher = gateway.child.pid!;
      const [child] = readFileSync(`/proc/${launcher}/task/${launcher}/children`, 'utf8').trim().split(' ');
      assert.ok(child, 'the launcher started the gateway as its child');
      const args = readFileSync(`/proc/${child}/cmdline`, 'utf8').split('\0');
      const childEnv = readFileSync(`/proc/${child}/environ`, 'utf8').split('\0');
      assert.ok(args.includes('--max-semi-space-size=8') && args.includes('--heap-growing-percent=50'), args.join(' '));
      assert.ok(childEnv.includes('MALLOC_ARENA_MAX=2'));
      gateway.child.kill('SIGTERM');
      assert.equal(await gateway.exited, 0, gateway.output());
      assert.ok(!existsSync(`/proc/${child}`), 'the gateway itself stopped');
    } finally {
      dir.remove();
    }
  });

  test('the process it hands over to runs as it is, even without those settings: one hand-over, never a chain', async () => {
    const dir = tempDir('archway-launcher-');
    try {
      const yaml = 'models:\n  chat:\n    backends:\n      - { provider: openai, base_url: "http://127.0.0.1:9/v1", api_key: sk-x, model: m }\n';
      // What the handed-over process sees if its environment lost the malloc setting on the way.
      const gateway = await spawnGateway(yaml, dir.path, { MALLOC_ARENA_MAX: '', ARCHWAY_RELAUNCHED: '1' }, BIN);
      const pid = gateway.child.pid!;
      assert.equal(readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim(), '', 'it serves itself, with no child');
      gateway.child.kill('SIGTERM');
      assert.equal(await gateway.exited, 0, gateway.output());
    } finally {
      dir.remove();
    }
  });
});
