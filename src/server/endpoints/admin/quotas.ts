// Budgets and rate limits of keys and teams: PUT sets the whole quota, DELETE removes it (the config's then apply),
// GET shows it with what is used now. Team-admins manage their own team's keys; team quotas are for admins.
import { GatewayError } from '../../../errors.ts';
import { authorize } from '../../../pipeline/authenticate.ts';
import type { RequestContext } from '../../../pipeline/context.ts';
import { QuotaSchema, type Quota } from '../../../config/cost-schema.ts';
import { compile } from '../../../validation/compile.ts';
import { keyQuota, MICRO_USD, planCharges, teamQuota, type QuotaSubject } from '../../../quota/quota-plan.ts';
import { notFound, readBody, reply } from './admin-io.ts';
import { keyInScope } from './keys.ts';

const validateQuota = compile<Quota>(QuotaSchema);

/** The quota with the counters it limits now (read, not charged). */
async function quotaState(ctx: RequestContext, subject: QuotaSubject): Promise<Record<string, unknown>> {
  const now = Date.now();
  const charges = planCharges([subject], { tokens: 0, microUsd: 0 }, now);
  let states;
  try {
    states = await ctx.services.quotas.peek(charges, now);
  } catch {
    return { quota: subject.quota, usage: null, note: 'the quota state store does not answer now' };
  }
  const usage: Record<string, unknown> = {};
  charges.forEach((c, i) => {
    const s = states[i]!;
    const scale = c.limitKind === 'budget' ? MICRO_USD : 1;
    usage[c.limitKind] = { used: s.used / scale, limit: s.limit / scale, resets_at: new Date(s.resetAt).toISOString() };
  });
  return { quota: subject.quota, usage };
}

async function keySubject(ctx: RequestContext, permission: 'keys:read' | 'quotas:write'): Promise<{ id: string; name: string; quota: Quota | null }> {
  const { principal, scope } = await authorize(ctx, permission);
  const record = await keyInScope(ctx, principal, scope, ctx.params.id!);
  return { id: record.id, name: record.name, quota: record.quota };
}

export async function getKeyQuota(ctx: RequestContext): Promise<void> {
  const key = await keySubject(ctx, 'keys:read');
  const quota = keyQuota(key.quota, key.id, ctx.runtime.config.quotas) ?? null;
  if (quota === null) return reply(ctx, 200, { key_id: key.id, quota: null });
  await reply(ctx, 200, { key_id: key.id, source: key.quota !== null ? 'key' : 'config', ...(await quotaState(ctx, { scope: 'key', id: key.id, label: key.name, quota })) });
}

/** PUT sets the quota of the body, DELETE removes it (the config's apply again): stored, followed, audited. */
async function writeQuota(ctx: RequestContext, what: 'key' | 'team', id: string, quota: Quota | null): Promise<void> {
  if (what === 'key') await ctx.services.keyStore.setQuota(id, quota);
  else await ctx.services.directory.setTeamQuota(id, quota);
  await ctx.services.keys.refresh();
  await ctx.services.audit.act(ctx, `${what}.quota`, id, { quota });
  await reply(ctx, 200, { [`${what}_id`]: id, quota });
}

export async function setKeyQuota(ctx: RequestContext): Promise<void> {
  const key = await keySubject(ctx, 'quotas:write');
  await writeQuota(ctx, 'key', key.id, await readBody(ctx, validateQuota));
}

export async function clearKeyQuota(ctx: RequestContext): Promise<void> {
  await writeQuota(ctx, 'key', (await keySubject(ctx, 'quotas:write')).id, null);
}

async function teamFor(ctx: RequestContext, write: boolean): Promise<{ id: string; name: string; quota: Quota | null }> {
  const { principal, scope } = await authorize(ctx, write ? 'quotas:write' : 'teams:read');
  const team = await ctx.services.directory.team(ctx.params.id!);
  if (team === undefined || (scope !== 'all' && team.id !== principal.teamId)) throw notFound(`team ${ctx.params.id}`);
  // A team's budget bounds what its own admins spend: only an admin sets it.
  if (write && scope !== 'all') throw new GatewayError('permission_denied', "a team's quota is set by an admin; you may set the quotas of your team's keys");
  return team;
}

export async function getTeamQuota(ctx: RequestContext): Promise<void> {
  const team = await teamFor(ctx, false);
  const quota = teamQuota(team.quota, team.name, ctx.runtime.config.quotas) ?? null;
  if (quota === null) return reply(ctx, 200, { team_id: team.id, quota: null });
  await reply(ctx, 200, { team_id: team.id, source: team.quota !== null ? 'team' : 'config', ...(await quotaState(ctx, { scope: 'team', id: team.id, label: team.name, quota })) });
}

export async function setTeamQuota(ctx: RequestContext): Promise<void> {
  const team = await teamFor(ctx, true);
  await writeQuota(ctx, 'team', team.id, await readBody(ctx, validateQuota));
}

export async function clearTeamQuota(ctx: RequestContext): Promise<void> {
  await writeQuota(ctx, 'team', (await teamFor(ctx, true)).id, null);
}
