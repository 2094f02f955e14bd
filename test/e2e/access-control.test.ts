// Access control end to end: every registered route refuses an anonymous caller, and the role × endpoint × own/other
// team matrix holds cell by cell, lists included (a caller never sees another team's keys, logs or teams).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { bearer, get, post, send } from '../helpers/http.ts';
import { startGateway, type TestGateway } from '../helpers/gateway.ts';

const CONFIG = `
auth:
  brute_force: { slow_after: 1000, block_after: 2000 }
models:
  m:
    backends:
      - provider: simulator
`;

type Role = 'admin' | 'operator' | 'team-admin' | 'developer' | 'app' | 'auditor';
const ROLES: Role[] = ['admin', 'operator', 'team-admin', 'developer', 'app', 'auditor'];

let gw: TestGateway;
const teams: Record<'a' | 'b', string> = { a: '', b: '' };
/** Keys of team A by role (admin, operator and auditor belong to no team), and some of team B. */
const key: Record<Role, string> = { admin: '', operator: '', 'team-admin': '', developer: '', app: '', auditor: '' };
const keyId: Record<Role, string> = { ...key };
let otherTeamKey = { id: '', secret: '' };
let otherTeamAdmin = '';
const chat = { model: 'm', messages: [{ role: 'user', content: 'hi' }] };

async function createKey(body: Record<string, unknown>, as = gw.adminKey): Promise<{ id: string; key: string }> {
  const res = await post(`${gw.url}/admin/keys`, body, bearer(as));
  assert.equal(res.status, 201, res.text);
  return res.json<{ id: string; key: string }>();
}

before(async () => {
  gw = await startGateway(CONFIG);
  for (const t of ['a', 'b'] as const) {
    const res = await post(`${gw.url}/admin/teams`, { name: `team-${t}` }, bearer(gw.adminKey));
    assert.equal(res.status, 201, res.text);
    teams[t] = res.json<{ id: string }>().id;
  }
  for (const role of ROLES) {
    const inTeam = role === 'team-admin' || role === 'developer' || role === 'app';
    const created = await createKey({ name: role, role, ...(inTeam ? { team: 'team-a' } : {}) });
    key[role] = created.key;
    keyId[role] = created.id;
  }
  const b = await createKey({ name: 'b-app', role: 'app', team: 'team-b' });
  otherTeamKey = { id: b.id, secret: b.key };
  otherTeamAdmin = (await createKey({ name: 'b-admin', role: 'team-admin', team: 'team-b' })).key;
  // One request-log row per team.
  assert.equal((await post(`${gw.url}/v1/chat/completions`, chat, bearer(key.app))).status, 200);
  assert.equal((await post(`${gw.url}/v1/chat/completions`, chat, bearer(otherTeamKey.secret))).status, 200);
  await gw.gateway.services.requestLog.flush();
});
after(() => gw.close());

describe('no anonymous access', () => {
  test('every registered route refuses a request without credentials, except the two bare probes', async () => {
    const routes = gw.gateway.router.routes();
    assert.ok(routes.length >= 18, `only ${routes.length} routes registered`);
    for (const { method, pattern } of routes) {
      const path = pattern.replace(/:([a-z_]+)/g, 'x');
      const res = await send(method, `${gw.url}${path}`, method === 'GET' || method === 'DELETE' ? undefined : {});
      if (path === '/livez' || path === '/readyz') {
        assert.equal(res.status, 200, `${method} ${path}`);
        assert.deepEqual(Object.keys(res.json()), ['status'], `${method} ${path} shows a status only`);
        continue;
      }
      assert.equal(res.status, 401, `${method} ${path} answered ${res.status} without credentials: ${res.text}`);
      assert.equal(res.json<{ error: { type: string } }>().error.type, 'authentication_error');
    }
  });

  test('a wrong key and a malformed Authorization header are refused too', async () => {
    assert.equal((await get(`${gw.url}/admin/keys`, bearer('sk-archway-not-a-key'))).status, 401);
    assert.equal((await get(`${gw.url}/admin/keys`, { authorization: 'Basic abc' })).status, 401);
  });
});

/** [description, request, roles allowed] */
type Cell = [string, (k: string) => Promise<{ status: number }>, Role[]];

