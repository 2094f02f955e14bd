// The quota stage: budgets and rate limits of the caller's key, its team and the model. The request reserves its
// worst case on every counter that limits it, at once or not at all; meter-and-log settles the real usage. A request
// nothing limits skips the stage without counting a token.
import type { Operation } from '../providers/adapter.ts';
import type { ModelRoute } from '../upstream/runtime.ts';
import { countPromptTokens } from '../metering/estimate-usage.ts';
import { worstCaseCost } from '../metering/pricing.ts';
import { MICRO_USD, needsTokenCount, planCharges, quotaSubjects, type Reservation } from '../quota/quota-plan.ts';
import { addRateLimitHeaders } from '../quota/rate-limit-headers.ts';
import type { RequestContext } from './context.ts';

function requestedMaxTokens(body: Readonly<Record<string, unknown>>): number | undefined {
  const value = body.max_completion_tokens ?? body.max_tokens;
  return typeof value === 'number' ? value : undefined;
}

async function reserve(ctx: RequestContext, route: ModelRoute, op: Operation): Promise<Reservation> {
  const body = ctx.body!;
  const prompt = await countPromptTokens(op, body);
  if (op === 'embeddings') {
    const price = route.reservePrice;
    return { tokens: prompt, microUsd: price === undefined ? 0 : Math.ceil(worstCaseCost(prompt, 0, price) * MICRO_USD) };
  }
  const named = requestedMaxTokens(body);
  const choices = typeof body.n === 'number' && body.n > 1 ? body.n : 1;
  const price = route.reservePrice;
  const output = (named ?? price?.max_output_tokens ?? ctx.runtime.config.quotas.default_max_tokens) * choices;
  return {
    tokens: prompt + (named ?? 0) * choices,
    microUsd: price === undefined ? 0 : Math.ceil(worstCaseCost(prompt, output, price) * MICRO_USD),
  };
}

/** Charges the caller's quotas; a promise only when some quota limits the caller (the usual request has none to wait for). */
export function admitQuota(ctx: RequestContext, route: ModelRoute, op: Operation): Promise<void> | undefined {
  const subjects = quotaSubjects(ctx.principal!, route.name, ctx.runtime.config.quotas);
  return subjects.length === 0 ? undefined : admit(ctx, route, op, subjects);
}

async function admit(ctx: RequestContext, route: ModelRoute, op: Operation, subjects: ReturnType<typeof quotaSubjects>): Promise<void> {
  const reservation = needsTokenCount(subjects) ? await reserve(ctx, route, op) : { tokens: 0, microUsd: 0 };
  const now = Date.now();
  const ticket = await ctx.services.quotas.admit(planCharges(subjects, reservation, now), now);
  ctx.quota = ticket;
  addRateLimitHeaders((ctx.extraHeaders ??= {}), ticket.charges, ticket.states, now);
}
