// JwtVerifier against a real JWKS served over loopback HTTP: claim mapping, every way a token is refused (each with
// a message that says why and never echoes the token), key rotation, algorithm confusion, the verified-token cache,
// and an identity provider that is down (503, not 401).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CompactSign, exportJWK, exportSPKI, generateKeyPair, SignJWT, type CryptoKey, type GenerateKeyPairResult, type JWK, type JWTPayload } from 'jose';
import { JwtVerifier, looksLikeJwt, type JwtVerifierOptions } from '../../src/auth/jwt-verifier.ts';
import type { OidcConfig } from '../../src/config/security-schema.ts';
import { GatewayError } from '../../src/errors.ts';

const ISSUER = 'https://idp.example.test/';
const T0 = Date.UTC(2031, 0, 1) / 1000; // seconds; the verifiers' clock starts here

/** A JWKS endpoint whose keys and behaviour the tests change while it runs; counts the fetches it answers. */
const idp = {
  server: undefined as Server | undefined,
  keys: [] as JWK[],
  mode: 'ok' as 'ok' | 'error' | 'garbage' | 'hang',
  fetches: 0,
  url: '',
};

let k1: GenerateKeyPairResult;
let stranger: GenerateKeyPairResult;
let k1Jwk: JWK;

before(async () => {
  k1 = await generateKeyPair('RS256');
  stranger = await generateKeyPair('RS256');
  k1Jwk = { ...(await exportJWK(k1.publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' };
  idp.keys = [k1Jwk];
  idp.server = createServer((_req, res) => {
    idp.fetches++;
    if (idp.mode === 'hang') return; // never answers: the verifier's timeout must give up
    if (idp.mode === 'error') return void res.writeHead(500).end('down');
    if (idp.mode === 'garbage') return void res.writeHead(200, { 'content-type': 'application/json' }).end('{"not":"a key set"}');
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: idp.keys }));
  });
  await new Promise<void>((resolve) => idp.server!.listen(0, '127.0.0.1', resolve));
  idp.url = `http://127.0.0.1:${(idp.server.address() as AddressInfo).port}/jwks`;
});
after(() => {
  idp.server?.closeAllConnections();
  idp.server?.close();
});

function config(overrides: Partial<OidcConfig> = {}): OidcConfig {
  return {
    issuer: ISSUER,
    audience: 'archway',
    jwks_url: idp.url,
    algorithms: ['RS256', 'ES256', 'PS256', 'EdDSA'],
    clock_skew_s: 60,
    claims: { subject: 'sub', name: 'name', team: 'team', roles: 'groups', attributes: { region: 'geo', tier: 'plan' } },
    role_map: { 'ml-engineers': 'developer', 'platform-admins': 'admin' },
    ...overrides,
  };
}

/** A verifier whose clock the test moves, in seconds from T0. */
function verifier(overrides: Partial<OidcConfig> = {}, options: JwtVerifierOptions = {}): { v: JwtVerifier; clock: { s: number } } {
  const clock = { s: T0 };
  return { v: new JwtVerifier(config(overrides), { now: () => clock.s * 1000, ...options }), clock };
}

interface SignOptions {
  key?: CryptoKey | Uint8Array;
  alg?: string;
  kid?: string | undefined;
  header?: Record<string, unknown>;
}

/** A token from the IdP: valid for 10 minutes from T0 unless the claims say otherwise. */
function sign(claims: JWTPayload = {}, o: SignOptions = {}): Promise<string> {
  const header = { alg: o.alg ?? 'RS256', ...('kid' in o ? (o.kid === undefined ? {} : { kid: o.kid }) : { kid: 'k1' }), ...o.header };
  return new SignJWT({ iss: ISSUER, aud: 'archway', sub: 'alice@example.test', name: 'Alice', groups: ['ml-engineers'], iat: T0, exp: T0 + 600, ...claims })
    .setProtectedHeader(header as { alg: string })
    .sign(o.key ?? k1.privateKey);
}

/** The token must be refused with a 401 whose message matches `why` and contains no part of the token. */
async function assertRefused(v: JwtVerifier, token: string, why: RegExp): Promise<void> {
  await assert.rejects(v.verify(token), (err: unknown) => {
    assert.ok(err instanceof GatewayError, `not a GatewayError: ${String(err)}`);
    assert.equal(err.code, 'invalid_api_key');
    assert.equal(err.status, 401);
    assert.match(err.message, why);
    for (const segment of token.split('.')) if (segment.length >= 8) assert.ok(!err.message.includes(segment), 'the message echoes the token');
    return true;
  });
}

