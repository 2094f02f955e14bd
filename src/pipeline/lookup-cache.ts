// The cache stage: an exact hit (the same request, normalised, from the same tenant, for the same model version), else
// a semantic one (a question close enough to one answered before, with the same system prompt and conversation).
// Which requests qualify is the config's and the client's call (`x-archway-cache`); a request or answer holding
// personal data or a credential is never cached. A failing embeddings call only costs the semantic lookup, never
// the request. What may be stored once the answer is in is left in ctx.cachePlan.
import { GatewayError } from '../errors.ts';
import type { Operation } from '../providers/adapter.ts';
import type { ModelRoute } from '../upstream/runtime.ts';
import type { CachedAnswer } from '../cache/cached-answer.ts';
import type { CacheConfig } from '../config/cost-schema.ts';
import { cacheDirective, exactCacheAccess } from '../cache/cache-directive.ts';
import { exactCacheKey } from '../cache/exact-key.ts';
import { lastUserText, semanticScope } from '../cache/semantic-scope.ts';
import { embedQuestion } from '../cache/embed-question.ts';
import { containsPersonalData } from '../guardrails/storage-redactor.ts';
import { messageText } from '../providers/message-text.ts';
import { setResponseHeader, type RequestContext } from './context.ts';

export interface CachePlan {
  /** Store the answer under this exact key. */
  readonly exactKey: string | undefined;
  /** Store it in the semantic index, under this scope and vector. */
  readonly semantic: { readonly scope: string; readonly vector: Float32Array } | undefined;
}

export interface CacheHit {
  readonly answer: CachedAnswer;
  readonly kind: 'exact' | 'semantic';
  readonly similarity: number;
}

/** Each text of the conversation is checked on its own: those of earlier turns were checked before (memoised). */
function holdsPersonalData(messages: unknown): boolean {
  return Array.isArray(messages) && (messages as { content?: unknown }[]).some((m) => containsPersonalData(messageText(m?.content)));
}

/**
 * The embeddings model's backends this caller's question may go to: the attribute policies hold for the gateway's own
 * call as for the caller's (an EU team's prompt is embedded in the EU or not at all). None: no semantic caching.
 */
function embeddingsRouteFor(ctx: RequestContext, name: string | undefined): ModelRoute | undefined {
  const route = name === undefined ? undefined : ctx.runtime.models.get(name);
  if (route === undefined) return undefined;
  try {
    return ctx.runtime.policies.routeFor(ctx.principal!, route);
  } catch {
    return undefined;
  }
}

/** The cached answer to the request, if any; no promise at all when no cache is on (nothing to wait for). */
export function lookupCache(ctx: RequestContext, route: ModelRoute, op: Operation): Promise<CacheHit | undefined> | undefined {
  const config = ctx.runtime.config.cache;
  if (op !== 'chat' || (!config.exact.enabled && !config.semantic.enabled)) return undefined;
  return lookup(ctx, route, config);
}

async function lookup(ctx: RequestContext, route: ModelRoute, config: CacheConfig): Promise<CacheHit | undefined> {
  const result = cacheDirective(ctx.req.headers);
  if (!result.ok) throw new GatewayError('invalid_request', result.problem.message, { param: result.problem.header });
  const { directive } = result;
  const body = ctx.body!;
  const exact = config.exact.enabled ? exactCacheAccess(config.exact.when, directive, body) : { read: false, write: false };
  const semanticOn = config.semantic.enabled && (directive.read || directive.write) && (config.semantic.models === undefined || config.semantic.models.includes(route.name));
  if (!exact.read && !exact.write && !semanticOn) return undefined;
  // Masked for the model (a reversible guardrail), or found here: either way the request held personal data.
  if (ctx.vault !== null || holdsPersonalData(body.messages)) {
    setResponseHeader(ctx, 'x-archway-cache', 'skip; personal data');
    return undefined;
  }
  const principal = ctx.principal!;
  // A team is a tenant; a key outside any team is its own.
  const tenant = principal.teamId ?? `key:${principal.keyId}`;
  let exactKey: string | undefined;
  if (exact.read || exact.write) {
    exactKey = exactCacheKey({ tenant, model: route.name, modelVersion: route.version }, body);
    const answer = exact.read && exactKey !== undefined ? await ctx.services.caches.exact.get(exactKey) : undefined;
    // An answer a stream cannot replay (logprobs, audio) is a miss for a streamed request: its fresh answer replaces it.
    if (answer !== undefined && (!ctx.stream || answer.streamable)) return { answer, kind: 'exact', similarity: 1 };
  }
  let semantic: CachePlan['semantic'];
  const embeddingsRoute = semanticOn ? embeddingsRouteFor(ctx, config.semantic.embeddings_model) : undefined;
  if (embeddingsRoute !== undefined) {
    const text = lastUserText(body.messages);
    const scope = semanticScope({ tenant, model: route.name, modelVersion: route.version, embeddingsModel: embeddingsRoute.name, body });
    if (text !== undefined && scope !== undefined) {
      try {
        const embedded = await embedQuestion(ctx, embeddingsRoute, text);
        ctx.overheadUsd += embedded.costUsd;
        const match = directive.read ? ctx.services.caches.semantic.lookup(scope, embedded.vector, config.semantic.threshold) : undefined;
        if (match !== undefined && (!ctx.stream || match.value.streamable)) return { answer: match.value, kind: 'semantic', similarity: match.similarity };
        semantic = { scope, vector: embedded.vector };
      } catch (err) {
        if (ctx.clientGone.gone) throw err;
        ctx.services.log.warn({ err: (err as Error).message, requestId: ctx.id }, 'semantic cache lookup failed; answering without it');
      }
    }
  }
  const plan: CachePlan = { exactKey: exact.write ? exactKey : undefined, semantic: directive.write ? semantic : undefined };
  if (plan.exactKey !== undefined || plan.semantic !== undefined) ctx.cachePlan = plan;
  setResponseHeader(ctx, 'x-archway-cache', 'miss');
  return undefined;
}
