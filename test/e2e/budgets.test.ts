// Budgets and rate limits against a real gateway and simulator, counters in the process: a hard budget holds under
// 200 concurrent requests, rate limits answer like OpenAI's (headers, 429 with Retry-After), token limits are
// corrected with the real usage, and spend survives a restart.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI from 'openai';
import { startGateway, tempDir, type TestGateway } from '../helpers/gateway.ts';
import { bearer, post, get, send, type RawResponse } from '../helpers/http.ts';

// $1,000 and $2,000 per million tokens: a cent is ten tokens, so a request's cost is large enough to count.
const PRICE = { input: 1000, output: 2000 };

function config(extra = ''): string {
  return `
pricing:
  metered: { input: ${PRICE.input}, output: ${PRICE.output} }
models:
  metered:
    backends:
      - provider: simulator
        simulator: { latency_ms: 40, completion_tokens: 16 }
${extra}`;
}

async function createKey(gw: TestGateway, quota: Record<string, unknown>, extra: Record<string, unknown> = {}): Promise<{ id: string; key: string }> {
  const res = await post(`${gw.url}/admin/keys`, { name: 'limited', quota, ...extra }, bearer(gw.adminKey));
  assert.equal(res.status, 201, res.text);
  return res.json<{ id: string; key: string }>();
}

const chat = (gw: TestGateway, key: string, body: Record<string, unknown> = {}): Promise<RawResponse> =>
  post(`${gw.baseURL}/chat/completions`, { model: 'metered', messages: [{ role: 'user', content: 'hello' }], max_tokens: 16, ...body }, bearer(key));

async function spentBy(gw: TestGateway, keyId: string): Promise<{ cost_usd: number; requests: number; errors: number }> {
  const res = await get(`${gw.url}/admin/usage?group_by=key&key=${keyId}`, bearer(gw.adminKey));
  assert.equal(res.status, 200, res.text);
  const rows = res.json<{ data: { cost_usd: number; requests: number; errors: number }[] }>().data;
  return rows[0] ?? { cost_usd: 0, requests: 0, errors: 0 };
}

test('a hard budget holds under 200 concurrent requests: the spend never exceeds it', async (t) => {
  const gw = await startGateway(config());
  t.after(() => gw.close());
  // Worst case of one request: 8 prompt tokens as reserved ("hello" is 1 token, plus 4 per message and 3 to prime the
  // reply) at $1,000/M and 16 max_tokens at $2,000/M = $0.008 + $0.032 = $0.040. The budget is ten of those.
  const budget = 0.4;
  const { id, key } = await createKey(gw, { budget_usd: budget, period: 'day' });
  const results = await Promise.all(Array.from({ length: 200 }, () => chat(gw, key)));
  const ok = results.filter((r) => r.status === 200);
  const refused = results.filter((r) => r.status === 429);
  assert.equal(ok.length + refused.length, 200, `only 200s and 429s: ${[...new Set(results.map((r) => r.status))]}`);
  // Real cost of one answer: 2 prompt tokens (the simulator counts 4 characters a token) and 16 completion tokens =
  // $0.002 + $0.032 = $0.034. Reservations are settled as answers finish, so more than ten fit, but never more
  // than the budget: at most floor(0.4 / 0.034) = 11.
  assert.ok(ok.length >= 10 && ok.length <= 11, `${ok.length} answered`);
  const spent = await spentBy(gw, id);
  assert.ok(spent.cost_usd <= budget + 1e-9, `spent $${spent.cost_usd} of $${budget}`);
  assert.ok(Math.abs(spent.cost_usd - ok.length * 0.034) < 1e-9, `each answer cost $0.034 (spent $${spent.cost_usd})`);
  const body = refused[0]!.json<{ error: { type: string; code: string; message: string } }>().error;
  assert.equal(body.type, 'insufficient_quota');
  assert.equal(body.code, 'budget_exceeded');
  const tomorrow = new Date(Date.UTC(new Date().getUTCFullYear(), new Date().getUTCMonth(), new Date().getUTCDate() + 1)).toISOString();
  assert.match(body.message, new RegExp(`resets at ${tomorrow.replace(/\./g, '\\.')}`));
  assert.equal(refused[0]!.headers['x-should-retry'], 'false');
  assert.ok(Number(refused[0]!.headers['retry-after']) > 0);
});

test('the OpenAI SDK gets an exhausted budget as a RateLimitError of type insufficient_quota, and does not retry it', async (t) => {
  const gw = await startGateway(config());
  t.after(() => gw.close());
  const { key } = await createKey(gw, { budget_usd: 0.05, period: 'month' });
  const client = new OpenAI({ baseURL: gw.baseURL, apiKey: key, maxRetries: 3 });
  await client.chat.completions.create({ model: 'metered', messages: [{ role: 'user', content: 'hello' }], max_tokens: 16 });
  const started = Date.now();
  await assert.rejects(
    client.chat.completions.create({ model: 'metered', messages: [{ role: 'user', content: 'hello' }], max_tokens: 16 }),
    (err: unknown) => err instanceof OpenAI.RateLimitError && (err.error as { type?: string }).type === 'insufficient_quota',
  );
  assert.ok(Date.now() - started < 1_000, 'answered at once, not after SDK retries');
});

