// The reliability patterns, each shown doing its job against real simulated upstreams on loopback.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI from 'openai';
import { startGateway, type TestGateway } from '../helpers/gateway.ts';
import { closeAll, startSimulators } from '../helpers/simulators.ts';
import { bearer, get, post, sseData } from '../helpers/http.ts';
import type { SimulatorHandle } from '../../src/providers/simulator/server.ts';

const CHAT = { model: 'chat', messages: [{ role: 'user' as const, content: 'hello' }], max_tokens: 8 };

function backendsYaml(sims: readonly SimulatorHandle[], extra = ''): string {
  return sims
    .map((s, i) => `      - { name: b${i}, provider: openai, base_url: ${s.url}/v1, model: sim${extra ? `, ${extra}` : ''} }`)
    .join('\n');
}

const TIMEOUTS = `
reliability:
  retry: { max_attempts: 3, base_delay_ms: 10, max_delay_ms: 200, deadline_ms: 10000 }
  timeouts: { connect_ms: 1000, first_byte_ms: 400, idle_ms: 400, total_ms: 5000 }
  circuit_breaker: { consecutive_failures: 3, open_ms: 60000 }
`;

describe('one of three backends failing costs the client no error', () => {
  for (const fault of ['500', 'reset', 'hang'] as const) {
    test(`the failing backend ${fault === '500' ? 'answers 500' : fault === 'reset' ? 'resets connections' : 'hangs'}`, async (t) => {
      const sims = await startSimulators(3);
      const key = fault === '500' ? { error_rate: 1, error_status: 500 } : fault === 'reset' ? { reset_rate: 1 } : { hang_rate: 1 };
      sims[1]!.setFaults(key);
      const gw = await startGateway(`${TIMEOUTS}\nmodels:\n  chat:\n    routing: weighted\n    backends:\n${backendsYaml(sims)}\n`);
      t.after(async () => {
        await gw.close();
        await closeAll(sims);
      });
      const client = new OpenAI({ baseURL: gw.baseURL, apiKey: gw.adminKey, maxRetries: 0 });
      const results = await Promise.all(
        Array.from({ length: 30 }, (_, i) =>
          i % 2 === 0
            ? client.chat.completions.create({ ...CHAT, messages: [{ role: 'user', content: 'hello' }] }).then((r) => r.choices[0]!.message.content)
            : (async () => {
                let text = '';
                const stream = await client.chat.completions.create({ ...CHAT, messages: [{ role: 'user', content: 'hello' }], stream: true });
                for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
                return text;
              })(),
        ),
      );
      assert.equal(results.length, 30);
      for (const text of results) assert.ok(text && text.length > 0, 'every request got an answer');
      assert.ok(sims[1]!.stats().requests > 0, 'the failing backend was tried');
      // Its circuit opened, so it stopped receiving traffic (visible in /readyz detail).
      const ready = await get(`${gw.url}/readyz`, bearer(gw.adminKey));
      const backend = ready.json<{ models: { backends: { name: string; circuit: string }[] }[] }>().models[0]!.backends.find((b) => b.name === 'b1');
      assert.equal(backend?.circuit, 'open');
    });
  }
});

describe('when every backend fails', () => {
  let sims: SimulatorHandle[];
  let gw: TestGateway;
  before(async () => {
    sims = await startSimulators(3, { faults: { error_rate: 1, error_status: 503 } });
    gw = await startGateway(`${TIMEOUTS}\nmodels:\n  chat:\n    backends:\n${backendsYaml(sims)}\n`);
  });
  after(async () => {
    await gw.close();
    await closeAll(sims);
  });

  test('the client gets a clear 503 with Retry-After that names every attempt', async () => {
    const res = await post(`${gw.baseURL}/chat/completions`, CHAT, bearer(gw.adminKey));
    assert.equal(res.status, 503);
    assert.ok(Number(res.headers['retry-after']) >= 1);
    const { error } = res.json<{ error: { code: string; message: string; type: string } }>();
    assert.equal(error.code, 'upstream_unavailable');
    assert.match(error.message, /3 attempts failed/);
    for (const name of ['b0', 'b1', 'b2']) assert.match(error.message, new RegExp(`${name}: HTTP 503`));
  });

  test('the SDK sees an InternalServerError-class error (5xx), not a hang', async () => {
    const client = new OpenAI({ baseURL: gw.baseURL, apiKey: gw.adminKey, maxRetries: 0 });
    await assert.rejects(client.chat.completions.create(CHAT), (err: unknown) => err instanceof OpenAI.InternalServerError && err.status === 503);
  });
});

