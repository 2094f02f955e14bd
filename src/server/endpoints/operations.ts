// The operational endpoints. /livez and /readyz answer anonymously with a status only (for load balancers and
// orchestrators); with an admin or operator key /readyz also shows every backend's circuit and bulkhead. /metrics is
// Prometheus text and needs such a key.
import { authenticate, presentedKey } from '../../pipeline/authenticate.ts';
import type { RequestContext } from '../../pipeline/context.ts';
import { sendJson } from '../respond.ts';

export interface Readiness {
  /** False while draining for shutdown: orchestrators stop sending new traffic. */
  ready(): boolean;
}

export async function livez(ctx: RequestContext): Promise<void> {
  await sendJson(ctx, 200, '{"status":"ok"}', undefined, false);
}

/**
 * Readiness depends on the gateway itself, not on providers: an outage upstream must not take every replica out of
 * its load balancer (provider health is in the detail). The shared quota state is the gateway's own: when Redis does
 * not answer, fail-open keeps serving ("degraded", still 200) and fail-closed refuses limited requests, so the replica
 * says it is not ready (503).
 */
function readinessOf(ctx: RequestContext, draining: boolean): { status: string; code: number } {
  if (draining) return { status: 'draining', code: 503 };
  const state = ctx.services.quotas.status();
  if (state.healthy) return { status: 'ready', code: 200 };
  return state.on_unavailable === 'fail-closed' ? { status: 'unavailable', code: 503 } : { status: 'degraded', code: 200 };
}

export function readyz(readiness: Readiness): (ctx: RequestContext) => Promise<void> {
  return async (ctx) => {
    const { status: state, code: status } = readinessOf(ctx, !readiness.ready());
    if (presentedKey(ctx.req.headers) === undefined) {
      await sendJson(ctx, status, JSON.stringify({ status: state }), undefined, false);
      return;
    }
    await authenticate(ctx, 'health');
    const models = [...ctx.runtime.models.values()].map((m) => ({
      model: m.name,
      routing: m.strategy,
      available: m.backends.some((b) => b.canAttempt()),
      backends: m.backends.map((b) => {
        const circuit = b.breaker.snapshot();
        return {
          name: b.name,
          provider: b.provider,
          circuit: circuit.state,
          cooling_down: circuit.coolingDown,
          refusing_until: circuit.refusingUntil > 0 ? new Date(circuit.refusingUntil).toISOString() : null,
          consecutive_failures: circuit.consecutiveFailures,
          window: { requests: circuit.windowRequests, failures: circuit.windowFailures },
          in_flight: b.inFlight,
          queued: b.queued,
          max_concurrency: b.capacity,
        };
      }),
    }));
    await sendJson(ctx, status, JSON.stringify({ status: state, quota_state: ctx.services.quotas.status(), models }), undefined, false);
  };
}

export async function metrics(ctx: RequestContext): Promise<void> {
  await authenticate(ctx, 'metrics');
  const registry = ctx.services.metrics.registry;
  const text = await registry.metrics();
  await sendJson(ctx, 200, text, { 'content-type': registry.contentType }, false);
}
