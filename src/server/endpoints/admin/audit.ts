// /admin/audit: the audit log for auditors and admins: a page of entries, an NDJSON export to verify offline, and
// the chain's verification.
import { authenticate } from '../../../pipeline/authenticate.ts';
import type { RequestContext } from '../../../pipeline/context.ts';
import { intParam, query, reply, timeParam } from './admin-io.ts';

export async function listAudit(ctx: RequestContext): Promise<void> {
  await authenticate(ctx, 'audit:read');
  const params = query(ctx);
  const entries = await ctx.services.audit.store.list({
    afterSeq: intParam(params, 'after_seq', 0, Number.MAX_SAFE_INTEGER),
    since: timeParam(params, 'since'),
    until: timeParam(params, 'until'),
    actor: params.get('actor') ?? undefined,
    action: params.get('action') ?? undefined,
    limit: intParam(params, 'limit', 1000, 10_000),
  });
  await reply(ctx, 200, { object: 'list', data: entries });
}

export async function exportAudit(ctx: RequestContext): Promise<void> {
  await authenticate(ctx, 'audit:read');
  const res = ctx.res;
  res.writeHead(200, { 'content-type': 'application/x-ndjson', 'x-request-id': ctx.id });
  for await (const entry of ctx.services.audit.store.entries()) {
    if (!res.write(`${JSON.stringify(entry)}\n`)) await new Promise((resolve) => res.once('drain', resolve));
    if (ctx.clientGone.gone) return;
  }
  res.end();
}

export async function verifyAudit(ctx: RequestContext): Promise<void> {
  await authenticate(ctx, 'audit:read');
  await reply(ctx, 200, await ctx.services.audit.store.verify());
}