const DATA_PLANE: Role[] = ['admin', 'team-admin', 'developer', 'app'];
const MATRIX: Cell[] = [
  ['POST /v1/chat/completions', (k) => post(`${gw.url}/v1/chat/completions`, chat, bearer(k)), DATA_PLANE],
  ['GET /v1/models', (k) => get(`${gw.url}/v1/models`, bearer(k)), DATA_PLANE],
  ['GET /metrics', (k) => get(`${gw.url}/metrics`, bearer(k)), ['admin', 'operator']],
  ['GET /readyz (detail)', (k) => get(`${gw.url}/readyz`, bearer(k)), ['admin', 'operator']],
  ['GET /admin/config', (k) => get(`${gw.url}/admin/config`, bearer(k)), ['admin', 'operator']],
  ['GET /admin/keys', (k) => get(`${gw.url}/admin/keys`, bearer(k)), ['admin', 'team-admin', 'developer']],
  ['POST /admin/keys (own team)', (k) => post(`${gw.url}/admin/keys`, { name: 'x', role: 'app', team: 'team-a' }, bearer(k)), ['admin', 'team-admin', 'developer']],
  ['POST /admin/keys (other team)', (k) => post(`${gw.url}/admin/keys`, { name: 'x', role: 'app', team: 'team-b' }, bearer(k)), ['admin']],
  ['POST /admin/keys (role admin)', (k) => post(`${gw.url}/admin/keys`, { name: 'x', role: 'admin' }, bearer(k)), ['admin']],
  ['GET /admin/teams', (k) => get(`${gw.url}/admin/teams`, bearer(k)), ['admin', 'team-admin', 'developer']],
  ['POST /admin/teams', (k) => post(`${gw.url}/admin/teams`, { name: `t-${Math.random().toString(36).slice(2)}` }, bearer(k)), ['admin']],
  ['GET /admin/users', (k) => get(`${gw.url}/admin/users`, bearer(k)), ['admin', 'team-admin']],
  ['GET /admin/logs', (k) => get(`${gw.url}/admin/logs`, bearer(k)), ['admin', 'operator', 'team-admin', 'developer']],
  ['GET /admin/audit', (k) => get(`${gw.url}/admin/audit`, bearer(k)), ['admin', 'auditor']],
  ['GET /admin/audit/verify', (k) => get(`${gw.url}/admin/audit/verify`, bearer(k)), ['admin', 'auditor']],
  ['GET /admin/usage', (k) => get(`${gw.url}/admin/usage?group_by=team`, bearer(k)), ['admin', 'operator', 'team-admin', 'developer']],
  ["PUT /admin/keys/:id/quota (own team's key)", (k) => send('PUT', `${gw.url}/admin/keys/${keyId.app}/quota`, { rpm: 1000 }, bearer(k)), ['admin', 'team-admin']],
  ['PUT /admin/teams/:id/quota (own team)', (k) => send('PUT', `${gw.url}/admin/teams/team-a/quota`, { rpm: 1000 }, bearer(k)), ['admin']],
];

describe('role × endpoint matrix', () => {
  for (const [name, call, allowed] of MATRIX) {
    for (const role of ROLES) {
      const expected = allowed.includes(role) ? 'allowed' : 'refused';
      test(`${name} as ${role}: ${expected}`, async () => {
        const res = await call(key[role]);
        if (expected === 'allowed') assert.ok(res.status === 200 || res.status === 201, `${name} as ${role}: ${res.status}`);
        else assert.equal(res.status, 403, `${name} as ${role}: ${res.status}`);
      });
    }
  }
});

