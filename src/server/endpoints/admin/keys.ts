// /admin/keys: list, create, revoke and rotate API keys, each within the caller's scope (everything for admins,
// their team for team-admins, their own keys for developers), never granting more than the caller has.
import { Type } from '@sinclair/typebox';
import { GatewayError } from '../../../errors.ts';
import { authorize } from '../../../pipeline/authenticate.ts';
import type { RequestContext } from '../../../pipeline/context.ts';
import { GRANTABLE_ROLES, inScope, requirePermission, type Scope } from '../../../auth/permissions.ts';
import type { Principal } from '../../../auth/principal.ts';
import { ApiLimitsSchema, AttributesSchema, RoleName, type ApiLimits, type Attributes, type Role } from '../../../config/security-schema.ts';
import type { ApiKeyRecord } from '../../../stores/key-store.ts';
import { parseDuration } from '../../../cli/duration.ts';
import { notFound, readBody, reply } from './admin-io.ts';
import { compile } from '../../../validation/compile.ts';
import { QuotaSchema, type Quota } from '../../../config/cost-schema.ts';

const CreateKey = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 200 }),
    role: Type.Optional(RoleName),
    team: Type.Optional(Type.String({ minLength: 1 })),
    models: Type.Optional(Type.Array(Type.String({ minLength: 1 }), { minItems: 1 })),
    expires_in: Type.Optional(Type.String({ pattern: '^\\d+\\s*[smhdw]$' })),
    attributes: Type.Optional(AttributesSchema),
    limits: Type.Optional(Type.Partial(ApiLimitsSchema, { additionalProperties: false })),
    quota: Type.Optional(QuotaSchema),
  },
  { additionalProperties: false },
);
interface CreateKeyBody {
  quota?: Quota;
  name: string;
  role?: Role;
  team?: string;
  models?: string[];
  expires_in?: string;
  attributes?: Attributes;
  limits?: Partial<ApiLimits>;
}
const validateCreate = compile<CreateKeyBody>(CreateKey);

const RotateKey = Type.Object({ grace: Type.Optional(Type.String({ pattern: '^\\d+\\s*[smhdw]$' })) }, { additionalProperties: false });
const validateRotate = compile<{ grace?: string }>(RotateKey);

/** What a listing shows of a key: never its hash. */
export function publicKey(record: ApiKeyRecord): Record<string, unknown> {
  return {
    id: record.id,
    name: record.name,
    prefix: record.prefix,
    role: record.role,
    team_id: record.teamId,
    models: record.models,
    attributes: record.attributes,
    limits: record.limits,
    quota: record.quota,
    owner: record.owner,
    created_at: new Date(record.createdAt).toISOString(),
    expires_at: record.expiresAt === null ? null : new Date(record.expiresAt).toISOString(),
    revoked_at: record.revokedAt === null ? null : new Date(record.revokedAt).toISOString(),
  };
}

export async function listKeys(ctx: RequestContext): Promise<void> {
  const { principal, scope } = await authorize(ctx, 'keys:read');
  const keys = (await ctx.services.keyStore.list()).filter((k) => inScope(principal, scope, k));
  await reply(ctx, 200, { object: 'list', data: keys.map(publicKey) });
}

async function resolveTeam(ctx: RequestContext, principal: Principal, scope: Scope, requested: string | undefined): Promise<string | null> {
  if (scope !== 'all') {
    if (principal.teamId === null) throw new GatewayError('permission_denied', 'you belong to no team, so you cannot create keys');
    if (requested !== undefined && requested !== principal.teamId && requested !== principal.teamName) {
      throw new GatewayError('permission_denied', `you may create keys only in your own team (${principal.teamName ?? principal.teamId})`);
    }
    return principal.teamId;
  }
  if (requested === undefined) return null;
  const team = await ctx.services.directory.team(requested);
  if (team === undefined) throw new GatewayError('invalid_request', `no team "${requested}"; create it first (POST /admin/teams)`, { param: 'team' });
  return team.id;
}

export async function createKey(ctx: RequestContext): Promise<void> {
  const { principal, scope } = await authorize(ctx, 'keys:write');
  const body = await readBody(ctx, validateCreate);
  const role = body.role ?? 'app';
  if (!GRANTABLE_ROLES[principal.role].includes(role)) {
    throw new GatewayError('permission_denied', `a ${principal.role} may not create a key with the role "${role}"; it may grant: ${GRANTABLE_ROLES[principal.role].join(', ')}`, {
      param: 'role',
    });
  }
  if (principal.models !== null && (body.models === undefined || body.models.some((m) => !principal.models!.has(m)))) {
    throw new GatewayError('permission_denied', `your key is limited to the models ${[...principal.models].join(', ')}; a key you create must be too (set models)`, {
      param: 'models',
    });
  }
  // Setting a budget or rate limit is its own permission: a developer must not lift the limits of its own keys.
  if (body.quota !== undefined) requirePermission(principal, 'quotas:write');
  const teamId = await resolveTeam(ctx, principal, scope, body.team);
  const { record, secret } = await ctx.services.keyStore.create({
    name: body.name,
    role,
    teamId,
    models: body.models ?? null,
    expiresAt: body.expires_in === undefined ? null : Date.now() + parseDuration(body.expires_in),
    attributes: body.attributes ?? {},
    limits: body.limits ?? null,
    quota: body.quota ?? null,
    owner: principal.keyId,
  });
  await ctx.services.keys.refresh();
  await ctx.services.audit.act(ctx, 'key.create', record.id, { name: record.name, role, team_id: teamId, models: record.models, quota: record.quota });
  await reply(ctx, 201, { ...publicKey(record), key: secret });
}

export async function keyInScope(ctx: RequestContext, principal: Principal, scope: Scope, id: string): Promise<ApiKeyRecord> {
  const record = (await ctx.services.keyStore.list()).find((k) => k.id === id && k.revokedAt === null);
  if (record === undefined || !inScope(principal, scope, record)) throw notFound(`key ${id}`);
  return record;
}

export async function revokeKey(ctx: RequestContext): Promise<void> {
  const { principal, scope } = await authorize(ctx, 'keys:write');
  const record = await keyInScope(ctx, principal, scope, ctx.params.id!);
  await ctx.services.keyStore.revoke(record.id);
  await ctx.services.keys.refresh();
  await ctx.services.audit.act(ctx, 'key.revoke', record.id, { name: record.name });
  await reply(ctx, 200, { id: record.id, revoked: true });
}

export async function rotateKey(ctx: RequestContext): Promise<void> {
  const { principal, scope } = await authorize(ctx, 'keys:write');
  const record = await keyInScope(ctx, principal, scope, ctx.params.id!);
  const body = await readBody(ctx, validateRotate);
  const graceMs = parseDuration(body.grace ?? '24h');
  const rotated = await ctx.services.keyStore.rotate(record.id, graceMs);
  if (rotated === undefined) throw notFound(`key ${record.id}`);
  await ctx.services.keys.refresh();
  await ctx.services.audit.act(ctx, 'key.rotate', record.id, { new_key: rotated.record.id, grace_ms: graceMs });
  await reply(ctx, 201, { ...publicKey(rotated.record), key: rotated.secret, replaces: record.id, old_key_valid_until: new Date(Date.now() + graceMs).toISOString() });
}
