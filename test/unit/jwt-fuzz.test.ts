// Property-based fuzzing of JwtVerifier against a real JWKS on loopback. Whatever the bytes, verify() resolves to a
// well-formed identity or rejects with a 401 GatewayError — never another error, never a hang (the test timeout).
// The key set stays reachable throughout, so a 503 here would mean a bad token was blamed on the identity provider.
// Tokens signed with the right key over random claims are checked against a reference model of the claim rules.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import fc from 'fast-check';
import { exportJWK, generateKeyPair, type GenerateKeyPairResult, type JWK } from 'jose';
import { JwtVerifier, type VerifiedIdentity } from '../../src/auth/jwt-verifier.ts';
import { ROLES, type OidcConfig, type Role } from '../../src/config/security-schema.ts';
import { GatewayError } from '../../src/errors.ts';

const ISSUER = 'https://idp.example.test/';
const T0 = Date.UTC(2031, 0, 1) / 1000;
const SKEW = 60;
const ROLE_MAP: Record<string, Role> = { 'ml-engineers': 'developer', 'platform-admins': 'admin' };
const RUNS = 2000;

let server: Server;
let ecKeys: GenerateKeyPairResult;
let strictVerifier: JwtVerifier;
let defaultingVerifier: JwtVerifier; // default_role: app
let validTokens: string[];

const b64 = (text: string): string => Buffer.from(text).toString('base64url');

/** A compact JWS over exactly these header and payload texts, ES256 with the published key `e1` (whatever `alg` says). */
async function signRaw(headerText: string, payloadText: string): Promise<string> {
  const input = `${b64(headerText)}.${b64(payloadText)}`;
  const signature = await crypto.subtle.sign({ name: 'ECDSA', hash: 'SHA-256' }, ecKeys.privateKey, new TextEncoder().encode(input));
  return `${input}.${Buffer.from(signature).toString('base64url')}`;
}

