// Identities end to end: OIDC bearer tokens checked against a real JWKS server on loopback (claims mapped to role,
// team and attributes), fuzzed tokens and headers that never get anything but a 4xx, and repeated failed
// authentications slowed and then refused.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import fc from 'fast-check';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';
import { bearer, get, post, send } from '../helpers/http.ts';
import { startGateway, type TestGateway } from '../helpers/gateway.ts';

let jwks: Server;
let signingKey: CryptoKey;
let strangerKey: CryptoKey;
let gw: TestGateway;
const ISSUER = 'https://idp.example.test/';
const chat = { model: 'm', messages: [{ role: 'user', content: 'hi' }] };

function token(claims: Record<string, unknown>, options: { key?: CryptoKey; exp?: number | string; alg?: string } = {}): Promise<string> {
  return new SignJWT({ sub: 'alice@example.test', name: 'Alice', groups: ['ml-engineers'], team: 'research', geo: 'eu', ...claims })
    .setProtectedHeader({ alg: options.alg ?? 'RS256', kid: options.key === strangerKey ? 'stranger' : 'k1' })
    .setIssuer(ISSUER)
    .setAudience('archway')
    .setIssuedAt()
    .setExpirationTime(options.exp ?? '10m')
    .sign(options.key ?? signingKey);
}

