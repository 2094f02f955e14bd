// The last stage: every request leaves one request-log row and its metrics. The returned promise resolves when the
// row is durable; callers that owe the client the end of a successful response wait for it first.
import type { RequestLogRow } from '../stores/request-log.ts';
import type { RequestContext } from './context.ts';
import { sealContent } from '../security/content-cipher.ts';
import { redactForStorage } from '../guardrails/storage-redactor.ts';
import { costOf } from '../metering/pricing.ts';
import { MICRO_USD } from '../quota/quota-plan.ts';

/** USD of what the request consumed upstream: its answer's (nothing for a cache hit; null when no price is known) and its overhead. */
function costOfRequest(ctx: RequestContext): number | null {
  let answer: number | null;
  if (ctx.cache !== null) answer = 0;
  else if (ctx.price === undefined) answer = null;
  else answer = ctx.usage === undefined ? 0 : costOf(ctx.usage, ctx.price);
  // The semantic cache's embeddings call is paid whether or not it found an answer.
  return ctx.overheadUsd === 0 ? answer : (answer ?? 0) + ctx.overheadUsd;
}

export function meterAndLog(ctx: RequestContext): Promise<void> {
  if (ctx.recorded) return Promise.resolve();
  ctx.recorded = true;
  const latencyMs = performance.now() - ctx.start;
  const { metrics, requestLog, log, logRequests } = ctx.services;
  // Metric labels only take configured names: a client's made-up model must not create a new series.
  const model = ctx.model !== null && ctx.runtime.models.has(ctx.model) ? ctx.model : '';
  metrics.observeRequest(ctx.endpoint, model, ctx.backend ?? '', ctx.status, latencyMs / 1000);
  const costUsd = costOfRequest(ctx);
  const tallies = metrics.modelTallies(model);
  if (ctx.ttftMs !== null) metrics.ttft.observe(tallies.ttft, ctx.ttftMs / 1000);
  if (ctx.usage && ctx.cache === null) {
    tallies.promptTokens.total += ctx.usage.prompt_tokens;
    tallies.completionTokens.total += ctx.usage.completion_tokens;
  }
  if (costUsd) tallies.costUsd.total += costUsd;
  if (ctx.cache !== null) tallies.cacheHits[ctx.cache].total++;
  if (ctx.savedUsd) tallies.savedUsd.total += ctx.savedUsd;
  if (ctx.quota !== null) {
    // A cache hit and a failed request consumed nothing upstream: their reservations are given back whole.
    const consumed = ctx.cache === null ? ctx.usage : undefined;
    ctx.services.quotas.settle(ctx.quota, consumed?.total_tokens ?? 0, costUsd === null ? 0 : Math.ceil(costUsd * MICRO_USD));
  }
  const row: RequestLogRow = {
    id: ctx.id,
    ts: ctx.receivedAt,
    keyId: ctx.principal?.keyId ?? null,
    teamId: ctx.principal?.teamId ?? null,
    endpoint: ctx.endpoint,
    model: ctx.model,
    backend: ctx.backend,
    attempts: ctx.attempts,
    stream: ctx.stream,
    status: ctx.status,
    latencyMs,
    ttftMs: ctx.ttftMs,
    promptTokens: ctx.usage?.prompt_tokens ?? null,
    completionTokens: ctx.usage?.completion_tokens ?? null,
    cachedTokens: ctx.usage?.cached_tokens ?? null,
    reasoningTokens: ctx.usage?.reasoning_tokens ?? null,
    costUsd,
    cache: ctx.cache,
    savedUsd: ctx.savedUsd,
    error: ctx.error === null ? null : redactForStorage(ctx.error),
  };
  if (ctx.services.keyring !== undefined && ctx.runtime.config.logging.content.store && ctx.body !== undefined) {
    const response = ctx.responseBody === null ? null : redactForStorage(ctx.responseBody.toString());
    // Encrypted before it leaves the request: the writer thread and the database only ever see ciphertext.
    row.content = sealContent(ctx.services.keyring, ctx.id, redactForStorage(JSON.stringify(ctx.body)), response);
  }
  if (logRequests) log.info({ request: { ...row, content: undefined } }, 'request');
  return requestLog.append(row);
}