describe('looksLikeJwt', () => {
  test('three base64url segments are a JWT; API keys and other shapes are not', async () => {
    assert.equal(looksLikeJwt(await sign()), true);
    assert.equal(looksLikeJwt('eyJhbGciOiJub25lIn0.eyJzdWIiOiJhIn0.'), true); // unsigned: still for the JWT path to refuse
    for (const notJwt of ['sk-archway-AbCdEf0123456789xyz', 'sk-a.b.c', '', 'a.b', 'a.b.c.d', '.b.c', 'a..c', 'a+b.c.d', 'a/b.c.d', 'a=.b.c', ' a.b.c', 'a.b.c\n']) {
      assert.equal(looksLikeJwt(notJwt), false, notJwt);
    }
    assert.equal(looksLikeJwt(`${'a'.repeat(20_000)}.b.c`), false);
  });
});

describe('JwtVerifier', () => {
  test('a valid token: subject, name, team, roles, attributes and expiry come from the claims as configured', async () => {
    const { v } = verifier();
    const identity = await v.verify(await sign({ team: 'research', geo: 'eu', plan: 3, groups: ['ml-engineers', 'visitors', 'auditor'] }));
    assert.deepEqual(identity, {
      subject: 'alice@example.test',
      name: 'Alice',
      teamName: 'research',
      roles: ['developer', 'auditor'], // mapped, unknown ignored, an Archway role name taken as is
      attributes: { region: 'eu' }, // `plan` is a number: ignored
      expiresAt: (T0 + 600) * 1000,
    });
  });

  test('claim variants: a single role string, a team list (first wins), no name (the subject), other claim names', async () => {
    const { v } = verifier({ claims: { subject: 'email', name: 'display', team: 'teams', roles: 'role', attributes: {} } });
    const identity = await v.verify(await sign({ email: 'bob@example.test', name: undefined, role: 'platform-admins', teams: ['a', 'b'] }));
    assert.equal(identity.subject, 'bob@example.test');
    assert.equal(identity.name, 'bob@example.test');
    assert.equal(identity.teamName, 'a');
    assert.deepEqual(identity.roles, ['admin']);
    assert.deepEqual(identity.attributes, {});
    await assertRefused(v, await sign({ role: 'developer' }), /no "email" claim/);
  });

  test('expiry: beyond the skew refused, within it accepted; no exp at all refused', async () => {
    const { v, clock } = verifier();
    const token = await sign({ exp: T0 - 30 });
    assert.equal((await v.verify(token)).subject, 'alice@example.test'); // 30 s late, skew 60 s
    clock.s = T0 + 61;
    const other = await sign({ exp: T0, jti: 'other' });
    await assertRefused(v, other, /expired/);
    await assertRefused(verifier().v, await sign({ exp: T0 - 61 }), /expired/);
    await assertRefused(verifier().v, await sign({ exp: undefined }), /no expiry/);
    await assertRefused(verifier().v, await sign({ exp: String(T0 + 600) as unknown as number }), /"exp" claim is not a number/);
  });

  test('an exp too large to be a time (1e400 parses as Infinity) is refused', async () => {
    const payload = `{"iss":"${ISSUER}","aud":"archway","sub":"a","groups":"admin","exp":1e400}`;
    const token = await new CompactSign(new TextEncoder().encode(payload)).setProtectedHeader({ alg: 'RS256', kid: 'k1' }).sign(k1.privateKey);
    await assertRefused(verifier().v, token, /"exp" claim is not a valid time/);
  });

  test('not-before: in the future beyond the skew refused, within it accepted', async () => {
    await assertRefused(verifier().v, await sign({ nbf: T0 + 120 }), /not valid yet/);
    assert.equal((await verifier().v.verify(await sign({ nbf: T0 + 30 }))).subject, 'alice@example.test');
  });

  test('issuer and audience must match; the audience may be a list on either side', async () => {
    const { v } = verifier();
    await assertRefused(v, await sign({ iss: 'https://evil.example.test/' }), /another issuer/);
    await assertRefused(v, await sign({ iss: undefined }), /no "iss" claim/);
    await assertRefused(v, await sign({ aud: 'someone-else' }), /another audience/);
    await assertRefused(v, await sign({ aud: ['x', 'y'] }), /another audience/);
    assert.equal((await v.verify(await sign({ aud: ['x', 'archway'] }))).subject, 'alice@example.test');
    const listed = verifier({ audience: ['archway', 'archway-staging'] }).v;
    assert.equal((await listed.verify(await sign({ aud: 'archway-staging' }))).subject, 'alice@example.test');
    await assertRefused(listed, await sign({ aud: 'prod' }), /another audience/);
  });

  test('alg none is refused', async () => {
    const b64 = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');
    const payload = b64({ iss: ISSUER, aud: 'archway', sub: 'a', groups: 'admin', exp: T0 + 600 });
    await assertRefused(verifier().v, `${b64({ alg: 'none' })}.${payload}.`, /algorithm/);
    await assertRefused(verifier().v, `${b64({ alg: 'none', kid: 'k1' })}.${payload}.${b64('sig')}`, /algorithm/);
  });

  test('algorithm confusion: HS256 with the public key as the HMAC secret is refused', async () => {
    for (const secret of [new TextEncoder().encode(await exportSPKI(k1.publicKey)), new TextEncoder().encode(JSON.stringify(k1Jwk))]) {
      await assertRefused(verifier().v, await sign({ groups: 'admin' }, { alg: 'HS256', key: secret }), /algorithm/);
    }
  });

  test('an algorithm the config does not list is refused even with a published key', async () => {
    const { v } = verifier({ algorithms: ['ES256'] });
    await assertRefused(v, await sign(), /algorithm/);
  });

  test('a signature by a key the provider does not publish is refused', async () => {
    const { v } = verifier();
    await assertRefused(v, await sign({}, { key: stranger.privateKey, kid: 'intruder' }), /key id is unknown/);
    await assertRefused(v, await sign({}, { key: stranger.privateKey }), /signature is not valid/); // claims kid k1
    await assertRefused(v, await sign({}, { key: stranger.privateKey, kid: undefined }), /signature is not valid/);
    // A key carried in the token's own header is never trusted.
    const embedded = { ...(await exportJWK(stranger.publicKey)), alg: 'RS256' };
    await assertRefused(v, await sign({}, { key: stranger.privateKey, kid: undefined, header: { jwk: embedded } }), /signature is not valid/);
  });

  test('a tampered payload is refused', async () => {
    const [h, , s] = (await sign()).split('.');
    const forged = Buffer.from(JSON.stringify({ iss: ISSUER, aud: 'archway', sub: 'mallory', groups: 'admin', exp: T0 + 600 })).toString('base64url');
    await assertRefused(verifier().v, `${h}.${forged}.${s}`, /signature is not valid/);
  });

  test('only the canonical base64url spelling is accepted (decoders ignore the low bits of the last character)', async () => {
    const { v } = verifier();
    const token = await sign();
    assert.equal((await v.verify(token)).subject, 'alice@example.test');
    let respelled = 0;
    for (const ch of 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_') {
      const variant = token.slice(0, -1) + ch;
      if (variant === token) continue;
      // Same bytes as the original when only ignored bits differ: such a variant would pass jose's own check.
      if (Buffer.from(variant.split('.')[2]!, 'base64url').equals(Buffer.from(token.split('.')[2]!, 'base64url'))) respelled++;
      await assertRefused(v, variant, /not a well-formed signed JWT|signature is not valid/);
    }
    assert.ok(respelled > 0, 'no respelling of the signature was tried');
  });

  test('key rotation: a key the provider publishes while the gateway runs is found by its kid', async () => {
    const { v } = verifier({}, { jwks: { cooldownMs: 0 } });
    assert.equal((await v.verify(await sign())).subject, 'alice@example.test'); // the set with k1 only is now loaded
    const k2 = await generateKeyPair('ES256');
    const k2Token = await sign({ sub: 'carol' }, { key: k2.privateKey, alg: 'ES256', kid: 'k2' });
    await assertRefused(v, k2Token, /key id is unknown/);
    idp.keys = [k1Jwk, { ...(await exportJWK(k2.publicKey)), kid: 'k2', alg: 'ES256', use: 'sig' }];
    try {
      assert.equal((await v.verify(k2Token)).subject, 'carol'); // failures are not cached: verified afresh
      assert.equal((await v.verify(await sign({ sub: 'dave' }))).subject, 'dave'); // the old key still works
    } finally {
      idp.keys = [k1Jwk];
    }
  });

  test('a token without a kid is checked against each key of its type', async () => {
    const k3 = await generateKeyPair('RS256');
    idp.keys = [k1Jwk, { ...(await exportJWK(k3.publicKey)), kid: 'k3', alg: 'RS256' }];
    try {
      const { v } = verifier();
      assert.equal((await v.verify(await sign({ sub: 'by-k3' }, { key: k3.privateKey, kid: undefined }))).subject, 'by-k3');
      assert.equal((await v.verify(await sign({ sub: 'by-k1' }, { kid: undefined }))).subject, 'by-k1');
      await assertRefused(v, await sign({}, { key: stranger.privateKey, kid: undefined }), /signature is not valid/);
    } finally {
      idp.keys = [k1Jwk];
    }
  });

  test('roles: role_map first, then Archway role names, then default_role; none at all is refused', async () => {
    const { v } = verifier();
    assert.deepEqual((await v.verify(await sign({ groups: 'platform-admins' }))).roles, ['admin']);
    assert.deepEqual((await v.verify(await sign({ groups: ['operator', 'ml-engineers', 'developer'] }))).roles, ['operator', 'developer']);
    for (const groups of [['visitors'], 'visitors', [], 42, { admin: true }, ['__proto__', 'constructor', 'toString'], undefined]) {
      await assertRefused(v, await sign({ groups }), /no role this gateway knows/);
    }
    const withDefault = verifier({ default_role: 'app' }).v;
    assert.deepEqual((await withDefault.verify(await sign({ groups: ['visitors'] }))).roles, ['app']);
    assert.deepEqual((await withDefault.verify(await sign({ groups: 'auditor' }))).roles, ['auditor']); // default only when none
    const remapped = verifier({ role_map: { admin: 'developer' } }).v;
    assert.deepEqual((await remapped.verify(await sign({ groups: 'admin' }))).roles, ['developer']); // the map wins over the name
  });

  test('malformed tokens are refused as such', async () => {
    const { v } = verifier();
    const [h, p] = (await sign()).split('.');
    for (const token of ['', 'abc', 'a.b.c', `${h}.${p}`, `${h}.${p}.sig.extra`, `${'a'.repeat(20_000)}.b.c`]) {
      await assertRefused(v, token, /not a well-formed signed JWT|could not be verified/);
    }
  });

  test('cache: a verified token is not checked against the JWKS again, until it expires', async () => {
    // cacheMaxAge 0 makes jose fetch the key set for every check it makes, so fetches count checks.
    const { v, clock } = verifier({}, { jwks: { cacheMaxAgeMs: 0 } });
    const token = await sign({ exp: T0 + 300 });
    await v.verify(token);
    const afterFirst = idp.fetches;
    const again = await v.verify(token);
    assert.equal(idp.fetches, afterFirst, 'the second verify of the same token fetched the JWKS');
    assert.equal(again.subject, 'alice@example.test');
    again.roles.push('admin'); // a caller mutating its copy does not change what is cached
    assert.deepEqual((await v.verify(token)).roles, ['developer']);
    await v.verify(await sign({ sub: 'other' }));
    assert.equal(idp.fetches, afterFirst + 1, 'another token is checked against the JWKS');
    clock.s = T0 + 300 + 61;
    await assertRefused(v, token, /expired/);
  });

  test('cache: a long-lived token is checked again after ten minutes (the key set may have changed)', async () => {
    const { v, clock } = verifier({}, { jwks: { cacheMaxAgeMs: 0 } });
    const token = await sign({ exp: T0 + 3600 });
    await v.verify(token);
    const afterFirst = idp.fetches;
    clock.s = T0 + 590;
    await v.verify(token);
    assert.equal(idp.fetches, afterFirst, 'still cached');
    clock.s = T0 + 601;
    await v.verify(token);
    assert.equal(idp.fetches, afterFirst + 1, 'checked again');
  });

  test('cache: bounded, least recently used first out', async () => {
    const { v } = verifier({}, { cacheSize: 2, jwks: { cacheMaxAgeMs: 0 } });
    const [a, b, c] = await Promise.all(['a', 'b', 'c'].map((sub) => sign({ sub })));
    await v.verify(a!);
    await v.verify(b!);
    await v.verify(a!); // a is now the most recently used
    const before = idp.fetches;
    await v.verify(c!); // evicts b
    await v.verify(a!);
    assert.equal(idp.fetches, before + 1, 'a stayed cached');
    await v.verify(b!);
    assert.equal(idp.fetches, before + 2, 'b was evicted');
  });

  test('the identity provider down: 503 identity_provider_unavailable, and back to normal once it answers', async () => {
    const assertUnavailable = async (v: JwtVerifier, token: string): Promise<void> => {
      await assert.rejects(v.verify(token), (err: unknown) => {
        assert.ok(err instanceof GatewayError, String(err));
        assert.equal(err.code, 'identity_provider_unavailable');
        assert.equal(err.status, 503);
        return true;
      });
    };
    const token = await sign();
    for (const mode of ['error', 'garbage', 'hang'] as const) {
      idp.mode = mode;
      const { v } = verifier({}, { jwks: { timeoutMs: 200 } });
      try {
        await assertUnavailable(v, token);
      } finally {
        idp.mode = 'ok';
      }
      assert.equal((await v.verify(token)).subject, 'alice@example.test', `after ${mode}`);
    }
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    await assertUnavailable(verifier({ jwks_url: `http://127.0.0.1:${port}/jwks` }).v, token);
  });

  test('a jwks_url that is not an http(s) URL is a config error at construction', () => {
    assert.throws(() => verifier({ jwks_url: 'not a url' }), /jwks_url: is not a URL/);
    assert.throws(() => verifier({ jwks_url: 'file:///etc/jwks.json' }), /jwks_url: must be an http\(s\) URL/);
  });
});
