// After a miss: the answer goes into the caches the plan names, unless it holds personal data or a credential.
import type { Usage } from '../providers/adapter.ts';
import { cachedAnswer } from '../cache/cached-answer.ts';
import { containsPersonalData } from '../guardrails/storage-redactor.ts';
import { costOf } from '../metering/pricing.ts';
import type { RequestContext } from './context.ts';
import { completionText, parseCompletion } from './answer-text.ts';
import { canReplayAsStream } from '../cache/answer-as-stream.ts';

/** `parsed`: the body as an object, when the caller built it from one (a rebuilt stream); else it is parsed here. */
export function storeAnswer(ctx: RequestContext, body: Buffer, usage: Usage | undefined, parsed?: unknown): void {
  const plan = ctx.cachePlan;
  if (plan === null || usage === undefined) return;
  // Parsed once, for both the personal-data check and whether a stream can replay it.
  const completion = parsed ?? parseCompletion(body);
  if (completion === undefined || containsPersonalData(completionText(completion))) return;
  const { exact, semantic } = ctx.runtime.config.cache;
  const answer = cachedAnswer({
    body,
    usage,
    costUsd: ctx.price === undefined ? 0 : costOf(usage, ctx.price),
    model: ctx.model ?? '',
    backend: ctx.backend ?? '',
    createdAt: Date.now(),
    streamable: canReplayAsStream(completion),
  });
  if (plan.exactKey !== undefined) void ctx.services.caches.exact.set(plan.exactKey, answer, exact.ttl_s * 1000);
  if (plan.semantic !== undefined) ctx.services.caches.semantic.insert(plan.semantic.scope, plan.semantic.vector, answer, semantic.ttl_s * 1000);
}
