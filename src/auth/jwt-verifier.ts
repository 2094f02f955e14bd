// Bearer JWTs of an OIDC identity provider: signature checked against the provider's JWKS (fetched and cached by
// jose, refetched when a token names an unknown key id, so the provider can rotate keys), issuer, audience, expiry
// and not-before with the configured clock skew, and only the configured algorithms (never `none`, never an HMAC
// that a public key could forge). The claims become an identity as the config maps them.
//
// Every refusal is a 401 `invalid_api_key` whose message says what is wrong without echoing the token; only an
// identity provider whose keys cannot be fetched gives a 503 `identity_provider_unavailable`, so that an outage of
// the provider is not counted as callers failing to authenticate.
import { hash } from 'node:crypto';
import { createRemoteJWKSet, errors as joseErrors, jwtVerify, type JWTPayload, type JWTVerifyGetKey, type JWTVerifyOptions } from 'jose';
import { ConfigError } from '../config/config-error.ts';
import { ROLES, type OidcConfig, type Role } from '../config/security-schema.ts';
import { GatewayError } from '../errors.ts';

export interface VerifiedIdentity {
  subject: string;
  name: string;
  teamName: string | null;
  roles: Role[];
  attributes: Record<string, string>;
  /** The token's `exp`, epoch ms. */
  expiresAt: number;
}

export interface JwtVerifierOptions {
  /** Epoch ms; tests move it to check expiry without waiting. */
  now?: () => number;
  /** How many verified tokens are remembered (least recently used ones go first). */
  cacheSize?: number;
  /** jose's remote key set: fetch timeout, minimum time between refetches for unknown key ids, maximum age of the set. */
  jwks?: { timeoutMs?: number; cooldownMs?: number; cacheMaxAgeMs?: number };
}

/** Real tokens are a few KB at most; anything longer is refused before any parsing. */
export const MAX_TOKEN_LENGTH = 16_384;
const DEFAULT_CACHE_SIZE = 10_000;
/** jose refetches the key set at most this old before using it; a cached verification lives no longer either. */
const KEY_SET_MAX_AGE_MS = 600_000;
/** A token without a `kid` is tried against at most this many keys of the right type, so it cannot multiply work. */
const MAX_CANDIDATE_KEYS = 5;

const JWT_SHAPE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;

/** Three base64url segments (the signature may be empty): cheap, no parsing. API keys (`sk-…`) never match. */
export function looksLikeJwt(token: string): boolean {
  return token.length <= MAX_TOKEN_LENGTH && !token.startsWith('sk-') && JWT_SHAPE.test(token);
}

const BASE64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/**
 * Each segment base64url without padding and in its one canonical spelling: the unused low bits of the last
 * character must be zero. Decoders (jose's included) ignore those bits, which would let one token be spelled up to
 * sixteen ways — each a different cache entry and a different string to anything that deduplicates tokens.
 */
function isCanonicalCompact(token: string): boolean {
  if (!JWT_SHAPE.test(token)) return false;
  for (const segment of token.split('.')) {
    const slackBits = [0, -1, 4, 2][segment.length % 4]!;
    if (slackBits === -1) return false;
    if (slackBits > 0 && BASE64URL.indexOf(segment.at(-1)!) % (1 << slackBits) !== 0) return false;
  }
  return true;
}

const isRole = (value: string): value is Role => (ROLES as readonly string[]).includes(value);

/** Thrown by our key lookup when the key set itself could not be had (network, HTTP status, not a JWKS, timeout). */
class KeySetUnavailable extends Error {}

const refused = (why: string, cause?: unknown): GatewayError => new GatewayError('invalid_api_key', `bearer token refused: ${why}`, { cause });