test('requests per minute: OpenAI-style headers, then 429 with Retry-After', async (t) => {
  const gw = await startGateway(config());
  t.after(() => gw.close());
  const { key } = await createKey(gw, { rpm: 3 });
  const remaining: string[] = [];
  for (let i = 0; i < 3; i++) {
    const res = await chat(gw, key);
    assert.equal(res.status, 200, res.text);
    assert.equal(res.headers['x-ratelimit-limit-requests'], '3');
    remaining.push(String(res.headers['x-ratelimit-remaining-requests']));
    assert.match(String(res.headers['x-ratelimit-reset-requests']), /^\d+(\.\d+)?(ms|s)$|^\d+m\d+s$/);
  }
  assert.deepEqual(remaining, ['2', '1', '0']);
  const refused = await chat(gw, key);
  assert.equal(refused.status, 429);
  assert.equal(refused.json<{ error: { type: string; code: string } }>().error.code, 'rate_limited');
  assert.equal(refused.json<{ error: { type: string } }>().error.type, 'rate_limit_error');
  const retryAfter = Number(refused.headers['retry-after']);
  assert.ok(retryAfter >= 1 && retryAfter <= 120, `retry-after ${retryAfter}`);
});

test('tokens per minute reserve the prompt and max_tokens, then keep only what was used', async (t) => {
  const gw = await startGateway(config());
  t.after(() => gw.close());
  const { key } = await createKey(gw, { tpm: 100 });
  // Reserved: 8 prompt tokens + 60 max_tokens = 68. Used: 2 + 16 = 18. Without the correction the second request
  // (68 more) would not fit in 100; with it, 18 + 68 = 86 does.
  const first = await chat(gw, key, { max_tokens: 60 });
  assert.equal(first.status, 200, first.text);
  assert.equal(first.headers['x-ratelimit-remaining-tokens'], '32');
  await new Promise((r) => setTimeout(r, 50)); // settlement is applied after the response
  const second = await chat(gw, key, { max_tokens: 60 });
  assert.equal(second.status, 200, second.text);
  assert.equal(second.headers['x-ratelimit-remaining-tokens'], String(100 - 18 - 68));
  const third = await chat(gw, key, { max_tokens: 60 });
  assert.equal(third.status, 429, 'the real 36 plus 68 reserved is over 100');
  const alone = await chat(gw, key, { max_tokens: 500 });
  assert.equal(alone.status, 400, 'a request that could never fit is not a rate limit to wait out');
  assert.match(alone.json<{ error: { message: string } }>().error.message, /alone takes 508 tokens/);
});

test('cost is metered per request from the price table, and a team limit applies to all its keys', async (t) => {
  const gw = await startGateway(config());
  t.after(() => gw.close());
  assert.equal((await post(`${gw.url}/admin/teams`, { name: 'research' }, bearer(gw.adminKey))).status, 201);
  const team = await send('PUT', `${gw.url}/admin/teams/research/quota`, { rpm: 2 }, bearer(gw.adminKey));
  assert.equal(team.status, 200, team.text);
  const a = await createKey(gw, {}, { team: 'research' });
  const b = await createKey(gw, {}, { team: 'research' });
  assert.equal((await chat(gw, a.key)).status, 200);
  const answered = await chat(gw, b.key);
  assert.equal(answered.status, 200);
  assert.equal((await chat(gw, b.key)).status, 429, 'the team had 2 requests a minute, over both keys');
  const log = await get(`${gw.url}/admin/logs/${answered.headers['x-request-id']}`, bearer(gw.adminKey));
  const row = log.json<{ costUsd: number; promptTokens: number; completionTokens: number }>();
  assert.equal(row.promptTokens, 2);
  assert.equal(row.completionTokens, 16);
  assert.ok(Math.abs(row.costUsd - (2 * 1000 + 16 * 2000) / 1e6) < 1e-12, `cost ${row.costUsd}`);
  const quota = await get(`${gw.url}/admin/teams/research/quota`, bearer(gw.adminKey));
  assert.equal(quota.json<{ usage: { requests: { used: number; limit: number } } }>().usage.requests.limit, 2);
});

test('what a budget has spent survives a restart', async (t) => {
  const data = tempDir();
  t.after(() => data.remove());
  const env = { ARCHWAY_DATA_DIR: data.path };
  let gw = await startGateway(config(), env);
  // Two answers of $0.034 fit a budget of $0.1 (with $0.04 reserved for each); a third would not.
  const { key } = await createKey(gw, { budget_usd: 0.1, period: 'week' });
  assert.equal((await chat(gw, key)).status, 200);
  assert.equal((await chat(gw, key)).status, 200);
  await gw.close();
  gw = await startGateway(config(), env);
  t.after(() => gw.close());
  await new Promise((r) => setTimeout(r, 150)); // the key index follows the store
  const res = await chat(gw, key);
  assert.equal(res.status, 429, `after the restart the $0.068 already spent still counts: ${res.text}`);
});

