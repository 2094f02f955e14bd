// The README's first steps: `archway start` with no config runs the quickstart, prints an admin key once with a curl
// line for the real address, and that key works; a second start prints no key.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { CLI, NODE, tempDir } from '../helpers/gateway.ts';
import { bearer, get, post } from '../helpers/http.ts';

async function startQuickstart(cwd: string): Promise<{ output: () => string; url: string; stop: () => Promise<void> }> {
  const env: NodeJS.ProcessEnv = { ...process.env, ARCHWAY_PORT: '0', ARCHWAY_HOST: '127.0.0.1' };
  delete env.ARCHWAY_ADMIN_KEY;
  delete env.ARCHWAY_CONFIG;
  delete env.ARCHWAY_DATA_DIR;
  const child = spawn(NODE, [CLI, 'start'], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  const deadline = Date.now() + 15_000;
  let match: RegExpExecArray | null = null;
  while (!(match = /Listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(out)) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  if (!match) {
    child.kill('SIGKILL');
    throw new Error(`quickstart did not start:\n${out}`);
  }
  return {
    output: () => out,
    url: match[1]!,
    stop: async () => {
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}

test('a first start on the quickstart prints a working admin key once; the next start does not', async (t) => {
  const dir = tempDir('archway-quickstart-');
  t.after(() => dir.remove());

  const first = await startQuickstart(dir.path);
  t.after(() => first.stop());
  // The key stands alone on its line (log lines show only its prefix).
  const key = /^ +(sk-archway-[A-Za-z0-9_-]+)$/m.exec(first.output())?.[1];
  assert.ok(key, 'an admin key is printed');
  assert.match(first.output(), new RegExp(`curl ${first.url}/v1/chat/completions -H "Authorization: Bearer ${key}"`), 'the curl line has the real address');
  const res = await post(`${first.url}/v1/chat/completions`, { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Hello' }] }, bearer(key));
  assert.equal(res.status, 200, res.text);
  assert.equal((await post(`${first.url}/v1/chat/completions`, { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Hello' }] })).status, 401, 'not anonymous');
  await first.stop();

  const second = await startQuickstart(dir.path);
  t.after(() => second.stop());
  assert.doesNotMatch(second.output(), /^ +sk-archway-/m, 'the key is shown once only');
  assert.equal((await get(`${second.url}/v1/models`, bearer(key))).status, 200, 'and it still works');
});