/** What is wrong with the token, in words a caller can act on; never any part of the token itself. */
function reason(err: unknown): string {
  if (err instanceof joseErrors.JWTExpired) return 'it has expired';
  if (err instanceof joseErrors.JWTClaimValidationFailed) {
    if (err.reason === 'missing') return err.claim === 'exp' ? 'it has no expiry ("exp" claim)' : `it has no "${err.claim}" claim`;
    if (err.reason === 'invalid') return `its "${err.claim}" claim is not a number`;
    if (err.claim === 'iss') return 'it was issued by another issuer (wrong "iss")';
    if (err.claim === 'aud') return 'it is meant for another audience (wrong "aud")';
    if (err.claim === 'nbf') return 'it is not valid yet ("nbf" is in the future)';
    return `its "${err.claim}" claim is invalid`;
  }
  if (err instanceof joseErrors.JOSEAlgNotAllowed) return 'it is signed with an algorithm this gateway does not accept';
  if (err instanceof joseErrors.JWKSNoMatchingKey) return "its key id is unknown: the identity provider publishes no such signing key";
  if (err instanceof joseErrors.JWSSignatureVerificationFailed) return 'its signature is not valid';
  if (err instanceof joseErrors.JWSInvalid || err instanceof joseErrors.JWTInvalid) return 'it is not a well-formed signed JWT';
  return 'it could not be verified';
}

interface CacheEntry {
  identity: VerifiedIdentity;
  /** Epoch ms after which the token is checked again. */
  until: number;
}

export class JwtVerifier {
  readonly #config: OidcConfig;
  readonly #now: () => number;
  readonly #keySet: ReturnType<typeof createRemoteJWKSet>;
  readonly #options: JWTVerifyOptions;
  readonly #cacheSize: number;
  /** SHA-256 of the token → identity; a Map iterates in insertion order, so re-inserting on use makes it an LRU. */
  readonly #cache = new Map<string, CacheEntry>();

