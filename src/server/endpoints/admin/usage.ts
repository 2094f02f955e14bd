// GET /admin/usage: requests, tokens and spend summed per day, key, team and model (any of them), from the daily
// roll-up. Team-scoped roles see their own team's usage only, whatever they ask for.
import { GatewayError } from '../../../errors.ts';
import { authorize } from '../../../pipeline/authenticate.ts';
import type { RequestContext } from '../../../pipeline/context.ts';
import { isUtcDay, USAGE_GROUPS, utcDay, type UsageGroup } from '../../../stores/usage-store.ts';
import { query, reply } from './admin-io.ts';

const DAY_MS = 86_400_000;

function dayParam(params: URLSearchParams, name: string, fallback: string | undefined): string | undefined {
  const raw = params.get(name);
  if (raw === null) return fallback;
  if (!isUtcDay(raw)) throw new GatewayError('invalid_request', `the query parameter ${name} must be a day, YYYY-MM-DD`, { param: name });
  return raw;
}

export async function getUsage(ctx: RequestContext): Promise<void> {
  const { principal, scope } = await authorize(ctx, 'usage:read');
  const params = query(ctx);
  const groupBy = (params.get('group_by') ?? 'day').split(',').filter(Boolean);
  for (const g of groupBy) {
    if (!(USAGE_GROUPS as readonly string[]).includes(g)) {
      throw new GatewayError('invalid_request', `group_by takes ${USAGE_GROUPS.join(', ')} (comma-separated), not "${g}"`, { param: 'group_by' });
    }
  }
  let teamId = params.get('team') ?? undefined;
  if (teamId !== undefined && scope === 'all') teamId = (await ctx.services.directory.team(teamId))?.id ?? teamId;
  if (scope !== 'all') {
    if (principal.teamId === null) throw new GatewayError('permission_denied', 'you belong to no team, so there is no usage of yours to show');
    teamId = principal.teamId;
  }
  const since = dayParam(params, 'since', utcDay(Date.now() - 29 * DAY_MS))!;
  const until = dayParam(params, 'until', undefined);
  // Every request answered so far is in the roll-up, not only durable in the journal.
  await ctx.services.requestLog.flush();
  const rows = await ctx.services.usage.usage({
    since,
    until,
    groupBy: groupBy as UsageGroup[],
    keyId: params.get('key') ?? undefined,
    teamId,
    model: params.get('model') ?? undefined,
  });
  await reply(ctx, 200, { object: 'list', since, until: until ?? null, group_by: groupBy, data: rows });
}
