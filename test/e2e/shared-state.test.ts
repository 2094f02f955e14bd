// Budgets and rate limits shared by two gateway processes through one real Redis: a limit of 60 requests a minute is
// 60 in total, a budget holds over both, a backend's cool-down seen by one is honoured by the other, and losing Redis
// makes each gateway follow its configured policy, then recover by itself when Redis is back.
import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { ADMIN_KEY, spawnGateway, tempDir } from '../helpers/gateway.ts';
import { bearer, get, post, type RawResponse } from '../helpers/http.ts';
import { closeAll, startSimulators } from '../helpers/simulators.ts';
import { REDIS_SKIP_MESSAGE, startRedisServer, type RedisServer } from '../helpers/redis-server.ts';

const redis = await startRedisServer();

function config(url: string, prefix: string, extra: { quotas: string; policy?: string }): string {
  return `
state: { url: ${url}, prefix: "${prefix}", on_unavailable: ${extra.policy ?? 'fail-open'}, timeout_ms: 200 }
pricing:
  metered: { input: 1000, output: 2000 }
quotas:
${extra.quotas}
models:
  metered:
    backends:
      - provider: simulator
        simulator: { latency_ms: 20, completion_tokens: 16 }
  free:
    backends:
      - provider: simulator
`;
}

/** A gateway process of the test: `archway start` as operators run it, each with its own data directory. */
interface Replica {
  readonly url: string;
  /** What the process has written to stdout and stderr so far (its log). */
  output(): string;
  stop(): Promise<void>;
}

const chat = (gw: Replica, model = 'metered'): Promise<RawResponse> =>
  post(`${gw.url}/v1/chat/completions`, { model, messages: [{ role: 'user', content: 'hello' }], max_tokens: 16 }, bearer(ADMIN_KEY));

async function replica(yaml: string): Promise<Replica> {
  const dir = tempDir();
  const gw = await spawnGateway(yaml, dir.path, { ARCHWAY_TEST_LOG: 'silent' });
  return {
    url: gw.url,
    output: () => gw.output(),
    async stop() {
      gw.child.kill('SIGKILL');
      await gw.exited;
      dir.remove();
    },
  };
}

async function pair(url: string, prefix: string, extra: { quotas: string; policy?: string }): Promise<[Replica, Replica]> {
  const yaml = config(url, prefix, extra);
  return Promise.all([replica(yaml), replica(yaml)]);
}

