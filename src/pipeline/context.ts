// The one object a request carries through the pipeline: what it asked, who asked, where it went, and what came back.
// Stages fill it in; the last stage turns it into the request-log row and the metrics.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Usage } from '../providers/adapter.ts';
import type { Runtime } from '../upstream/runtime.ts';
import type { Principal } from '../auth/principal.ts';
import type { GatewayServices } from '../server/services.ts';
import type { ClientGone } from './client-gone.ts';
import type { RedactionVault } from '../guardrails/vault.ts';
import type { ListedPrice } from '../metering/prices.ts';
import type { QuotaTicket } from '../quota/quota-gate.ts';
import type { CachePlan } from './lookup-cache.ts';

export interface RequestContext {
  readonly id: string;
  /** Epoch ms when the request arrived. */
  readonly receivedAt: number;
  /** performance.now() when the request arrived: durations are measured from here. */
  readonly start: number;
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  /** The config the request started with: a reload does not change it mid-flight. */
  readonly runtime: Runtime;
  readonly services: GatewayServices;
  /** Fires when the client goes away before the response is complete. */
  readonly clientGone: ClientGone;
  /** The route's pattern (a bounded metric label), or "unmatched". */
  endpoint: string;
  /** Path parameters of a parameterised route (`/admin/keys/:id` → {id}). */
  params: Readonly<Record<string, string>>;
  principal: Principal | undefined;
  body: Record<string, unknown> | undefined;
  model: string | null;
  stream: boolean;
  backend: string | null;
  attempts: number;
  /** Time spent waiting on upstreams (all attempts), for Server-Timing. */
  upstreamMs: number;
  ttftMs: number | null;
  usage: Usage | undefined;
  /** The price of the backend that served the request (undefined: none known, so no cost). */
  price: ListedPrice | undefined;
  /** Which cache answered, if one did. */
  cache: 'exact' | 'semantic' | null;
  /** For a cache hit: what the answer cost when it was made. */
  savedUsd: number | null;
  /** What may be cached of the answer (set by the cache stage on a miss). */
  cachePlan: CachePlan | null;
  /** USD spent on the request's behalf besides its answer (the semantic cache's embeddings call). */
  overheadUsd: number;
  /** What the request reserved on its budgets and rate limits, settled once it ends. */
  quota: QuotaTicket | null;
  /** Headers of the response besides the usual ones (rate limits, cache status). */
  extraHeaders: Record<string, string> | null;
  /** What guardrails flagged or redacted (`guardrail:type`), for the `x-archway-guardrails` header; null when nothing. */
  guardrails: Set<string> | null;
  /** Values masked by reversible guardrails, restored in the answer; null when none. */
  vault: RedactionVault | null;
  /** The body sent to the client on success, for content storage (when the config turns it on). */
  responseBody: Buffer | string | null;
  status: number;
  error: string | null;
  /** The request-log row and metrics were written (they are written once). */
  recorded: boolean;
}

/** Adds a header to the response, beside the usual ones (any stage may, before the response starts). */
export function setResponseHeader(ctx: RequestContext, name: string, value: string): void {
  (ctx.extraHeaders ??= {})[name] = value;
}
