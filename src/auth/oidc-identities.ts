// Bearer JWTs of the organisation's identity provider as callers. The token is verified (jwt-verifier.ts); then a
// user the admins registered for its subject decides role, team and attributes (disabled users are refused), and
// otherwise the token's claims do, mapped as the config says. The team must exist: a token naming an unknown team
// is refused rather than let into no tenant at all.
import { hash } from 'node:crypto';
import type { OidcConfig, Role } from '../config/security-schema.ts';
import { GatewayError } from '../errors.ts';
import type { IdentityProvider } from '../server/services.ts';
import { JwtVerifier, looksLikeJwt, type VerifiedIdentity } from './jwt-verifier.ts';
import type { KeyIndex } from './key-index.ts';
import { mergeLimits, type Principal } from './principal.ts';

/** Principals are cached per token so that per-caller decisions (attribute policies) are cached too. */
const MAX_CACHED = 10_000;
/** Like the verifier's own cache: a key the provider withdraws stops vouching for cached tokens within this. */
const MAX_CACHE_MS = 10 * 60_000;
/** When a token carries several roles, the broadest wins (the provider granted all of them). */
const ROLE_ORDER: readonly Role[] = ['admin', 'operator', 'team-admin', 'developer', 'auditor', 'app'];

export class OidcIdentities implements IdentityProvider {
  readonly #verifier: JwtVerifier;
  readonly #keys: KeyIndex;
  readonly #cache = new Map<string, { principal: Principal; expiresAt: number; version: number }>();

  constructor(config: OidcConfig, keys: KeyIndex) {
    this.#verifier = new JwtVerifier(config);
    this.#keys = keys;
  }

  accepts(credential: string): boolean {
    return looksLikeJwt(credential);
  }

  async principalFor(token: string): Promise<Principal> {
    const id = hash('sha256', token, 'base64url');
    const version = this.#keys.version;
    const cached = this.#cache.get(id);
    if (cached !== undefined && cached.expiresAt > Date.now() && cached.version === version) return cached.principal;
    const identity = await this.#verifier.verify(token);
    const principal = this.#toPrincipal(identity);
    if (this.#cache.size >= MAX_CACHED) this.#cache.delete(this.#cache.keys().next().value!);
    this.#cache.set(id, { principal, expiresAt: Math.min(identity.expiresAt, Date.now() + MAX_CACHE_MS), version });
    return principal;
  }

  #toPrincipal(identity: VerifiedIdentity): Principal {
    const user = this.#keys.user(identity.subject);
    if (user?.disabledAt != null) throw new GatewayError('invalid_api_key', `the user "${identity.subject}" is disabled on this gateway`);
    const role = user?.role ?? ROLE_ORDER.find((r) => identity.roles.includes(r));
    if (role === undefined) throw new GatewayError('invalid_api_key', 'the token carries no role this gateway knows');
    const teamRef = user?.teamId ?? identity.teamName;
    const team = teamRef === null ? undefined : this.#keys.team(teamRef);
    if (teamRef !== null && team === undefined) {
      throw new GatewayError('invalid_api_key', `the token's team "${teamRef}" does not exist on this gateway; an admin must create it`);
    }
    const own = { ...identity.attributes, ...user?.attributes };
    return {
      keyId: `user:${identity.subject}`,
      kind: 'user',
      name: user?.name ?? identity.name,
      role,
      teamId: team?.id ?? null,
      teamName: team?.name ?? null,
      models: null,
      attributes: team ? { ...team.attributes, ...own } : own,
      limits: mergeLimits(team?.limits ?? null, null),
      keyQuota: null,
      teamQuota: team?.quota ?? null,
    };
  }
}
