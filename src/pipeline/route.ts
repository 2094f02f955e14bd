// The route stage: tries a model's backends until one answers. Each attempt takes a bulkhead slot and the circuit
// breaker's permission, sends the request through the provider adapter, and hands the answer to `accept`, which
// reads as much as it must before anything reaches the client (a whole JSON body, or a stream's first event). A
// failure in there is retried on the next backend (failover) or, once every backend was tried, after a backoff with
// full jitter — until the attempts or the deadline run out. Once `accept` returns, the response is the client's and
// is never retried.
import { GatewayError, MODEL_SATURATED } from '../errors.ts';
import { backoffDelayMs, retryAfterSeconds } from '../reliability/backoff.ts';
import { BulkheadFullError } from '../reliability/bulkhead.ts';
import { orderBackends } from '../reliability/routing-strategy.ts';
import type { Operation, UpstreamCall } from '../providers/adapter.ts';
import type { Backend } from '../upstream/backend.ts';
import type { ModelRoute } from '../upstream/runtime.ts';
import { AttemptTimeout, classifyError, UpstreamStatusError, type AttemptFailure } from '../upstream/attempt-failure.ts';
import { UpstreamExchange } from '../upstream/upstream-exchange.ts';
import type { RequestContext } from './context.ts';
import { CLIENT_GONE } from './client-gone.ts';

/** One attempt in progress: what `accept` gets, and what the caller ends once the response is done. */
export class Attempt {
  readonly backend: Backend;
  readonly exchange = new UpstreamExchange();
  readonly startedAt = performance.now();
  readonly #timer: NodeJS.Timeout;
  readonly #ctx: RequestContext;
  readonly #onClientGone = (): void => this.exchange.abort(CLIENT_GONE);
  #ended = false;