async function until(what: string, check: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const readyStatus = async (gw: Replica): Promise<[number, string]> => {
  const res = await get(`${gw.url}/readyz`);
  return [res.status, res.json<{ status: string }>().status];
};

describe('state shared through Redis by two gateway processes', { skip: redis === undefined ? REDIS_SKIP_MESSAGE : false }, () => {
  const server = redis as RedisServer;
  const open: Replica[] = [];
  after(async () => {
    await Promise.all(open.map((g) => g.stop()));
    await server.close();
  });

  it('60 requests a minute is 60 in total over both replicas, not 120', async () => {
    const gws = await pair(server.url, 'rpm:', { quotas: '  keys: { env-admin: { rpm: 60 } }' });
    open.push(...gws);
    const results = await Promise.all(Array.from({ length: 150 }, (_, i) => chat(gws[i % 2]!)));
    const ok = results.filter((r) => r.status === 200).length;
    assert.equal(ok + results.filter((r) => r.status === 429).length, 150);
    // 60 unless the burst straddles a minute boundary, where the sliding window's weighting can round one or two below.
    assert.ok(ok <= 60 && ok >= 58, `${ok} answered`);
    for (const gw of gws) assert.ok(results.some((r, i) => i % 2 === gws.indexOf(gw) && r.status === 200), 'both replicas served some');
  });

  it('a hard budget holds over both replicas under 200 concurrent requests', async () => {
    // Worst case reserved per request $0.040, real cost $0.034 (see budgets.test.ts): a $0.4 budget fits 10 to 11.
    const gws = await pair(server.url, 'budget:', { quotas: '  keys: { env-admin: { budget_usd: 0.4, period: day } }' });
    open.push(...gws);
    const results = await Promise.all(Array.from({ length: 200 }, (_, i) => chat(gws[i % 2]!)));
    const ok = results.filter((r) => r.status === 200).length;
    assert.ok(ok >= 10 && ok <= 11, `${ok} answered over both replicas`);
    let spent = 0;
    for (const gw of gws) {
      const rows = (await get(`${gw.url}/admin/usage?group_by=key`, bearer(ADMIN_KEY))).json<{ data: { cost_usd: number }[] }>().data;
      spent += rows.reduce((sum, r) => sum + r.cost_usd, 0);
    }
    assert.ok(spent <= 0.4 + 1e-9, `spent $${spent} of $0.4`);
  });

  it('fail-open: without Redis the gateway serves on, counting locally, says "degraded", and recovers', async () => {
    const gws = await pair(server.url, 'open:', { quotas: '  keys: { env-admin: { rpm: 1000 } }' });
    open.push(...gws);
    const [gw] = gws;
    assert.equal((await chat(gw)).status, 200);
    assert.deepEqual(await readyStatus(gw), [200, 'ready']);
    // Redis dies in the middle of a burst: not one request of it fails.
    const burst = Array.from({ length: 60 }, (_, i) => new Promise((r) => setTimeout(r, i * 5)).then(() => chat(gw)));
    await new Promise((r) => setTimeout(r, 100));
    await server.stop();
    const statuses = (await Promise.all(burst)).map((r) => r.status);
    assert.deepEqual([...new Set(statuses)], [200]);
    const during = await chat(gw);
    assert.equal(during.status, 200, during.text);
    assert.equal(during.headers['x-ratelimit-limit-requests'], '1000', 'still limited, in this process');
    assert.deepEqual(await readyStatus(gw), [200, 'degraded']);
    const detail = (await get(`${gw.url}/readyz`, bearer(ADMIN_KEY))).json<{ quota_state: { healthy: boolean; counting_locally: boolean } }>();
    assert.equal(detail.quota_state.healthy, false);
    assert.equal(detail.quota_state.counting_locally, true);
    // Reconnected every 50 ms at first and then every second, each connection warns once, not on every attempt.
    await new Promise((r) => setTimeout(r, 1_000));
    const warnings = gw.output().split('\n').filter((line) => line.includes('Redis (config state) does not answer'));
    assert.ok(warnings.length >= 1 && warnings.length <= 3, `${warnings.length} warnings for one outage of the 3 connections:\n${warnings.join('\n')}`);
    await server.restart();
    await until('the gateway is ready again', async () => (await readyStatus(gw))[1] === 'ready');
    assert.equal((await chat(gw)).status, 200);
    const after = (await get(`${gw.url}/readyz`, bearer(ADMIN_KEY))).json<{ quota_state: { counting_locally: boolean } }>();
    assert.equal(after.quota_state.counting_locally, false, 'counting in Redis again');
  });

  it('fail-closed: without Redis limited requests get a 503, unlimited ones still pass, and it recovers', async () => {
    const gws = await pair(server.url, 'closed:', { quotas: '  models: { metered: { rpm: 1000 } }', policy: 'fail-closed' });
    open.push(...gws);
    // Only the model "metered" has a quota here: requests to "free" never need the state store.
    const [gw] = gws;
    assert.equal((await chat(gw)).status, 200);
    await server.stop();
    const refused = await chat(gw);
    assert.equal(refused.status, 503, refused.text);
    assert.equal(refused.json<{ error: { code: string } }>().error.code, 'quota_state_unavailable');
    assert.ok(Number(refused.headers['retry-after']) >= 1);
    assert.deepEqual(await readyStatus(gw), [503, 'unavailable']);
    assert.equal((await chat(gw, 'free')).status, 200, 'a request nothing limits does not need Redis');
    await server.restart();
    await until('the gateway is ready again', async () => (await readyStatus(gw))[0] === 200);
    assert.equal((await chat(gw)).status, 200);
  });

  it("a backend's 429 cool-down seen by one replica cools it on the other", async () => {
    const [sim] = await startSimulators(1, { faults: { rate_limit_rate: 1, retry_after_s: 30 } });
    const yaml = `
state: { url: ${server.url}, prefix: "cool:" }
reliability: { retry: { max_attempts: 1 } }
models:
  limited:
    backends:
      - { name: shared-upstream, provider: openai, base_url: ${sim!.url}/v1 }
`;
    const gws = await Promise.all([replica(yaml), replica(yaml)]);
    open.push(...gws);
    try {
      const coolingDown = async (gw: Replica): Promise<boolean> => {
        const detail = (await get(`${gw.url}/readyz`, bearer(ADMIN_KEY))).json<{ models: { backends: { cooling_down: boolean }[] }[] }>();
        return detail.models[0]!.backends[0]!.cooling_down;
      };
      assert.equal(await coolingDown(gws[1]!), false);
      assert.equal((await chat(gws[0]!, 'limited')).status, 429);
      await until('the other replica cools the backend down too', () => coolingDown(gws[1]!), 3_000);
    } finally {
      await closeAll([sim!]);
    }
  });

  it('the exact cache is shared: an answer stored by one replica is served by the other', async () => {
    const [sim] = await startSimulators(1, {});
    const yaml = `
state: { url: ${server.url}, prefix: "answers:" }
cache: { exact: { enabled: true } }
models:
  cached:
    backends:
      - { provider: openai, base_url: ${sim!.url}/v1 }
`;
    const gws = await Promise.all([replica(yaml), replica(yaml)]);
    open.push(...gws);
    try {
      const ask = (gw: Replica): Promise<RawResponse> =>
        post(`${gw.url}/v1/chat/completions`, { model: 'cached', temperature: 0, messages: [{ role: 'user', content: 'Name a colour' }] }, bearer(ADMIN_KEY));
      assert.equal((await ask(gws[0]!)).headers['x-archway-cache'], 'miss');
      await until('the answer is in Redis', async () => (await ask(gws[1]!)).headers['x-archway-cache'] === 'hit; exact', 3_000);
      assert.equal(sim!.stats().byPath['/v1/chat/completions'], 1, 'the upstream answered once, for both replicas');
    } finally {
      await closeAll([sim!]);
    }
  });
});
