// The gateway as a process: SIGKILL loses no row of a completed response, SIGTERM drains requests in flight, and
// SIGHUP reloads the config without dropping them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { DatabaseSync } from 'node:sqlite';
import { join } from 'node:path';
import { Agent, request } from 'undici';
import { ADMIN_KEY, spawnGateway, tempDir } from '../helpers/gateway.ts';
import { startSimulators } from '../helpers/simulators.ts';
import { bearer, get, post } from '../helpers/http.ts';

const CHAT = { model: 'chat', messages: [{ role: 'user', content: 'hello' }], max_tokens: 8 };
const yamlFor = (simUrl: string, extraModels = ''): string =>
  `models:\n  chat:\n    backends:\n      - { name: b0, provider: openai, base_url: ${simUrl}/v1 }\n${extraModels}`;

test('SIGKILL under load loses no request-log row of a response the client received in full (they are all there after a restart)', async (t) => {
  const [sim] = await startSimulators(1);
  const dir = tempDir();
  const gw = await spawnGateway(yamlFor(sim!.url), dir.path);
  const agent = new Agent({ connections: 32 });
  t.after(async () => {
    gw.child.kill('SIGKILL');
    await agent.close();
    await sim!.close();
    dir.remove();
  });

  const completed: string[] = [];
  let killed = false;
  const worker = async (n: number): Promise<void> => {
    for (let i = 0; !killed; i++) {
      const stream = (n + i) % 2 === 0;
      try {
        const res = await request(`${gw.url}/v1/chat/completions`, {
          method: 'POST',
          dispatcher: agent,
          headers: { 'content-type': 'application/json', ...bearer(ADMIN_KEY) },
          body: JSON.stringify({ ...CHAT, stream }),
        });
        const text = await res.body.text();
        const whole = res.statusCode === 200 && (stream ? text.endsWith('data: [DONE]\n\n') : text.endsWith('}'));
        if (whole) completed.push(String(res.headers['x-request-id']));
      } catch {
        // cut off by the kill: not a completed response
      }
    }
  };
  const workers = Array.from({ length: 16 }, (_, n) => worker(n));
  while (completed.length < 400) await new Promise((r) => setTimeout(r, 5));
  gw.child.kill('SIGKILL');
  killed = true;
  await gw.exited;
  await Promise.all(workers);

  // Rows made durable in the journal but not yet in the tables are taken in by the next start.
  const restarted = await spawnGateway(yamlFor(sim!.url), dir.path);
  restarted.child.kill('SIGTERM');
  assert.equal(await restarted.exited, 0);
  const db = new DatabaseSync(join(dir.path, 'archway.db'));
  const stored = new Set((db.prepare('SELECT id FROM request_log').all() as { id: string }[]).map((r) => r.id));
  db.close();
  const missing = completed.filter((id) => !stored.has(id));
  assert.ok(completed.length >= 400);
  assert.deepEqual(missing, [], `${missing.length} of ${completed.length} completed responses have no row`);
});

test('SIGTERM stops accepting, lets a request in flight finish, and exits 0', async (t) => {
  const [sim] = await startSimulators(1, { latency_ms: 600 });
  const dir = tempDir();
  const gw = await spawnGateway(yamlFor(sim!.url), dir.path);
  t.after(async () => {
    gw.child.kill('SIGKILL');
    await sim!.close();
    dir.remove();
  });
  const inFlight = post(`${gw.url}/v1/chat/completions`, CHAT, bearer(ADMIN_KEY));
  await new Promise((r) => setTimeout(r, 150));
  gw.child.kill('SIGTERM');
  const res = await inFlight;
  assert.equal(res.status, 200, 'the request in flight completed');
  assert.equal(await gw.exited, 0);
  await assert.rejects(get(`${gw.url}/livez`), 'no longer accepting');
  const db = new DatabaseSync(join(dir.path, 'archway.db'));
  const row = db.prepare('SELECT status FROM request_log WHERE id = ?').get(String(res.headers['x-request-id'])) as { status: number } | undefined;
  db.close();
  assert.equal(row?.status, 200, 'its row was stored before exit');
});

test('SIGHUP reloads the config without dropping a request in flight; an invalid config is refused', async (t) => {
  const [slow] = await startSimulators(1, { latency_ms: 600 });
  const dir = tempDir();
  const gw = await spawnGateway(yamlFor(slow!.url), dir.path);
  t.after(async () => {
    gw.child.kill('SIGKILL');
    await slow!.close();
    dir.remove();
  });
  const inFlight = post(`${gw.url}/v1/chat/completions`, CHAT, bearer(ADMIN_KEY));
  await new Promise((r) => setTimeout(r, 150));
  writeFileSync(gw.configPath, yamlFor(slow!.url, `  added:\n    backends:\n      - { name: b1, provider: openai, base_url: ${slow!.url}/v1 }\n`));
  gw.child.kill('SIGHUP');
  assert.equal((await inFlight).status, 200, 'the request in flight finished on the old config');
  const deadline = Date.now() + 5000;
  let models = '';
  while (!models.includes('"added"') && Date.now() < deadline) {
    models = (await get(`${gw.url}/v1/models`, bearer(ADMIN_KEY))).text;
    await new Promise((r) => setTimeout(r, 50));
  }
  assert.match(models, /"added"/, 'the new model is served after the reload');

  writeFileSync(gw.configPath, 'models:\n  chat:\n    backends:\n      - { provider: nonsense }\n');
  gw.child.kill('SIGHUP');
  const until = Date.now() + 5000;
  while (!gw.output().includes('reload refused') && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
  assert.match(gw.output(), /reload refused/);
  assert.equal((await get(`${gw.url}/v1/models`, bearer(ADMIN_KEY))).status, 200, 'still serving the old config');
});
