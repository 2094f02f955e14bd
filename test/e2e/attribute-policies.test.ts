// Attribute policies end to end: data residency holds under failover (a confidential EU team's request fails rather
// than reach a non-EU backend), a model restriction is a 403 naming the rule, and per-key limits of the constrained
// API refuse or drop what they must.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { bearer, get, post } from '../helpers/http.ts';
import { startGateway, type TestGateway } from '../helpers/gateway.ts';

const CONFIG = `
policies:
  - name: eu-residency
    when: { data_classification: confidential, region: eu }
    backends: { region: [eu-west, eu-central] }
  - name: interns-small-models
    when: { level: intern }
    models: [small]
limits:
  max_messages: 20
models:
  m:
    routing: priority
    backends:
      - name: eu
        provider: simulator
        priority: 0
        attributes: { region: eu-west }
        simulator: { faults: { error_rate: 1, error_status: 503 } }
      - name: us
        provider: simulator
        priority: 1
        attributes: { region: us-east }
  small:
    backends:
      - name: small-us
        provider: simulator
        attributes: { region: us-east }
`;

let gw: TestGateway;
const keys = { eu: "", us: "", intern: "", limited: "", dropper: "" };
const chat = (model = 'm', extra: Record<string, unknown> = {}) => ({ model, messages: [{ role: 'user', content: 'hi' }], ...extra });

async function key(body: Record<string, unknown>): Promise<string> {
  const res = await post(`${gw.url}/admin/keys`, body, bearer(gw.adminKey));
  assert.equal(res.status, 201, res.text);
  return res.json<{ key: string }>().key;
}

before(async () => {
  gw = await startGateway(CONFIG);
  for (const [name, attributes] of [
    ['eu-conf', { data_classification: 'confidential', region: 'eu' }],
    ['us-public', { data_classification: 'public', region: 'us' }],
  ] as const) {
    assert.equal((await post(`${gw.url}/admin/teams`, { name, attributes }, bearer(gw.adminKey))).status, 201);
  }
  keys.eu = await key({ name: 'eu', team: 'eu-conf' });
  keys.us = await key({ name: 'us', team: 'us-public' });
  keys.intern = await key({ name: 'intern', team: 'us-public', attributes: { level: 'intern' } });
  keys.limited = await key({ name: 'limited', limits: { max_tokens: 50, allowed_params: ['temperature', 'max_tokens'], disallowed_params: 'reject' } });
  keys.dropper = await key({ name: 'dropper', limits: { allowed_params: ['temperature'], disallowed_params: 'drop', max_messages: 2 } });
});
after(() => gw.close());

describe('data residency', () => {
  test('without the rule, the failing EU backend fails over to the US one', async () => {
    const res = await post(`${gw.url}/v1/chat/completions`, chat(), bearer(keys.us));
    assert.equal(res.status, 200, res.text);
    assert.equal(res.headers['x-archway-backend'], 'us');
  });

  test('a confidential EU request gets an error, never the non-EU backend, however often it is retried', async () => {
    for (let i = 0; i < 5; i++) {
      const res = await post(`${gw.url}/v1/chat/completions`, chat(), bearer(keys.eu));
      assert.equal(res.status, 503, res.text);
      assert.notEqual(res.headers['x-archway-backend'], 'us');
      assert.doesNotMatch(res.text, /\bus\b/, 'no attempt went to the US backend');
    }
    await gw.gateway.services.requestLog.flush();
    const rows = await gw.gateway.services.requestLogs.query({ limit: 1000 });
    const euRows = rows.filter((r) => r.status === 503);
    assert.ok(euRows.length >= 5 && euRows.every((r) => r.backend !== 'us'));
  });

  test('a model with no backend the rule allows is a 403 naming the policy', async () => {
    const res = await post(`${gw.url}/v1/chat/completions`, chat('small'), bearer(keys.eu));
    assert.equal(res.status, 403);
    const { error } = res.json<{ error: { code: string; message: string } }>();
    assert.equal(error.code, 'policy_denied');
    assert.match(error.message, /policy "eu-residency" allows this caller only backends with region in \[eu-west, eu-central\]/);
  });

  test('a model restriction refuses other models, naming the rule, and /v1/models lists only the allowed', async () => {
    const res = await post(`${gw.url}/v1/chat/completions`, chat('m'), bearer(keys.intern));
    assert.equal(res.status, 403);
    assert.match(res.json<{ error: { message: string } }>().error.message, /policy "interns-small-models" refuses the model "m"/);
    assert.equal((await post(`${gw.url}/v1/chat/completions`, chat('small'), bearer(keys.intern))).status, 200);
    const listed = (await get(`${gw.url}/v1/models`, bearer(keys.intern))).json<{ data: { id: string }[] }>().data.map((m) => m.id);
    assert.deepEqual(listed, ['small']);
  });
});

describe('per-key limits', () => {
  test('max_tokens above the ceiling → 400 naming it; within it → 200', async () => {
    const over = await post(`${gw.url}/v1/chat/completions`, chat('small', { max_tokens: 51 }), bearer(keys.limited));
    assert.equal(over.status, 400);
    assert.equal(over.json<{ error: { code: string; param: string } }>().error.param, 'max_tokens');
    assert.match(over.json<{ error: { message: string } }>().error.message, /above this key's ceiling of 50/);
    assert.equal((await post(`${gw.url}/v1/chat/completions`, chat('small', { max_tokens: 50 }), bearer(keys.limited))).status, 200);
  });

  test('a parameter not allowed: refused with 400 naming it, or dropped, as configured', async () => {
    const refused = await post(`${gw.url}/v1/chat/completions`, chat('small', { top_p: 0.5 }), bearer(keys.limited));
    assert.equal(refused.status, 400);
    assert.equal(refused.json<{ error: { code: string; param: string } }>().error.code, 'limit_exceeded');
    assert.equal(refused.json<{ error: { param: string } }>().error.param, 'top_p');
    assert.equal((await post(`${gw.url}/v1/chat/completions`, chat('small', { top_p: 0.5 }), bearer(keys.dropper))).status, 200);
  });

  test("a team's limits apply to its keys, and a key's own limits override them", async () => {
    assert.equal((await post(`${gw.url}/admin/teams`, { name: 'terse', limits: { max_messages: 1 } }, bearer(gw.adminKey))).status, 201);
    const member = await key({ name: 'member', team: 'terse' });
    const exempt = await key({ name: 'exempt', team: 'terse', limits: { max_messages: 5 } });
    const two = { model: 'small', messages: [{ role: 'user', content: 'a' }, { role: 'user', content: 'b' }] };
    const refused = await post(`${gw.url}/v1/chat/completions`, two, bearer(member));
    assert.equal(refused.status, 400);
    assert.match(refused.json<{ error: { message: string } }>().error.message, /at most 1 messages/);
    assert.equal((await post(`${gw.url}/v1/chat/completions`, two, bearer(exempt))).status, 200);
  });

  test('message count: the key limit and the config default', async () => {
    const three = { model: 'small', messages: [1, 2, 3].map((i) => ({ role: 'user', content: `m${i}` })) };
    assert.equal((await post(`${gw.url}/v1/chat/completions`, three, bearer(keys.dropper))).status, 400);
    assert.equal((await post(`${gw.url}/v1/chat/completions`, three, bearer(keys.us))).status, 200);
    const many = { model: 'small', messages: Array.from({ length: 21 }, () => ({ role: 'user', content: 'x' })) };
    assert.equal((await post(`${gw.url}/v1/chat/completions`, many, bearer(keys.us))).status, 400);
  });
});
