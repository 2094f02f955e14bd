// Bearer JWTs of an OIDC identity provider: signature checked against the provider's JWKS (fetched and cached by
// jose, refetched when a token names an unknown key id, so the provider can rotate keys), issuer, audience, expiry
// and not-before with the configured clock skew, and only the configured algorithms (never `none`, never an HMAC
// that a public key could forge). The claims become an identity as the config maps them.
import { createRemoteJWKSet, errors as joseErrors, jwtVerify, type JWTPayload } from 'jose';
import { ROLES, type OidcConfig, type Role } from '../config/security-schema.ts';
import { GatewayError } from '../errors.ts';

export interface VerifiedIdentity {
  subject: string;
  name: string;
  teamName: string | null;
  roles: Role[];
  attributes: Record<string, string>;
  /** Epoch ms. */
  expiresAt: number;
}

const JWT_SHAPE = /^[A-Za-z0-9_-]{2,}\.[A-Za-z0-9_-]{2,}\.[A-Za-z0-9_-]*$/;

/** Three base64url segments: cheap, no parsing. API keys (`sk-…`) never match. */
export function looksLikeJwt(token: string): boolean {
  return token.length < 16_384 && JWT_SHAPE.test(token);
}

const isRole = (value: string): value is Role => (ROLES as readonly string[]).includes(value);

function reason(err: unknown): string {
  if (err instanceof joseErrors.JWTExpired) return 'the token has expired';
  if (err instanceof joseErrors.JWTClaimValidationFailed) {
    if (err.claim === 'iss') return 'the token was issued by another issuer';
    if (err.claim === 'aud') return 'the token is meant for another audience';
    if (err.claim === 'nbf') return 'the token is not valid yet';
    return `the token's "${err.claim}" claim is invalid`;
  }
  if (err instanceof joseErrors.JOSEAlgNotAllowed) return 'the token is signed with an algorithm this gateway does not accept';
  if (err instanceof joseErrors.JWKSNoMatchingKey) return "the token's signing key is not among the identity provider's keys";
  if (err instanceof joseErrors.JWSSignatureVerificationFailed) return "the token's signature is not valid";
  return 'the token is malformed';
}

export class JwtVerifier {
  readonly #config: OidcConfig;
  readonly #jwks: ReturnType<typeof createRemoteJWKSet>;

  constructor(config: OidcConfig) {
    this.#config = config;
    this.#jwks = createRemoteJWKSet(new URL(config.jwks_url), { timeoutDuration: 5_000, cooldownDuration: 30_000, cacheMaxAge: 600_000 });
  }

  async verify(token: string): Promise<VerifiedIdentity> {
    const c = this.#config;
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, this.#jwks, {
        issuer: c.issuer,
        audience: c.audience,
        algorithms: c.algorithms,
        clockTolerance: c.clock_skew_s,
        requiredClaims: ['exp', 'sub'],
      }));
    } catch (err) {
      if (err instanceof joseErrors.JWKSTimeout || (err instanceof joseErrors.JOSEError && err.code === 'ERR_JWKS_INVALID')) {
        throw new GatewayError('identity_provider_unavailable', "the identity provider's signing keys could not be fetched; try again shortly");
      }
      if (!(err instanceof joseErrors.JOSEError) && err instanceof Error && /fetch|ECONNREFUSED|network/i.test(err.message)) {
        throw new GatewayError('identity_provider_unavailable', "the identity provider's signing keys could not be fetched; try again shortly");
      }
      throw new GatewayError('invalid_api_key', `bearer token refused: ${reason(err)}`);
    }
    return this.#identity(payload);
  }

  #identity(payload: JWTPayload): VerifiedIdentity {
    const c = this.#config;
    const claim = (name: string): unknown => (payload as Record<string, unknown>)[name];
    const subject = claim(c.claims.subject);
    if (typeof subject !== 'string' || subject === '') throw new GatewayError('invalid_api_key', `bearer token refused: no "${c.claims.subject}" claim`);
    const rawRoles = claim(c.claims.roles);
    const roleValues = typeof rawRoles === 'string' ? [rawRoles] : Array.isArray(rawRoles) ? rawRoles.filter((r): r is string => typeof r === 'string') : [];
    const roles: Role[] = [];
    for (const value of roleValues) {
      const mapped = c.role_map[value] ?? (isRole(value) ? value : undefined);
      if (mapped !== undefined && !roles.includes(mapped)) roles.push(mapped);
    }
    if (roles.length === 0 && c.default_role !== undefined) roles.push(c.default_role);
    if (roles.length === 0) throw new GatewayError('invalid_api_key', 'bearer token refused: it carries no role this gateway knows (see auth.oidc.role_map)');
    const rawTeam = claim(c.claims.team);
    const team = typeof rawTeam === 'string' ? rawTeam : Array.isArray(rawTeam) && typeof rawTeam[0] === 'string' ? rawTeam[0] : null;
    const attributes: Record<string, string> = {};
    for (const [attribute, claimName] of Object.entries(c.claims.attributes)) {
      const value = claim(claimName);
      if (typeof value === 'string' && value !== '') attributes[attribute] = value;
    }
    const name = claim(c.claims.name);
    return {
      subject,
      name: typeof name === 'string' ? name : subject,
      teamName: team,
      roles,
      attributes,
      expiresAt: (payload.exp as number) * 1000,
    };
  }
}