function config(overrides: Partial<OidcConfig> = {}): OidcConfig {
  return {
    issuer: ISSUER,
    audience: 'archway',
    jwks_url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks`,
    algorithms: ['RS256', 'ES256', 'PS256', 'EdDSA'],
    clock_skew_s: SKEW,
    claims: { subject: 'sub', name: 'name', team: 'team', roles: 'groups', attributes: { region: 'geo', tier: 'plan' } },
    role_map: ROLE_MAP,
    ...overrides,
  };
}

before(async () => {
  ecKeys = await generateKeyPair('ES256');
  const rsa = await generateKeyPair('RS256');
  const keys: JWK[] = [
    { ...(await exportJWK(ecKeys.publicKey)), kid: 'e1', alg: 'ES256', use: 'sig' },
    { ...(await exportJWK(rsa.publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' },
  ];
  server = createServer((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys })));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  strictVerifier = new JwtVerifier(config(), { now: () => T0 * 1000 });
  defaultingVerifier = new JwtVerifier(config({ default_role: 'app' }), { now: () => T0 * 1000 });
  const header = JSON.stringify({ alg: 'ES256', kid: 'e1' });
  const claims = { iss: ISSUER, aud: 'archway', exp: T0 + 600 };
  validTokens = [];
  for (const extra of [{ sub: 'a', groups: 'admin' }, { sub: 'b', name: 'B', team: ['t'], groups: ['ml-engineers'], geo: 'eu' }]) {
    const token = await signRaw(header, JSON.stringify({ ...claims, ...extra }));
    await strictVerifier.verify(token); // valid to begin with, so every refusal below is the mutation's doing
    validTokens.push(token);
  }
});
after(() => {
  server.closeAllConnections();
  server.close();
});

function assertWellFormed(identity: VerifiedIdentity): void {
  assert.deepEqual(Object.keys(identity).sort(), ['attributes', 'expiresAt', 'name', 'roles', 'subject', 'teamName']);
  assert.ok(typeof identity.subject === 'string' && identity.subject !== '');
  assert.ok(typeof identity.name === 'string' && identity.name !== '');
  assert.ok(identity.teamName === null || (typeof identity.teamName === 'string' && identity.teamName !== ''));
  assert.ok(Array.isArray(identity.roles) && identity.roles.length > 0);
  assert.equal(new Set(identity.roles).size, identity.roles.length);
  for (const role of identity.roles) assert.ok((ROLES as readonly string[]).includes(role), `role ${String(role)}`);
  assert.equal(Object.getPrototypeOf(identity.attributes), Object.prototype);
  for (const [name, value] of Object.entries(identity.attributes)) {
    assert.ok(name === 'region' || name === 'tier', name);
    assert.ok(typeof value === 'string' && value !== '');
  }
  assert.ok(Number.isFinite(identity.expiresAt) && identity.expiresAt > (T0 - SKEW) * 1000);
}

/** A refusal: a 401 GatewayError whose message does not echo the token. */
function assertRefusal(err: unknown, token: string): void {
  assert.ok(err instanceof GatewayError, `not a GatewayError: ${err instanceof Error ? err.stack : String(err)}`);
  assert.equal(err.status, 401, err.message);
  assert.equal(err.code, 'invalid_api_key');
  for (const segment of token.split('.')) if (segment.length >= 12) assert.ok(!err.message.includes(segment), 'the message echoes the token');
}

/** Runs verify; returns the identity, or undefined after checking the refusal. */
async function outcome(verifier: JwtVerifier, token: string): Promise<VerifiedIdentity | undefined> {
  try {
    const identity = await verifier.verify(token);
    assertWellFormed(identity);
    return identity;
  } catch (err) {
    if (err instanceof assert.AssertionError) throw err;
    assertRefusal(err, token);
    return undefined;
  }
}

const own = (o: Record<string, unknown>, k: string): unknown => (Object.hasOwn(o, k) ? o[k] : undefined);

/** The claim rules, written independently of the verifier: the identity a correctly signed payload must give, or null. */
function expected(payloadText: string, defaultRole: Role | undefined): VerifiedIdentity | null {
  let p: unknown;
  try {
    p = JSON.parse(new TextDecoder().decode(new TextEncoder().encode(payloadText)));
  } catch {
    return null;
  }
  if (typeof p !== 'object' || p === null || Array.isArray(p)) return null;
  const c = p as Record<string, unknown>;
  const [iss, aud, exp, nbf, iat, sub] = ['iss', 'aud', 'exp', 'nbf', 'iat', 'sub'].map((k) => own(c, k));
  if (iss !== ISSUER) return null;
  if (!(aud === 'archway' || (Array.isArray(aud) && aud.includes('archway')))) return null;
  if (typeof exp !== 'number' || exp <= T0 - SKEW || !Number.isFinite(exp * 1000)) return null;
  if (Object.hasOwn(c, 'nbf') && (typeof nbf !== 'number' || nbf > T0 + SKEW)) return null;
  if (Object.hasOwn(c, 'iat') && typeof iat !== 'number') return null;
  if (typeof sub !== 'string' || sub === '') return null;
  const groups = own(c, 'groups');
  const values = typeof groups === 'string' ? [groups] : Array.isArray(groups) ? groups.filter((g) => typeof g === 'string') : [];
  const roles: Role[] = [];
  for (const g of values) {
    const role = Object.hasOwn(ROLE_MAP, g) ? ROLE_MAP[g] : (ROLES as readonly string[]).includes(g) ? (g as Role) : undefined;
    if (role !== undefined && !roles.includes(role)) roles.push(role);
  }
  if (roles.length === 0 && defaultRole !== undefined) roles.push(defaultRole);
  if (roles.length === 0) return null;
  const team = own(c, 'team');
  const teamName = typeof team === 'string' ? team : Array.isArray(team) && typeof team[0] === 'string' ? team[0] : '';
  const name = own(c, 'name');
  const attributes: Record<string, string> = {};
  for (const [attribute, claim] of [['region', 'geo'], ['tier', 'plan']] as const) {
    const value = own(c, claim);
    if (typeof value === 'string' && value !== '') attributes[attribute] = value;
  }
  return { subject: sub, name: typeof name === 'string' && name !== '' ? name : sub, teamName: teamName === '' ? null : teamName, roles, attributes, expiresAt: exp * 1000 };
}

const B64URL = fc.constantFrom(...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'.split(''));
const segment = fc.string({ unit: B64URL, maxLength: 120 });
const junk = fc.anything({ maxDepth: 2 });
/** Mostly the good value, sometimes something else (which may happen to be good too). */
const mostly = <T>(good: T, ...bad: fc.Arbitrary<unknown>[]): fc.Arbitrary<unknown> =>
  fc.oneof({ weight: 4, arbitrary: fc.constant(good) }, { weight: 1, arbitrary: fc.oneof(fc.constant(undefined), junk, ...bad) });

const claimsArb = fc.record({
  iss: mostly(ISSUER, fc.constantFrom('https://evil.test/', `${ISSUER} `, ISSUER.toUpperCase())),
  aud: mostly('archway', fc.constantFrom(['x', 'archway'], ['x'], 'Archway', [null, 'archway'], [])),
  exp: mostly(T0 + 600, fc.integer({ min: T0 - 200, max: T0 + 200 }), fc.double(), fc.constantFrom(String(T0 + 600), 1e308, -1, 0, T0 - SKEW)),
  nbf: fc.oneof(fc.constant(undefined), fc.integer({ min: T0 - 200, max: T0 + 200 }), fc.constantFrom(T0 + SKEW, T0 + SKEW + 1), junk),
  iat: fc.oneof(fc.constant(undefined), fc.constant(T0), junk),
  sub: mostly('alice', fc.constantFrom('', 'bob'), fc.string()),
  name: fc.oneof(fc.constant(undefined), fc.string(), junk),
  team: fc.oneof(fc.constant(undefined), fc.string(), fc.array(fc.string(), { maxLength: 3 }), junk),
  groups: mostly(['ml-engineers'], fc.constantFrom('admin', 'visitors', ['__proto__', 'constructor', 'toString'], 'hasOwnProperty', ['auditor', 'app', 'auditor'])),
  geo: fc.oneof(fc.constant('eu'), fc.constant(''), fc.string(), junk),
  plan: fc.oneof(fc.constant(undefined), fc.string(), junk),
});

/** A claims object as JSON text, sometimes with a `__proto__` member or another non-object payload instead. */
const payloadTextArb = fc.oneof(
  { weight: 8, arbitrary: claimsArb.map((claims) => JSON.stringify(claims)) },
  { weight: 1, arbitrary: fc.tuple(claimsArb, fc.jsonValue({ maxDepth: 2 })).map(([claims, proto]) => JSON.stringify(claims).replace(/^\{/, `{"__proto__":${JSON.stringify({ groups: 'admin', sub: 'x', proto })},`)) },
  { weight: 1, arbitrary: fc.oneof(fc.json({ maxDepth: 2 }), fc.string(), fc.constant(`{"iss":"${ISSUER}","aud":"archway","sub":"a","groups":"admin","exp":1e400}`)) },
);

describe('JwtVerifier fuzzing', { timeout: 120_000 }, () => {
  test('random strings are refused with a 401', async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.string({ maxLength: 300 }), fc.string({ unit: 'binary', maxLength: 300 }), fc.string({ unit: fc.constantFrom('.', 'e', 'y', 'J', '-', '_', '=', '%'), maxLength: 50 })), async (token) => {
        assert.equal(await outcome(strictVerifier, token), undefined);
      }),
      { numRuns: RUNS },
    );
  });

  test('random three-part base64url strings, some with a plausible header, are refused with a 401', async () => {
    const header = fc.oneof(
      segment,
      fc.record({ alg: fc.oneof(fc.constantFrom('ES256', 'RS256', 'none', 'HS256', 'EdDSA'), junk), kid: fc.oneof(fc.constantFrom('e1', 'k1'), junk) }, { requiredKeys: [] }).map((h) => b64(JSON.stringify(h))),
      fc.jsonValue({ maxDepth: 2 }).map((v) => b64(JSON.stringify(v) ?? '')),
    );
    await fc.assert(
      fc.asyncProperty(header, fc.oneof(segment, claimsArb.map((c) => b64(JSON.stringify(c)))), segment, async (h, p, s) => {
        assert.equal(await outcome(strictVerifier, `${h}.${p}.${s}`), undefined);
      }),
      { numRuns: RUNS },
    );
  });

  test('mutated valid tokens are refused with a 401 (even a different spelling of the same bytes)', async () => {
    const mutation = fc.oneof(
      fc.tuple(fc.nat(), B64URL).map(([i, ch]) => (t: string) => t.slice(0, i % t.length) + ch + t.slice((i % t.length) + 1)),
      fc.tuple(fc.nat(), fc.string({ unit: 'binary', minLength: 1, maxLength: 3 })).map(([i, s]) => (t: string) => t.slice(0, i % t.length) + s + t.slice(i % t.length)),
      B64URL.map((ch) => (t: string) => t.slice(0, -1) + ch), // the last character carries bits decoders ignore
      fc.nat().map((i) => (t: string) => t.slice(0, i % t.length) + t.slice((i % t.length) + 1)),
      fc.nat().map((i) => (t: string) => t.slice(0, i % t.length)),
      fc.constantFrom(
        (t: string) => t.split('.').reverse().join('.'),
        (t: string) => { const [h, p, s] = t.split('.'); return `${h}.${p}.${s}.${s}`; },
        (t: string) => { const [h, p] = t.split('.'); return `${h}.${p}.`; },
        (t: string) => { const [h, , s] = t.split('.'); return `${h}.${h}.${s}`; },
        (t: string) => { const [, p, s] = t.split('.'); return `${b64('{"alg":"none"}')}.${p}.${s}`; },
        (t: string) => { const [, p, s] = t.split('.'); return `${b64('{"alg":"ES256","kid":"k1"}')}.${p}.${s}`; },
        (t: string) => { const [, p, s] = t.split('.'); return `${b64('{"alg":"HS256","kid":"e1"}')}.${p}.${s}`; },
      ),
    );
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...validTokens), fc.array(mutation, { minLength: 1, maxLength: 3 }), async (valid, mutations) => {
        const token = mutations.reduce((t, mutate) => (t.length === 0 ? t : mutate(t)), valid);
        fc.pre(token !== valid); // a replacement may put back the same character
        assert.equal(await outcome(strictVerifier, token), undefined);
      }),
      { numRuns: RUNS },
    );
  });

  test('random claims signed with the right key: exactly the reference outcome', async () => {
    const counts = { accepted: 0, refused: 0 };
    const header = JSON.stringify({ alg: 'ES256', kid: 'e1' });
    await fc.assert(
      fc.asyncProperty(payloadTextArb, fc.boolean(), async (payloadText, withDefault) => {
        const token = await signRaw(header, payloadText);
        const want = expected(payloadText, withDefault ? 'app' : undefined);
        const got = await outcome(withDefault ? defaultingVerifier : strictVerifier, token);
        assert.deepEqual(got ?? null, want, payloadText);
        counts[want === null ? 'refused' : 'accepted']++;
      }),
      { numRuns: RUNS },
    );
    // Neither outcome may be vanishingly rare, or the property would prove little.
    assert.ok(counts.accepted > RUNS / 20 && counts.refused > RUNS / 20, JSON.stringify(counts));
  });

  test('random headers over good claims signed with the right key: only an honest ES256 header passes', async () => {
    const headerArb = fc.record(
      {
        alg: mostly('ES256', fc.constantFrom('RS256', 'none', 'HS256', 'PS256', 'EdDSA', 'es256', 'ES384'), fc.string()),
        kid: fc.oneof(fc.constantFrom('e1', 'k1', undefined), fc.string(), junk),
        typ: fc.oneof(fc.constantFrom('JWT', undefined), junk),
        crit: fc.oneof({ weight: 5, arbitrary: fc.constant(undefined) }, fc.constantFrom(['b64'], ['exp'], []), junk),
        b64: fc.oneof({ weight: 5, arbitrary: fc.constant(undefined) }, fc.boolean(), junk),
        jwk: fc.oneof({ weight: 5, arbitrary: fc.constant(undefined) }, fc.jsonValue({ maxDepth: 2 })),
        jku: fc.oneof({ weight: 5, arbitrary: fc.constant(undefined) }, fc.constant('http://127.0.0.1:1/evil-jwks')),
      },
      { requiredKeys: [] },
    );
    const payload = JSON.stringify({ iss: ISSUER, aud: 'archway', exp: T0 + 600, sub: 'alice', groups: 'developer' });
    let accepted = 0;
    await fc.assert(
      fc.asyncProperty(headerArb, async (header) => {
        const identity = await outcome(strictVerifier, await signRaw(JSON.stringify(header), payload));
        if (identity === undefined) return;
        accepted++;
        assert.equal(header.alg, 'ES256', JSON.stringify(header));
        assert.ok(header.kid === undefined || header.kid === 'e1', JSON.stringify(header));
        assert.deepEqual(identity.roles, ['developer']);
      }),
      { numRuns: RUNS },
    );
    assert.ok(accepted > RUNS / 20, `${accepted} accepted`);
  });
});
