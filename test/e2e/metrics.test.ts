// /metrics tells an operator what the gateway is doing: traffic, latency, time to first token, tokens, retries,
// circuit states and bulkhead queues, per model and backend.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startGateway } from '../helpers/gateway.ts';
import { closeAll, startSimulators } from '../helpers/simulators.ts';
import { bearer, get, post } from '../helpers/http.ts';
import { sample } from '../helpers/metrics.ts';

test('metrics count requests, tokens, TTFT, retries, circuits and bulkheads', async (t) => {
  const sims = await startSimulators(2, { completion_tokens: 6 });
  sims[1]!.setFaults({ error_rate: 1, error_status: 500 });
  const gw = await startGateway(`
reliability:
  retry: { max_attempts: 3, base_delay_ms: 1, max_delay_ms: 10 }
  circuit_breaker: { consecutive_failures: 2, open_ms: 60000 }
models:
  chat:
    routing: priority
    backends:
      - { name: good, provider: openai, base_url: ${sims[0]!.url}/v1, priority: 1 }
      - { name: bad, provider: openai, base_url: ${sims[1]!.url}/v1, priority: 0 }
`);
  t.after(async () => {
    await gw.close();
    await closeAll(sims);
  });
  const body = { model: 'chat', messages: [{ role: 'user', content: 'hi' }] };
  for (let i = 0; i < 3; i++) assert.equal((await post(`${gw.baseURL}/chat/completions`, body, bearer(gw.adminKey))).status, 200);
  assert.equal((await post(`${gw.baseURL}/chat/completions`, { ...body, stream: true }, bearer(gw.adminKey))).status, 200);

  const text = (await get(`${gw.url}/metrics`, bearer(gw.adminKey))).text;
  assert.equal(sample(text, 'archway_requests_total', { endpoint: '/v1/chat/completions', model: 'chat', backend: 'good', status: '200' }), 4);
  assert.equal(sample(text, 'archway_retries_total', { model: 'chat', backend: 'bad', reason: 'status' }), 2, 'two failures opened the circuit');
  assert.equal(sample(text, 'archway_circuit_state', { model: 'chat', backend: 'bad' }), 2, 'open');
  assert.equal(sample(text, 'archway_circuit_state', { model: 'chat', backend: 'good' }), 0, 'closed');
  assert.equal(sample(text, 'archway_bulkhead_queue_depth', { model: 'chat', backend: 'good' }), 0);
  assert.equal(sample(text, 'archway_tokens_total', { model: 'chat', kind: 'completion' }), 24, '4 answers of 6 tokens');
  assert.equal(sample(text, 'archway_time_to_first_token_seconds_count', { model: 'chat' }), 1, 'one stream');
  assert.equal(sample(text, 'archway_request_duration_seconds_count', { endpoint: '/v1/chat/completions', model: 'chat' }), 4);

  // Counters carry totals from one scrape to the next: one more answer adds exactly one request and its tokens.
  assert.equal((await post(`${gw.baseURL}/chat/completions`, body, bearer(gw.adminKey))).status, 200);
  const later = (await get(`${gw.url}/metrics`, bearer(gw.adminKey))).text;
  assert.equal(sample(later, 'archway_requests_total', { endpoint: '/v1/chat/completions', model: 'chat', backend: 'good', status: '200' }), 5);
  assert.equal(sample(later, 'archway_tokens_total', { model: 'chat', kind: 'completion' }), 30);
  assert.equal(sample(later, 'archway_request_duration_seconds_count', { endpoint: '/v1/chat/completions', model: 'chat' }), 5);
});