before(async () => {
  ({ privateKey: signingKey } = await generateKeyPair('RS256').then(async (pair) => {
    const jwk: JWK = { ...(await exportJWK(pair.publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' };
    jwks = createServer((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: [jwk] })));
    await new Promise<void>((resolve) => jwks.listen(0, '127.0.0.1', resolve));
    return pair;
  }));
  strangerKey = (await generateKeyPair('RS256')).privateKey;
  const port = (jwks.address() as AddressInfo).port;
  gw = await startGateway(`
auth:
  oidc:
    issuer: ${ISSUER}
    audience: archway
    jwks_url: http://127.0.0.1:${port}/jwks
    claims: { roles: groups, attributes: { region: geo } }
    role_map: { ml-engineers: developer, platform-admins: admin }
  brute_force: { slow_after: 100000, block_after: 100000 }
models:
  m:
    backends:
      - provider: simulator
`);
  assert.equal((await post(`${gw.url}/admin/teams`, { name: 'research' }, bearer(gw.adminKey))).status, 201);
});
after(async () => {
  await gw.close();
  jwks.close();
});

describe('OIDC bearer tokens', () => {
  test('a valid token: its role, team and attributes come from the claims as configured', async () => {
    const res = await post(`${gw.url}/v1/chat/completions`, chat, bearer(await token({})));
    assert.equal(res.status, 200, res.text);
    await gw.gateway.services.requestLog.flush();
    const [row] = await gw.gateway.services.requestLogs.query({ limit: 1 });
    assert.equal(row?.keyId, 'user:alice@example.test');
    assert.equal(row?.teamId, gw.gateway.services.keys.team('research')?.id);
    // developer: the data plane yes, the audit log no
    assert.equal((await get(`${gw.url}/admin/audit`, bearer(await token({})))).status, 403);
    assert.equal((await get(`${gw.url}/admin/audit`, bearer(await token({ groups: ['platform-admins'] })))).status, 200);
  });

  test('a user registered for the subject overrides the claims; a disabled user is refused', async () => {
    const registered = await post(`${gw.url}/admin/users`, { subject: 'bob@example.test', role: 'auditor', team: 'research' }, bearer(gw.adminKey));
    assert.equal(registered.status, 201, registered.text);
    const bob = await token({ sub: 'bob@example.test' }); // claims say developer (ml-engineers)
    assert.equal((await get(`${gw.url}/admin/audit`, bearer(bob))).status, 200, 'the registered role (auditor) applies');
    assert.equal((await post(`${gw.url}/v1/chat/completions`, chat, bearer(bob))).status, 403, 'auditors do not call models');
    const id = registered.json<{ id: string }>().id;
    const disabled = await send('DELETE', `${gw.url}/admin/users/${id}`, undefined, bearer(gw.adminKey));
    assert.equal(disabled.status, 200);
    const again = await get(`${gw.url}/admin/audit`, bearer(await token({ sub: 'bob@example.test', name: 'Bob' })));
    assert.equal(again.status, 401);
    assert.match(again.json<{ error: { message: string } }>().error.message, /disabled/);
  });

  for (const [name, make] of [
    ['expired', () => token({}, { exp: Math.floor(Date.now() / 1000) - 3600 })],
    ['for another audience', () => new SignJWT({ sub: 'a', groups: ['ml-engineers'] }).setProtectedHeader({ alg: 'RS256', kid: 'k1' }).setIssuer(ISSUER).setAudience('other').setExpirationTime('5m').sign(signingKey)],
    ['from another issuer', () => new SignJWT({ sub: 'a', groups: ['ml-engineers'] }).setProtectedHeader({ alg: 'RS256', kid: 'k1' }).setIssuer('https://evil.test/').setAudience('archway').setExpirationTime('5m').sign(signingKey)],
    ['signed by a key the provider does not publish', () => token({}, { key: strangerKey })],
    ['unsigned (alg none)', async () => `${Buffer.from('{"alg":"none"}').toString('base64url')}.${Buffer.from(JSON.stringify({ sub: 'a', iss: ISSUER, aud: 'archway', exp: 9e9, groups: ['platform-admins'] })).toString('base64url')}.`],
    ['without any known role', () => token({ groups: ['visitors'] })],
    ['naming a team that does not exist', () => token({ team: 'nowhere' })],
  ] as const) {
    test(`a token ${name} → 401`, async () => {
      const res = await post(`${gw.url}/v1/chat/completions`, chat, bearer(await make()));
      assert.equal(res.status, 401, res.text);
      assert.equal(res.json<{ error: { type: string } }>().error.type, 'authentication_error');
    });
  }

  test('fuzzed tokens and credential headers: never a 5xx, never a hang', async () => {
    const valid = await token({});
    const [h, p, s] = valid.split('.') as [string, string, string];
    const b64 = fc.string({ unit: fc.constantFrom(...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'.split('')), maxLength: 200 });
    const tokens = fc.oneof(
      fc.string({ maxLength: 300 }),
      fc.tuple(b64, b64, b64).map((parts) => parts.join('.')),
      fc.tuple(fc.constantFrom(h, 'eyJhbGciOiJIUzI1NiJ9'), b64, fc.constantFrom(s, '')).map((parts) => parts.join('.')),
      fc.tuple(fc.nat(valid.length - 1), fc.constantFrom(...'AZaz09-_.'.split(''))).map(([i, c]) => valid.slice(0, i) + c + valid.slice(i + 1)),
      fc.jsonValue().map((v) => `${h}.${Buffer.from(JSON.stringify(v)).toString('base64url')}.${s}`),
      fc.constant(`${h}.${p}`),
    );
    const statuses = new Map<number, number>();
    await fc.assert(
      fc.asyncProperty(tokens, fc.constantFrom('authorization', 'api-key'), async (credential, header) => {
        const value = header === 'authorization' ? `Bearer ${credential}` : credential;
        if (/[^\t\x20-\x7e]/.test(value)) return; // not sendable as an HTTP header
        const res = await post(`${gw.url}/v1/chat/completions`, chat, { [header]: value });
        statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
        assert.ok(res.status === 200 || res.status === 401 || res.status === 400, `status ${res.status}: ${res.text}`);
        assert.ok(res.status !== 200 || credential === valid, 'only the valid token is accepted');
      }),
      { numRuns: 1500 },
    );
    assert.ok((statuses.get(401) ?? 0) > 1000, `statuses: ${JSON.stringify([...statuses])}`);
  });
});

describe('failed authentications', () => {
  test('slowed, then refused with 429 and Retry-After for the address, even with a valid key; audited', async () => {
    const strict = await startGateway(`
auth:
  brute_force: { slow_after: 2, delay_ms: 20, block_after: 5, block_s: 60 }
models:
  m:
    backends:
      - provider: simulator
`);
    try {
      for (let i = 1; i <= 4; i++) assert.equal((await get(`${strict.url}/v1/models`, bearer(`sk-archway-guess-${i}`))).status, 401);
      const blocked = await get(`${strict.url}/v1/models`, bearer('sk-archway-guess-5'));
      assert.equal(blocked.status, 429);
      assert.equal(blocked.headers['retry-after'], '60');
      const evenValid = await get(`${strict.url}/v1/models`, bearer(strict.adminKey));
      assert.equal(evenValid.status, 429, 'a blocked address is refused before any key is looked at');
      const refusals = await strict.gateway.services.audit.store.list({ action: 'access.refused' });
      assert.equal(refusals.length, 5);
      assert.ok(refusals.every((e) => e.actor === 'ip:127.0.0.1' && !JSON.stringify(e).includes('sk-archway-guess')), 'audited, without the guessed keys');
    } finally {
      await strict.close();
    }
  });
});
