// After a miss: the answer goes into the caches the plan names, unless it holds personal data or a credential.
import type { Usage } from '../providers/adapter.ts';
import { cachedAnswer } from '../cache/cached-answer.ts';
import { containsPersonalData } from '../guardrails/storage-redactor.ts';
import { costOf } from '../metering/pricing.ts';
import type { RequestContext } from './context.ts';

/**
 * What the model wrote in a chat.completion: its messages' text and tool-call arguments. Only that is checked for
 * personal data: the envelope's numbers (`created`, token counts) would read as phone numbers to the detector, and
 * cost a phone-number parse each.
 */
function answerText(body: Buffer): string | undefined {
  let completion: { choices?: { message?: { content?: unknown; refusal?: unknown; tool_calls?: { function?: { arguments?: unknown } }[] } }[] };
  try {
    completion = JSON.parse(body.toString('utf8')) as typeof completion;
  } catch {
    return undefined;
  }
  let text = '';
  for (const choice of completion.choices ?? []) {
    const m = choice.message;
    if (typeof m?.content === 'string') text += `${m.content}\n`;
    if (typeof m?.refusal === 'string') text += `${m.refusal}\n`;
    for (const call of m?.tool_calls ?? []) if (typeof call.function?.arguments === 'string') text += `${call.function.arguments}\n`;
  }
  return text;
}

export function storeAnswer(ctx: RequestContext, body: Buffer, usage: Usage | undefined): void {
  const plan = ctx.cachePlan;
  if (plan === null || usage === undefined) return;
  const text = answerText(body);
  if (text === undefined || containsPersonalData(text)) return;
  const { exact, semantic } = ctx.runtime.config.cache;
  const answer = cachedAnswer({
    body,
    usage,
    costUsd: ctx.price === undefined ? 0 : costOf(usage, ctx.price),
    model: ctx.model ?? '',
    backend: ctx.backend ?? '',
    createdAt: Date.now(),
  });
  if (plan.exactKey !== undefined) ctx.services.caches.exact.set(plan.exactKey, answer, exact.ttl_s * 1000);
  if (plan.semantic !== undefined) ctx.services.caches.semantic.insert(plan.semantic.scope, plan.semantic.vector, answer, semantic.ttl_s * 1000);
}