test('retries honour Retry-After: a rate-limited backend is cooled down, and all rate-limited gives 429', async (t) => {
  const sims = await startSimulators(2);
  sims[0]!.setFaults({ rate_limit_rate: 1, retry_after_s: 30 });
  const gw = await startGateway(`${TIMEOUTS}\nmodels:\n  chat:\n    backends:\n${backendsYaml(sims)}\n`);
  t.after(async () => {
    await gw.close();
    await closeAll(sims);
  });
  // b0 has priority (list order within one priority is weighted-random, so send a few).
  for (let i = 0; i < 6; i++) assert.equal((await post(`${gw.baseURL}/chat/completions`, CHAT, bearer(gw.adminKey))).status, 200);
  const hitsOnRateLimited = sims[0]!.stats().requests;
  assert.equal(hitsOnRateLimited, 1, 'after one 429 with Retry-After: 30 the backend is not tried again');
  const ready = await get(`${gw.url}/readyz`, bearer(gw.adminKey));
  assert.match(ready.text, /"cooling_down":true/);

  sims[1]!.setFaults({ rate_limit_rate: 1, retry_after_s: 30 });
  const res = await post(`${gw.baseURL}/chat/completions`, CHAT, bearer(gw.adminKey));
  assert.equal(res.status, 429);
  assert.ok(Number(res.headers['retry-after']) >= 25, `Retry-After ${res.headers['retry-after']} reflects the upstream's`);
  const client = new OpenAI({ baseURL: gw.baseURL, apiKey: gw.adminKey, maxRetries: 0 });
  await assert.rejects(client.chat.completions.create(CHAT), OpenAI.RateLimitError);
});

test('a full bulkhead answers 429 with Retry-After instead of queueing without bound', async (t) => {
  const [sim] = await startSimulators(1, { latency_ms: 400 });
  const gw = await startGateway(`models:\n  chat:\n    backends:\n      - { name: b0, provider: openai, base_url: ${sim!.url}/v1, max_concurrency: 2, max_queue: 1 }\n`);
  t.after(async () => {
    await gw.close();
    await sim!.close();
  });
  const results = await Promise.all(Array.from({ length: 6 }, () => post(`${gw.baseURL}/chat/completions`, CHAT, bearer(gw.adminKey))));
  const statuses = results.map((r) => r.status).sort();
  assert.deepEqual(statuses, [200, 200, 200, 429, 429, 429], '2 in flight + 1 queued are served, the rest refused');
  const refused = results.find((r) => r.status === 429)!;
  assert.equal(refused.headers['retry-after'], '1');
  assert.equal(refused.json<{ error: { code: string } }>().error.code, 'backend_busy');
  assert.ok(sim!.stats().requests <= 3);
});

test('a stream the upstream cuts before [DONE] ends with an explicit error event', async (t) => {
  const [sim] = await startSimulators(1, { completion_tokens: 40, faults: { cut_stream_rate: 1 } });
  const gw = await startGateway(`models:\n  chat:\n    backends:\n      - { name: b0, provider: openai, base_url: ${sim!.url}/v1 }\n`);
  t.after(async () => {
    await gw.close();
    await sim!.close();
  });
  const res = await post(`${gw.baseURL}/chat/completions`, { ...CHAT, max_tokens: 40, stream: true }, bearer(gw.adminKey));
  assert.equal(res.status, 200);
  const events = sseData(res.text);
  assert.ok(!events.includes('[DONE]'), 'no [DONE] after a cut stream');
  const last = JSON.parse(events.at(-1)!) as { error?: { code: string; message: string } };
  assert.equal(last.error?.code, 'stream_interrupted');
  // The SDK turns that event into a thrown error: the caller cannot mistake it for a complete answer.
  const client = new OpenAI({ baseURL: gw.baseURL, apiKey: gw.adminKey, maxRetries: 0 });
  await assert.rejects(async () => {
    const stream = await client.chat.completions.create({ ...CHAT, max_tokens: 40, stream: true });
    for await (const _ of stream) {
      // consume
    }
  }, /interrupted/);
});

test('a client that disconnects aborts the upstream request', async (t) => {
  const [sim] = await startSimulators(1, { faults: { hang_rate: 1 } });
  const gw = await startGateway(`models:\n  chat:\n    backends:\n      - { name: b0, provider: openai, base_url: ${sim!.url}/v1 }\n`);
  t.after(async () => {
    await gw.close();
    await sim!.close();
  });
  const client = new OpenAI({ baseURL: gw.baseURL, apiKey: gw.adminKey, maxRetries: 0 });
  const first = new AbortController();
  const second = new AbortController();
  const calls = [first, second].map((c) => client.chat.completions.create(CHAT, { signal: c.signal }).catch((e: unknown) => e));
  const backend = gw.gateway.runtime.models.get('chat')!.backends[0]!;
  const deadline = Date.now() + 5000;
  while (backend.inFlight < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
  assert.equal(backend.inFlight, 2);
  first.abort();
  await calls[0];
  while (backend.inFlight > 1 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
  assert.equal(backend.inFlight, 1, 'the aborted request released its upstream slot at once');
  second.abort();
  await calls[1];
});