describe('own team versus other team', () => {
  const listIds = async (path: string, k: string): Promise<string[]> => {
    const res = await get(`${gw.url}${path}`, bearer(k));
    assert.equal(res.status, 200, res.text);
    return res.json<{ data: { id: string }[] }>().data.map((r) => r.id);
  };

  test('a team-admin lists its team keys only; a developer only its own', async () => {
    const asTeamAdmin = await listIds('/admin/keys', key['team-admin']);
    assert.ok(asTeamAdmin.includes(keyId.app) && asTeamAdmin.includes(keyId.developer));
    assert.ok(!asTeamAdmin.includes(otherTeamKey.id), 'team-admin of A sees a key of team B');
    assert.ok(!asTeamAdmin.includes(keyId.admin), 'team-admin sees a key of no team');
    const asDeveloper = await listIds('/admin/keys', key.developer);
    assert.ok(asDeveloper.includes(keyId.developer));
    assert.ok(!asDeveloper.includes(keyId.app), 'a developer sees a teammate key it does not own');
    const asAdmin = await listIds('/admin/keys', key.admin);
    assert.ok(asAdmin.includes(otherTeamKey.id) && asAdmin.includes(keyId.app));
  });

  test('logs: team-scoped roles see their own team rows only; admins and operators see all', async () => {
    const teamOf = async (k: string): Promise<Set<string | null>> => {
      const res = await get(`${gw.url}/admin/logs`, bearer(k));
      return new Set(res.json<{ data: { teamId: string | null }[] }>().data.map((r) => r.teamId));
    };
    assert.deepEqual(await teamOf(key['team-admin']), new Set([teams.a]));
    assert.deepEqual(await teamOf(key.developer), new Set([teams.a]));
    assert.deepEqual(await teamOf(otherTeamAdmin), new Set([teams.b]));
    for (const role of ['admin', 'operator'] as const) {
      const seen = await teamOf(key[role]);
      assert.ok(seen.has(teams.a) && seen.has(teams.b), `${role} sees both teams`);
    }
  });

  test('one log row of another team is not found; of its own team it is', async () => {
    const rows = (await get(`${gw.url}/admin/logs`, bearer(key.admin))).json<{ data: { id: string; teamId: string }[] }>().data;
    const rowA = rows.find((r) => r.teamId === teams.a)!;
    const rowB = rows.find((r) => r.teamId === teams.b)!;
    assert.equal((await get(`${gw.url}/admin/logs/${rowA.id}`, bearer(key['team-admin']))).status, 200);
    assert.equal((await get(`${gw.url}/admin/logs/${rowB.id}`, bearer(key['team-admin']))).status, 404);
    assert.equal((await get(`${gw.url}/admin/logs/${rowB.id}`, bearer(key.developer))).status, 404);
  });

  test("teams: a team-admin sees only its own team; revoking another team's key is not found", async () => {
    const visible = await listIds('/admin/teams', key['team-admin']);
    assert.deepEqual(visible, [teams.a]);
    assert.equal((await send('DELETE', `${gw.url}/admin/keys/${otherTeamKey.id}`, undefined, bearer(key['team-admin']))).status, 404);
    assert.equal((await post(`${gw.url}/v1/chat/completions`, chat, bearer(otherTeamKey.secret))).status, 200, 'the key of team B still works');
  });

  test('a developer cannot revoke a teammate key it does not own, but can its own', async () => {
    assert.equal((await send('DELETE', `${gw.url}/admin/keys/${keyId.app}`, undefined, bearer(key.developer))).status, 404);
    const mine = await createKey({ name: 'dev-own', role: 'app' }, key.developer);
    assert.equal((await send('DELETE', `${gw.url}/admin/keys/${mine.id}`, undefined, bearer(key.developer))).status, 200);
  });

  test("usage: team-scoped roles see their own team's only, whatever they ask for; admins see every team", async () => {
    const teamsIn = async (k: string, query = ''): Promise<Set<string | null>> => {
      const res = await get(`${gw.url}/admin/usage?group_by=team${query}`, bearer(k));
      assert.equal(res.status, 200, res.text);
      return new Set(res.json<{ data: { team_id: string | null }[] }>().data.map((r) => r.team_id));
    };
    assert.deepEqual(await teamsIn(key['team-admin']), new Set([teams.a]));
    assert.deepEqual(await teamsIn(key.developer, `&team=${teams.b}`), new Set([teams.a]), 'asking for team B still shows team A');
    assert.deepEqual(await teamsIn(otherTeamAdmin), new Set([teams.b]));
    const all = await teamsIn(key.admin);
    assert.ok(all.has(teams.a) && all.has(teams.b));
  });

  test("quotas: a team-admin cannot set another team's key quota (not found) nor its own team's quota", async () => {
    assert.equal((await send('PUT', `${gw.url}/admin/keys/${otherTeamKey.id}/quota`, { rpm: 1 }, bearer(key['team-admin']))).status, 404);
    assert.equal((await send('PUT', `${gw.url}/admin/teams/team-b/quota`, { rpm: 1 }, bearer(key['team-admin']))).status, 404);
    assert.equal((await post(`${gw.url}/v1/chat/completions`, chat, bearer(otherTeamKey.secret))).status, 200, 'team B is not limited');
  });

  test('refusals are in the audit log', async () => {
    await get(`${gw.url}/admin/audit`, bearer(key.app));
    const entries = (await get(`${gw.url}/admin/audit?limit=10000`, bearer(key.auditor))).json<{ data: { action: string; actor: string; outcome: string }[] }>().data;
    assert.ok(entries.some((e) => e.action === 'access.refused' && e.actor === `key:${keyId.app}` && e.outcome === 'refused'));
    assert.ok(entries.some((e) => e.action === 'key.create' && e.outcome === 'ok'));
  });
});
