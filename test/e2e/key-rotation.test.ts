// Keys that change without downtime: after a rotation both keys work for the grace period, then only the new one;
// a key created with an expiry stops at it. Through the admin API of a running gateway.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { bearer, get, post } from '../helpers/http.ts';
import { startGateway, type TestGateway } from '../helpers/gateway.ts';

let gw: TestGateway;
before(async () => {
  gw = await startGateway('models:\n  m:\n    backends:\n      - provider: simulator\n');
});
after(() => gw.close());

const models = (key: string) => get(`${gw.url}/v1/models`, bearer(key));

test('rotation: both keys work during the grace period, then the old one is refused as expired', async () => {
  const created = await post(`${gw.url}/admin/keys`, { name: 'svc', role: 'app', models: ['m'] }, bearer(gw.adminKey));
  const old = created.json<{ id: string; key: string }>();
  const rotated = await post(`${gw.url}/admin/keys/${old.id}/rotate`, { grace: '1s' }, bearer(gw.adminKey));
  assert.equal(rotated.status, 201, rotated.text);
  const fresh = rotated.json<{ id: string; key: string; replaces: string; models: string[] }>();
  assert.equal(fresh.replaces, old.id);
  assert.deepEqual(fresh.models, ['m'], 'the new key keeps the settings of the old one');
  assert.equal((await models(old.key)).status, 200);
  assert.equal((await models(fresh.key)).status, 200);
  await sleep(1_200);
  const refused = await models(old.key);
  assert.equal(refused.status, 401);
  assert.match(refused.json<{ error: { message: string } }>().error.message, /expired/);
  assert.equal((await models(fresh.key)).status, 200);
});

test('a key created to expire stops at its expiry', async () => {
  const created = (await post(`${gw.url}/admin/keys`, { name: 'short', expires_in: '1s' }, bearer(gw.adminKey))).json<{ key: string }>();
  assert.equal((await models(created.key)).status, 200);
  await sleep(1_200);
  assert.equal((await models(created.key)).status, 401);
});
