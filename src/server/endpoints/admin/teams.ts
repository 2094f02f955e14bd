// /admin/teams and /admin/users: the organisation's teams (tenants) and the identity-provider users in them.
import { Type } from '@sinclair/typebox';
import { GatewayError } from '../../../errors.ts';
import { authenticate, authorize } from '../../../pipeline/authenticate.ts';
import type { RequestContext } from '../../../pipeline/context.ts';
import { GRANTABLE_ROLES, inScope } from '../../../auth/permissions.ts';
import { ApiLimitsSchema, AttributesSchema, RoleName, type ApiLimits, type Attributes, type Role } from '../../../config/security-schema.ts';
import { DuplicateNameError, type TeamRecord, type UserRecord } from '../../../stores/directory-store.ts';
import { notFound, readBody, reply } from './admin-io.ts';
import { compile } from '../../../validation/compile.ts';

const validateTeam = compile<{ name: string; attributes?: Attributes; limits?: Partial<ApiLimits> }>(
  Type.Object(
    {
      name: Type.String({ minLength: 1, maxLength: 100, pattern: '^[A-Za-z0-9_.-]+$' }),
      attributes: Type.Optional(AttributesSchema),
      limits: Type.Optional(Type.Partial(ApiLimitsSchema, { additionalProperties: false })),
    },
    { additionalProperties: false },
  ),
);

const validateUser = compile<{ subject: string; name?: string; role: Role; team?: string; attributes?: Attributes }>(
  Type.Object(
    {
      subject: Type.String({ minLength: 1, maxLength: 300 }),
      name: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
      role: RoleName,
      team: Type.Optional(Type.String({ minLength: 1 })),
      attributes: Type.Optional(AttributesSchema),
    },
    { additionalProperties: false },
  ),
);

const publicTeam = (t: TeamRecord): Record<string, unknown> => ({
  id: t.id,
  name: t.name,
  attributes: t.attributes,
  limits: t.limits,
  quota: t.quota,
  created_at: new Date(t.createdAt).toISOString(),
});

const publicUser = (u: UserRecord): Record<string, unknown> => ({
  id: u.id,
  subject: u.subject,
  name: u.name,
  role: u.role,
  team_id: u.teamId,
  attributes: u.attributes,
  created_at: new Date(u.createdAt).toISOString(),
  disabled_at: u.disabledAt === null ? null : new Date(u.disabledAt).toISOString(),
});

function conflict(err: unknown): never {
  if (err instanceof DuplicateNameError) throw new GatewayError('conflict', err.message);
  throw err;
}

export async function listTeams(ctx: RequestContext): Promise<void> {
  const { principal, scope } = await authorize(ctx, 'teams:read');
  const teams = (await ctx.services.directory.listTeams()).filter((t) => inScope(principal, scope, { teamId: t.id }));
  await reply(ctx, 200, { object: 'list', data: teams.map(publicTeam) });
}

export async function createTeam(ctx: RequestContext): Promise<void> {
  await authenticate(ctx, 'teams:write');
  const body = await readBody(ctx, validateTeam);
  const team = await ctx.services.directory.createTeam({ name: body.name, attributes: body.attributes, limits: body.limits ?? null }).catch(conflict);
  await ctx.services.keys.refresh();
  await ctx.services.audit.act(ctx, 'team.create', team.id, { name: team.name, attributes: team.attributes, limits: team.limits });
  await reply(ctx, 201, publicTeam(team));
}

export async function listUsers(ctx: RequestContext): Promise<void> {
  const { principal, scope } = await authorize(ctx, 'users:read');
  const users = (await ctx.services.directory.listUsers()).filter((u) => inScope(principal, scope, { teamId: u.teamId }));
  await reply(ctx, 200, { object: 'list', data: users.map(publicUser) });
}

export async function createUser(ctx: RequestContext): Promise<void> {
  const { principal, scope } = await authorize(ctx, 'users:write');
  const body = await readBody(ctx, validateUser);
  if (!GRANTABLE_ROLES[principal.role].includes(body.role)) {
    throw new GatewayError('permission_denied', `a ${principal.role} may not give the role "${body.role}"`, { param: 'role' });
  }
  let teamId: string | null = null;
  if (body.team !== undefined) {
    const team = await ctx.services.directory.team(body.team);
    if (team === undefined) throw new GatewayError('invalid_request', `no team "${body.team}"; create it first (POST /admin/teams)`, { param: 'team' });
    teamId = team.id;
  }
  if (scope !== 'all') {
    if (principal.teamId === null || (teamId ?? principal.teamId) !== principal.teamId) {
      throw new GatewayError('permission_denied', `you may add users only to your own team (${principal.teamName ?? 'none'})`);
    }
    teamId = principal.teamId;
  }
  const user = await ctx.services.directory
    .createUser({ subject: body.subject, name: body.name, role: body.role, teamId, attributes: body.attributes })
    .catch(conflict);
  await ctx.services.keys.refresh();
  await ctx.services.audit.act(ctx, 'user.create', user.id, { subject: user.subject, role: user.role, team_id: teamId });
  await reply(ctx, 201, publicUser(user));
}

export async function disableUser(ctx: RequestContext): Promise<void> {
  const { principal, scope } = await authorize(ctx, 'users:write');
  const user = await ctx.services.directory.user(ctx.params.id!);
  if (user === undefined || user.disabledAt !== null || !inScope(principal, scope, { teamId: user.teamId })) throw notFound(`user ${ctx.params.id}`);
  await ctx.services.directory.disableUser(user.id);
  await ctx.services.keys.refresh();
  await ctx.services.audit.act(ctx, 'user.disable', user.id, { subject: user.subject });
  await reply(ctx, 200, { id: user.id, disabled: true });
}
