// /admin/logs: the request log, within the caller's scope (all teams for admins and operators, their own team for
// team-admins and developers). Stored content (prompts and answers, when the config keeps them) is shown only to
// roles allowed to read it, and every such read is audited.
import { authorize } from '../../../pipeline/authenticate.ts';
import type { RequestContext } from '../../../pipeline/context.ts';
import { inScope, scopeOf } from '../../../auth/permissions.ts';
import type { RequestLogRow } from '../../../stores/request-log.ts';
import { intParam, notFound, query, reply, timeParam } from './admin-io.ts';

const NO_TEAM = '\u0000none'; // matches no row: a team-scoped caller without a team sees nothing

export async function listLogs(ctx: RequestContext): Promise<void> {
  const { principal, scope } = await authorize(ctx, 'logs:read');
  const params = query(ctx);
  // Every request answered so far is in the tables, not only durable in the journal.
  await ctx.services.requestLog.flush();
  const rows = await ctx.services.requestLogs.query({
    teamId: scope === 'all' ? (params.get('team') ?? undefined) : (principal.teamId ?? NO_TEAM),
    keyId: params.get('key') ?? undefined,
    model: params.get('model') ?? undefined,
    since: timeParam(params, 'since'),
    until: timeParam(params, 'until'),
    limit: intParam(params, 'limit', 100, 1000),
  });
  await reply(ctx, 200, { object: 'list', data: rows });
}

export async function getLog(ctx: RequestContext): Promise<void> {
  const { principal, scope } = await authorize(ctx, 'logs:read');
  await ctx.services.requestLog.flush();
  const row: RequestLogRow | undefined = await ctx.services.requestLogs.get(ctx.params.id!);
  if (row === undefined || !inScope(principal, scope, { teamId: row.teamId })) throw notFound(`request ${ctx.params.id}`);
  const contentScope = scopeOf(principal, 'logs:content');
  let content: { request: string; response: string | null } | null = null;
  if (contentScope !== undefined && inScope(principal, contentScope, { teamId: row.teamId }) && ctx.services.content !== undefined) {
    content = ctx.services.content.get(row.id) ?? null;
    if (content !== null) await ctx.services.audit.act(ctx, 'content.read', row.id);
  }
  await reply(ctx, 200, { ...row, content });
}
