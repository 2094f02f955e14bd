// Who is calling: the identity every later decision (role, team, models, attribute policies, limits, logs) is made for.
// An API key and a user signed in through the identity provider both become one.
import type { Attributes, Role } from '../config/security-schema.ts';
import type { LimitsOverride } from '../stores/key-store.ts';
import type { Quota } from '../config/cost-schema.ts';

export interface Principal {
  /** The key's id; for an identity-provider user, `user:<subject>`. Written to the request log as key_id. */
  readonly keyId: string;
  readonly kind: 'key' | 'user';
  readonly name: string;
  readonly role: Role;
  readonly teamId: string | null;
  readonly teamName: string | null;
  /** Models this caller may use; null for all. */
  readonly models: ReadonlySet<string> | null;
  /** The team's attributes, overridden one by one by the key's (or user's). */
  readonly attributes: Readonly<Attributes>;
  /** The team's limits overridden by the key's; null when neither sets any (the config's apply). */
  readonly limits: LimitsOverride | null;
  /** The key's own budget and rate limits, as stored (the config's `quotas` apply where this is null). */
  readonly keyQuota: Quota | null;
  /** The team's, as stored. */
  readonly teamQuota: Quota | null;
}

export function mayUseModel(principal: Principal, model: string): boolean {
  return principal.models === null || principal.models.has(model);
}

/** How the audit log names a caller. */
export function actorOf(principal: Principal): string {
  return principal.kind === 'key' ? `key:${principal.keyId}` : principal.keyId;
}

export function mergeLimits(team: LimitsOverride | null, own: LimitsOverride | null): LimitsOverride | null {
  if (team === null) return own;
  if (own === null) return team;
  return { ...team, ...own };
}
