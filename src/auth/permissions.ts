// What each role may do, on the data plane and the control plane, and over whose resources: one table, so the
// security model reads in one place and the matrix test checks it cell by cell.
//   admin       everything
//   operator    config and health, metrics, all logs without prompt content, all usage
//   team-admin  the data plane; its own team's keys, users, logs (content included), usage and key quotas
//   developer   the data plane; its own keys, its team's logs and usage
//   app         the data plane only
//   auditor     the audit log, read-only
import { GatewayError } from '../errors.ts';
import type { Role } from '../config/security-schema.ts';
import type { Principal } from './principal.ts';

export type Permission =
  | 'data-plane'
  | 'metrics'
  | 'health'
  | 'config:read'
  | 'keys:read'
  | 'keys:write'
  | 'teams:read'
  | 'teams:write'
  | 'users:read'
  | 'users:write'
  | 'logs:read'
  | 'logs:content'
  | 'audit:read'
  | 'usage:read'
  | 'quotas:write';

/** Over what a grant holds: everything, the caller's team, or what the caller owns. */
export type Scope = 'all' | 'team' | 'own';

const ALL: Readonly<Record<Permission, Scope>> = {
  'data-plane': 'all',
  metrics: 'all',
  health: 'all',
  'config:read': 'all',
  'keys:read': 'all',
  'keys:write': 'all',
  'teams:read': 'all',
  'teams:write': 'all',
  'users:read': 'all',
  'users:write': 'all',
  'logs:read': 'all',
  'logs:content': 'all',
  'audit:read': 'all',
  'usage:read': 'all',
  'quotas:write': 'all',
};

export const GRANTS: Readonly<Record<Role, Readonly<Partial<Record<Permission, Scope>>>>> = {
  admin: ALL,
  operator: { metrics: 'all', health: 'all', 'config:read': 'all', 'logs:read': 'all', 'usage:read': 'all' },
  'team-admin': {
    'data-plane': 'all',
    'keys:read': 'team',
    'keys:write': 'team',
    'teams:read': 'team',
    'users:read': 'team',
    'users:write': 'team',
    'logs:read': 'team',
    'logs:content': 'team',
    'usage:read': 'team',
    'quotas:write': 'team',
  },
  developer: { 'data-plane': 'all', 'keys:read': 'own', 'keys:write': 'own', 'teams:read': 'team', 'logs:read': 'team', 'usage:read': 'team' },
  app: { 'data-plane': 'all' },
  auditor: { 'audit:read': 'all' },
};

/** The roles a caller may give to keys or users it creates: never more than its own. */
export const GRANTABLE_ROLES: Readonly<Record<Role, readonly Role[]>> = {
  admin: ['admin', 'operator', 'team-admin', 'developer', 'app', 'auditor'],
  operator: [],
  'team-admin': ['team-admin', 'developer', 'app'],
  developer: ['developer', 'app'],
  app: [],
  auditor: [],
};

export function scopeOf(principal: Principal, permission: Permission): Scope | undefined {
  return GRANTS[principal.role][permission];
}

const WHAT: Readonly<Record<Permission, string>> = {
  'data-plane': 'call models',
  metrics: 'read metrics',
  health: 'read backend health',
  'config:read': 'read the configuration',
  'keys:read': 'list API keys',
  'keys:write': 'manage API keys',
  'teams:read': 'list teams',
  'teams:write': 'manage teams',
  'users:read': 'list users',
  'users:write': 'manage users',
  'logs:read': 'read request logs',
  'logs:content': 'read stored prompts and responses',
  'audit:read': 'read the audit log',
  'usage:read': 'read usage and spend',
  'quotas:write': 'set budgets and rate limits',
};

/** The caller's scope for `permission`, or a 403 that says which role could do it. */
export function requirePermission(principal: Principal, permission: Permission): Scope {
  const scope = scopeOf(principal, permission);
  if (scope !== undefined) return scope;
  const roles = (Object.keys(GRANTS) as Role[]).filter((r) => GRANTS[r][permission] !== undefined);
  throw new GatewayError('permission_denied', `the role "${principal.role}" may not ${WHAT[permission]}; that needs one of: ${roles.join(', ')}`);
}

/** Whether a resource of `teamId` (a key: with its id and owner) is within the caller's scope. */
export function inScope(principal: Principal, scope: Scope, resource: { teamId: string | null; id?: string; owner?: string | null }): boolean {
  if (scope === 'all') return true;
  if (scope === 'team') return principal.teamId !== null && resource.teamId === principal.teamId;
  // 'own': the keys the caller created, and the caller's own key.
  return resource.id === principal.keyId || (resource.owner != null && resource.owner === principal.keyId);
}