test('a bad quota is a 400 that names the field, never a 500; an unknown key is a 404', async (t) => {
  const gw = await startGateway(config());
  t.after(() => gw.close());
  const { id } = await createKey(gw, {});
  const bad: unknown[] = [{ rpm: -1 }, { rpm: 1.5 }, { budget_usd: 0 }, { period: 'year' }, { alert_at: 2 }, { rpm: '60' }, { tokens: 5 }, [], 'x', null];
  for (const body of bad) {
    const res = await send('PUT', `${gw.url}/admin/keys/${id}/quota`, body, bearer(gw.adminKey));
    assert.equal(res.status, 400, `${JSON.stringify(body)}: ${res.text}`);
    assert.equal(res.json<{ error: { type: string } }>().error.type, 'invalid_request_error');
  }
  assert.equal((await send('PUT', `${gw.url}/admin/keys/key_nope/quota`, { rpm: 1 }, bearer(gw.adminKey))).status, 404);
  assert.equal((await send('PUT', `${gw.url}/admin/teams/nope/quota`, { rpm: 1 }, bearer(gw.adminKey))).status, 404);
  const usage = await get(`${gw.url}/admin/usage?group_by=week`, bearer(gw.adminKey));
  assert.equal(usage.status, 400);
  assert.match(usage.json<{ error: { message: string } }>().error.message, /group_by takes day, key, team, model/);
  assert.equal((await get(`${gw.url}/admin/usage?since=yesterday`, bearer(gw.adminKey))).status, 400);
});

test('a soft threshold alerts once; streams and embeddings are metered and settled; the key quota shows what is used', async (t) => {
  const gw = await startGateway(`
pricing:
  metered: { input: ${PRICE.input}, output: ${PRICE.output} }
  emb: { input: 1000, output: 0 }
models:
  metered:
    backends: [{ provider: simulator, simulator: { completion_tokens: 16 } }]
  emb:
    backends: [{ provider: simulator }]
`);
  t.after(() => gw.close());
  const { id, key } = await createKey(gw, { budget_usd: 0.2, alert_at: 0.25, period: 'day' });
  const alerts = async (): Promise<number> => {
    const line = (await get(`${gw.url}/metrics`, bearer(gw.adminKey))).text.split('\n').find((l) => l.startsWith('archway_budget_alerts_total{scope="key"}'));
    return line === undefined ? 0 : Number(line.split(' ').at(-1));
  };
  const settled = (): Promise<void> => new Promise((r) => setTimeout(r, 50));

  const first = await chat(gw, key);
  // $0.2 less the $0.040 reserved for this request.
  assert.equal(first.headers['x-archway-budget-remaining-usd'], '0.160000');
  await settled();
  assert.equal(await alerts(), 0, '$0.040 of $0.2 is under the 25 % threshold');
  // A stream, with usage asked for: $0.034 spent and $0.040 reserved is over $0.05: the alert, once.
  const stream = await post(`${gw.baseURL}/chat/completions`, { model: 'metered', messages: [{ role: 'user', content: 'hello' }], max_tokens: 16, stream: true, stream_options: { include_usage: true } }, bearer(key));
  assert.equal(stream.status, 200);
  await settled();
  assert.equal(await alerts(), 1);
  const embedded = await post(`${gw.baseURL}/embeddings`, { model: 'emb', input: 'hello world' }, bearer(key));
  assert.equal(embedded.status, 200, embedded.text);
  await settled();
  assert.equal(await alerts(), 1, 'once per period');

  const row = async (res: RawResponse): Promise<{ costUsd: number; promptTokens: number; completionTokens: number; stream: boolean }> =>
    (await get(`${gw.url}/admin/logs/${res.headers['x-request-id']}`, bearer(gw.adminKey))).json();
  const streamRow = await row(stream);
  assert.equal(streamRow.stream, true);
  assert.ok(Math.abs(streamRow.costUsd - 0.034) < 1e-12, `stream cost ${streamRow.costUsd}`);
  const embeddingRow = await row(embedded);
  assert.ok(embeddingRow.promptTokens > 0);
  assert.ok(Math.abs(embeddingRow.costUsd - embeddingRow.promptTokens * 0.001) < 1e-12, `embeddings cost ${embeddingRow.costUsd}`);

  const spent = await spentBy(gw, id);
  const quota = (await get(`${gw.url}/admin/keys/${id}/quota`, bearer(gw.adminKey))).json<{ source: string; usage: { budget: { used: number; limit: number; resets_at: string } } }>();
  assert.equal(quota.source, 'key');
  assert.equal(quota.usage.budget.limit, 0.2);
  assert.ok(Math.abs(quota.usage.budget.used - spent.cost_usd) < 1e-5, `the counter holds what was spent after settlement: ${quota.usage.budget.used} against ${spent.cost_usd}`);
});
