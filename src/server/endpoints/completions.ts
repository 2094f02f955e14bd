// POST /v1/chat/completions and POST /v1/embeddings: the full pipeline, stage by stage.
import { GatewayError } from '../../errors.ts';
import type { Operation } from '../../providers/adapter.ts';
import { authenticate } from '../../pipeline/authenticate.ts';
import type { RequestContext } from '../../pipeline/context.ts';
import { parseJsonBody } from '../../pipeline/parse-body.ts';
import { resolveModel } from '../../pipeline/resolve-model.ts';
import { respondJson } from '../../pipeline/respond-json.ts';
import { respondStream } from '../../pipeline/respond-stream.ts';
import { validateRequest } from '../../pipeline/validate-request.ts';
import { guardInput } from '../../pipeline/guard-input.ts';
import { bodyLimit, effectiveLimits, enforceLimits } from '../../pipeline/enforce-limits.ts';
import { admitQuota } from '../../pipeline/admit-quota.ts';
import { lookupCache } from '../../pipeline/lookup-cache.ts';
import { respondCached } from '../../pipeline/respond-cached.ts';

export function completionEndpoint(op: Operation): (ctx: RequestContext) => Promise<void> {
  return async (ctx) => {
    // Stages return a promise only when they have I/O to wait for (a token to verify, a quota in Redis, a remote
    // guardrail, a cache): an await costs a microtask and an async frame, and the usual request has none of those.
    const identified = authenticate(ctx, 'data-plane');
    const principal = identified instanceof Promise ? await identified : identified;
    const limits = effectiveLimits(ctx.runtime.config.limits, principal.limits);
    const [limit, source] = bodyLimit(ctx.runtime.config.server.max_body_bytes, limits);
    const body = await parseJsonBody(ctx.req, limit, source);
    ctx.body = body;
    validateRequest(op, body);
    if (typeof body.model === 'string') ctx.model = body.model;
    enforceLimits(op, body, limits);
    const route = ctx.runtime.policies.routeFor(principal, resolveModel(ctx));
    if (route.backendsFor[op].length === 0) {
      throw new GatewayError('operation_not_supported', `the model "${route.name}" has no backend that serves ${op === 'chat' ? 'chat completions' : 'embeddings'}`, { param: 'model' });
    }
    const admission = admitQuota(ctx, route, op);
    if (admission !== undefined) await admission;
    const remoteChecks = guardInput(ctx, op, ctx.runtime.guardrails.for(principal, route.name));
    if (remoteChecks !== undefined) await remoteChecks;
    ctx.stream = op === 'chat' && body.stream === true;
    const lookup = lookupCache(ctx, route, op);
    const hit = lookup === undefined ? undefined : await lookup;
    if (hit !== undefined) return respondCached(ctx, route, hit);
    if (ctx.stream) await respondStream(ctx, route);
    else await respondJson(ctx, route, op);
  };
}