  constructor(config: OidcConfig, options: JwtVerifierOptions = {}) {
    this.#config = config;
    this.#now = options.now ?? Date.now;
    this.#cacheSize = Math.max(1, options.cacheSize ?? DEFAULT_CACHE_SIZE);
    let url: URL;
    try {
      url = new URL(config.jwks_url);
    } catch {
      throw new ConfigError('(auth.oidc)', [{ path: 'auth.oidc.jwks_url', message: 'is not a URL' }]);
    }
    if (url.protocol !== 'https:' && url.protocol !== 'http:') {
      throw new ConfigError('(auth.oidc)', [{ path: 'auth.oidc.jwks_url', message: 'must be an http(s) URL' }]);
    }
    this.#keySet = createRemoteJWKSet(url, {
      timeoutDuration: options.jwks?.timeoutMs ?? 5_000,
      cooldownDuration: options.jwks?.cooldownMs ?? 30_000,
      cacheMaxAge: options.jwks?.cacheMaxAgeMs ?? KEY_SET_MAX_AGE_MS,
    });
    this.#options = {
      issuer: config.issuer,
      audience: config.audience,
      algorithms: config.algorithms,
      clockTolerance: config.clock_skew_s,
      // A token that never expires is never accepted; `exp` also bounds how long it is cached.
      requiredClaims: ['exp'],
    };
  }

  /** The identity the token proves, or a GatewayError: 401 `invalid_api_key`, 503 `identity_provider_unavailable`. */
  async verify(token: string): Promise<VerifiedIdentity> {
    if (typeof token !== 'string' || token.length > MAX_TOKEN_LENGTH || !isCanonicalCompact(token)) throw refused('it is not a well-formed signed JWT');
    const id = hash('sha256', token, 'base64url');
    const now = this.#now();
    const cached = this.#cache.get(id);
    if (cached !== undefined) {
      this.#cache.delete(id);
      if (now < cached.until) {
        this.#cache.set(id, cached);
        return copy(cached.identity);
      }
    }
    const identity = this.#identity(await this.#verifySignatureAndClaims(token, new Date(now)));
    // Never beyond exp, and never beyond the key set's own lifetime, so that a key the provider withdraws stops
    // vouching for cached tokens about when jose would have refetched the set.
    const until = Math.min(identity.expiresAt, now + KEY_SET_MAX_AGE_MS);
    if (this.#cache.size >= this.#cacheSize) this.#cache.delete(this.#cache.keys().next().value!);
    this.#cache.set(id, { identity: copy(identity), until });
    return identity;
  }

  /** Our key lookup: jose's remote set, with failures of the set itself told apart from tokens naming no key of it. */
  readonly #keyFor: JWTVerifyGetKey = async (header, token) => {
    try {
      return await this.#keySet(header, token);
    } catch (err) {
      if (err instanceof joseErrors.JWKSNoMatchingKey || err instanceof joseErrors.JWKSMultipleMatchingKeys) throw err;
      throw new KeySetUnavailable('signing keys unavailable', { cause: err });
    }
  };

  async #verifySignatureAndClaims(token: string, currentDate: Date): Promise<JWTPayload> {
    const options = { ...this.#options, currentDate };
    try {
      try {
        return (await jwtVerify(token, this.#keyFor, options)).payload;
      } catch (err) {
        if (!(err instanceof joseErrors.JWKSMultipleMatchingKeys)) throw err;
        // No `kid` (or a shared one): try each key that fits the algorithm, as jose documents.
        let tried = 0;
        for await (const key of err) {
          if (++tried > MAX_CANDIDATE_KEYS) break;
          try {
            return (await jwtVerify(token, key, options)).payload;
          } catch (inner) {
            if (!(inner instanceof joseErrors.JWSSignatureVerificationFailed)) throw inner;
          }
        }
        throw new joseErrors.JWSSignatureVerificationFailed();
      }
    } catch (err) {
      if (err instanceof KeySetUnavailable) {
        throw new GatewayError('identity_provider_unavailable', "the identity provider's signing keys could not be fetched; try again shortly", {
          cause: err.cause,
          retryAfterS: 5,
        });
      }
      throw refused(reason(err), err);
    }
  }

  #identity(payload: JWTPayload): VerifiedIdentity {
    const c = this.#config;
    // Own properties only: a claim named `constructor` or `__proto__` must not reach Object.prototype.
    const claim = (name: string): unknown => (Object.hasOwn(payload, name) ? (payload as Record<string, unknown>)[name] : undefined);

    const exp = payload.exp as number; // jose checked it is present and a number
    const expiresAt = exp * 1000;
    if (!Number.isFinite(expiresAt)) throw refused('its "exp" claim is not a valid time');

    const subject = claim(c.claims.subject);
    if (typeof subject !== 'string' || subject === '') throw refused(`it has no "${c.claims.subject}" claim (the subject)`);

    const rawRoles = claim(c.claims.roles);
    const roleValues = typeof rawRoles === 'string' ? [rawRoles] : Array.isArray(rawRoles) ? rawRoles.filter((r): r is string => typeof r === 'string') : [];
    const roles: Role[] = [];
    for (const value of roleValues) {
      const mapped = Object.hasOwn(c.role_map, value) ? c.role_map[value] : isRole(value) ? value : undefined;
      if (mapped !== undefined && !roles.includes(mapped)) roles.push(mapped);
    }
    if (roles.length === 0 && c.default_role !== undefined) roles.push(c.default_role);
    if (roles.length === 0) throw refused(`it carries no role this gateway knows in "${c.claims.roles}" (see auth.oidc.role_map and default_role)`);

    const rawTeam = claim(c.claims.team);
    const team = typeof rawTeam === 'string' ? rawTeam : Array.isArray(rawTeam) && typeof rawTeam[0] === 'string' ? rawTeam[0] : '';

    const attributes: [string, string][] = [];
    for (const [attribute, claimName] of Object.entries(c.claims.attributes)) {
      const value = claim(claimName);
      if (typeof value === 'string' && value !== '') attributes.push([attribute, value]);
    }

    const name = claim(c.claims.name);
    return {
      subject,
      name: typeof name === 'string' && name !== '' ? name : subject,
      teamName: team === '' ? null : team,
      roles,
      // fromEntries defines own properties, so even an attribute named `__proto__` stays a plain value.
      attributes: Object.fromEntries(attributes),
      expiresAt,
    };
  }
}

/** Callers may mutate what they get; the cached identity must stay as verified. */
function copy(identity: VerifiedIdentity): VerifiedIdentity {
  return { ...identity, roles: [...identity.roles], attributes: { ...identity.attributes } };
}