  constructor(ctx: RequestContext, backend: Backend) {
    this.backend = backend;
    this.#ctx = ctx;
    const totalMs = backend.timeouts.total_ms;
    this.#timer = setTimeout(() => this.exchange.abort(new AttemptTimeout(totalMs)), totalMs);
    ctx.clientGone.on(this.#onClientGone);
  }

  /** Releases the backend: outcome "success" or "failure" informs its circuit breaker, "neutral" does not. */
  end(outcome: 'success' | 'failure' | 'neutral'): void {
    if (this.#ended) return;
    this.#ended = true;
    clearTimeout(this.#timer);
    this.#ctx.clientGone.off(this.#onClientGone);
    this.#ctx.upstreamMs += performance.now() - this.startedAt;
    this.backend.bulkhead.leave();
    if (outcome === 'success') this.backend.breaker.onSuccess();
    else if (outcome === 'failure') this.backend.breaker.onFailure();
    else this.backend.breaker.release();
  }

  /** Stops the upstream request (its socket is not reused). */
  abort(reason: Error): void {
    this.exchange.abort(reason);
  }
}

export type Accept<T> = (response: UpstreamExchange, attempt: Attempt) => Promise<T>;

const sleep = (ms: number, signal: AbortSignal): Promise<void> =>
  new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });

/** A bulkhead slot taken at once on the first candidate that has one free (the usual case: no await). */
function takeFreeSlot(candidates: Backend[]): Backend | undefined {
  for (const backend of candidates) if (backend.bulkhead.tryEnter()) return backend;
  return undefined;
}

/** Waits for a bulkhead slot on the first candidate that can queue, once none has one free. */
async function waitForSlot(ctx: RequestContext, candidates: Backend[]): Promise<Backend | undefined> {
  for (const backend of candidates) {
    if (backend.bulkhead.saturated) continue;
    try {
      await backend.bulkhead.enter(ctx.clientGone.signal);
      return backend;
    } catch (err) {
      if (!(err instanceof BulkheadFullError)) throw err;
    }
  }
  return undefined;
}

export async function routeToBackend<T>(ctx: RequestContext, route: ModelRoute, op: Operation, accept: Accept<T>): Promise<{ value: T; attempt: Attempt }> {
  const { retry } = route;
  const deadline = ctx.start + retry.deadline_ms;
  // Allocated only once an attempt fails: the usual request needs none of these.
  let failures: string[] | undefined;
  let excluded: Set<Backend> | undefined;
  let triedThisRound: Set<Backend> | undefined;
  let round = 0;
  let allRateLimited = true;
  let sawBusy = false;

  while (ctx.attempts < retry.max_attempts && !ctx.clientGone.gone) {
    const serving = route.backendsFor[op];
    const usable = excluded ? serving.filter((b) => !excluded!.has(b)) : serving;
    let candidates = orderBackends(route.strategy, usable);
    if (triedThisRound) candidates = candidates.filter((b) => !triedThisRound!.has(b));
    if (candidates.length === 0) {
      // Every usable backend was tried (or is refusing): wait, then start a new round.
      const waitMs = nextRoundDelay(usable, (triedThisRound?.size ?? 0) > 0, round, retry.base_delay_ms, retry.max_delay_ms);
      if (waitMs === undefined || performance.now() + waitMs >= deadline) break;
      await sleep(waitMs, ctx.clientGone.signal);
      round++;
      triedThisRound = undefined;
      candidates = orderBackends(route.strategy, usable);
      if (candidates.length === 0) break;
    }
    if (ctx.attempts > 0 && performance.now() >= deadline) break;

    const backend = takeFreeSlot(candidates) ?? (await waitForSlot(ctx, candidates));
    if (backend === undefined) {
      sawBusy = true;
      triedThisRound ??= new Set();
      for (const b of candidates) triedThisRound.add(b);
      if (triedThisRound.size >= usable.length) break;
      continue;
    }
    if (!backend.breaker.tryAcquire()) {
      backend.bulkhead.leave();
      (triedThisRound ??= new Set()).add(backend);
      continue;
    }

    ctx.attempts++;
    const attempt = new Attempt(ctx, backend);
    let call: UpstreamCall;
    try {
      call = backend.adapter.buildRequest(op, ctx.body!, backend.target);
    } catch (err) {
      // About the request, not the backend: never retried, never counted against the breaker.
      attempt.end('neutral');
      if (err instanceof RangeError) throw new GatewayError('invalid_json', 'the request body is nested too deeply to forward; flatten it');
      throw err;
    }
    try {
      const response = await UpstreamExchange.send(backend.pool, backend.origin, call, attempt.exchange);
      if (response.statusCode < 200 || response.statusCode >= 300) {
        const raw = await response.readAll(64 * 1024);
        throw new UpstreamStatusError(response.statusCode, response.headers, backend.adapter.errorMessage(response.statusCode, raw));
      }
      const value = await accept(response, attempt);
      ctx.backend = backend.name;
      ctx.price = backend.price;
      return { value, attempt };
    } catch (err) {
      if (err instanceof GatewayError) {
        attempt.end('neutral');
        throw err;
      }
      if (ctx.clientGone.gone) {
        attempt.end('neutral');
        break;
      }
      const failure = classifyError(err, backend.timeouts);
      if (failure === undefined) {
        // Not an upstream failure but a fault of ours: a 500, not a backend marked down for it.
        attempt.end('neutral');
        throw err;
      }
      attempt.end(failure.countsAsFailure ? 'failure' : 'neutral');
      if (failure.retryAfterMs !== undefined) {
        const until = Date.now() + failure.retryAfterMs;
        backend.breaker.coolDown(until);
        ctx.services.coolDowns.publish(backend.id, until);
      }
      if (failure.status !== 429) allRateLimited = false;
      (failures ??= []).push(`${backend.name}: ${failure.message}`);
      if (!failure.retryable) throw upstreamRejection(failure);
      ctx.services.metrics.retries.inc({ model: route.name, backend: backend.name, reason: failure.reason });
      if (failure.excludeBackend) (excluded ??= new Set()).add(backend);
      (triedThisRound ??= new Set()).add(backend);
    }
  }
  throw finalError(route, failures ?? [], allRateLimited, sawBusy, ctx);
}

/** Ms to wait before the next round, or undefined when no backend can be tried within a sensible wait. */
function nextRoundDelay(usable: readonly Backend[], triedAny: boolean, round: number, baseMs: number, capMs: number): number | undefined {
  if (usable.length === 0) return undefined;
  // Backends refusing now (open circuit, cooling down after a 429) are waited for only if that is short.
  const soonest = Math.min(...usable.map((b) => b.breaker.retryInMs()));
  const backoff = triedAny ? backoffDelayMs(round, baseMs, capMs) : 0;
  const wait = Math.max(backoff, soonest);
  return wait <= capMs ? wait : undefined;
}

function upstreamRejection(failure: AttemptFailure): GatewayError {
  return new GatewayError('upstream_rejected', `the upstream rejected the request: ${failure.message}`, { status: failure.status ?? 400 });
}

function finalError(route: ModelRoute, failures: string[], allRateLimited: boolean, sawBusy: boolean, ctx: RequestContext): GatewayError {
  if (ctx.clientGone.gone) return new GatewayError('client_closed_request', 'the client closed the connection before an answer');
  const soonest = Math.min(...route.backends.map((b) => b.breaker.retryInMs()));
  const retryAfterS = retryAfterSeconds(Number.isFinite(soonest) && soonest > 0 ? soonest : 1000);
  if (failures.length === 0 && sawBusy) {
    return new GatewayError('backend_busy', `${MODEL_SATURATED}"${route.name}" is at its concurrency limit; retry shortly`, { retryAfterS: 1 });
  }
  if (failures.length === 0 && route.backends.every((b) => b.breaker.snapshot().coolingDown)) {
    // Every backend asked us to wait (429 Retry-After): that is rate limiting, and the client should back off too.
    return new GatewayError('upstream_rate_limited', `${MODEL_SATURATED}"${route.name}" is rate limited; retry after ${retryAfterS} s`, { retryAfterS });
  }
  if (failures.length === 0) {
    return new GatewayError('upstream_unavailable', `no backend of model "${route.name}" is available now (circuits open or cooling down); retry after ${retryAfterS} s`, { retryAfterS });
  }
  const summary = `${failures.length} attempt${failures.length > 1 ? 's' : ''} failed: ${failures.join('; ')}`;
  if (allRateLimited) {
    return new GatewayError('upstream_rate_limited', `${MODEL_SATURATED}"${route.name}" is rate limiting: ${summary}`, { retryAfterS });
  }
  return new GatewayError('upstream_unavailable', `model "${route.name}" is unavailable: ${summary}`, { retryAfterS });
}
