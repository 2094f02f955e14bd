// Prometheus metrics. One registry per gateway (tests run several gateways in one process). Gauges that mirror
// state (circuits, bulkheads) are read at scrape time, so the request path pays nothing for them.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export interface BackendGaugeSource {
  readonly model: string;
  readonly name: string;
  circuitState(): number;
  readonly inFlight: number;
  readonly queued: number;
}

const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120];

export class GatewayMetrics {
  readonly registry = new Registry();
  readonly requests: Counter<'endpoint' | 'model' | 'backend' | 'status'>;
  readonly latency: Histogram<'endpoint' | 'model'>;
  readonly ttft: Histogram<'model'>;
  readonly tokens: Counter<'model' | 'kind'>;
  readonly retries: Counter<'model' | 'backend' | 'reason'>;
  readonly costUsd: Counter<'model'>;
  readonly cacheHits: Counter<'model' | 'cache'>;
  readonly savedUsd: Counter<'model'>;
  readonly quotaRefusals: Counter<'scope' | 'limit'>;
  readonly budgetAlerts: Counter<'scope'>;

  // prom-client hashes the label object on every call; the request path instead looks its series up once per
  // label combination and keeps them (the combinations are bounded by config: endpoints × models × backends × statuses).
  readonly #requestSeries = new Map<string, { count: Counter.Internal; latency: Histogram.Internal<'endpoint' | 'model'> }>();

  /** One finished request: its count and its latency. */
  observeRequest(endpoint: string, model: string, backend: string, status: number, seconds: number): void {
    const key = `${endpoint}\u0000${model}\u0000${backend}\u0000${status}`;
    let series = this.#requestSeries.get(key);
    if (series === undefined) {
      series = { count: this.requests.labels({ endpoint, model, backend, status }), latency: this.latency.labels({ endpoint, model }) };
      this.#requestSeries.set(key, series);
    }
    series.count.inc();
    series.latency.observe(seconds);
  }

  constructor(backends: () => Iterable<BackendGaugeSource>) {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry, prefix: 'archway_process_' });
    this.requests = new Counter({ name: 'archway_requests_total', help: 'Requests by endpoint, model, serving backend and HTTP status', labelNames: ['endpoint', 'model', 'backend', 'status'], registers });
    this.latency = new Histogram({ name: 'archway_request_duration_seconds', help: 'Time from request to last byte', labelNames: ['endpoint', 'model'], buckets: LATENCY_BUCKETS, registers });
    this.ttft = new Histogram({ name: 'archway_time_to_first_token_seconds', help: 'Streams: time from request to the first generated token', labelNames: ['model'], buckets: LATENCY_BUCKETS, registers });
    this.tokens = new Counter({ name: 'archway_tokens_total', help: 'Tokens by model and kind (prompt, completion)', labelNames: ['model', 'kind'], registers });
    this.retries = new Counter({ name: 'archway_retries_total', help: 'Attempts that failed and led to a retry or failover', labelNames: ['model', 'backend', 'reason'], registers });
    this.costUsd = new Counter({ name: 'archway_cost_usd_total', help: 'Spend upstream in USD, from the price table', labelNames: ['model'], registers });
    this.cacheHits = new Counter({ name: 'archway_cache_hits_total', help: 'Requests answered by a cache (exact, semantic)', labelNames: ['model', 'cache'], registers });
    this.savedUsd = new Counter({ name: 'archway_cache_saved_usd_total', help: 'What cache hits would have cost upstream', labelNames: ['model'], registers });
    this.quotaRefusals = new Counter({ name: 'archway_quota_refusals_total', help: 'Requests refused by a budget or rate limit, by scope (key, team, model) and limit', labelNames: ['scope', 'limit'], registers });
    this.budgetAlerts = new Counter({ name: 'archway_budget_alerts_total', help: 'Budgets that crossed their alert threshold (once per period and process)', labelNames: ['scope'], registers });
    const backendGauge = (name: string, help: string, read: (b: BackendGaugeSource) => number): void => {
      new Gauge({
        name,
        help,
        labelNames: ['model', 'backend'],
        registers,
        collect() {
          this.reset();
          for (const b of backends()) this.set({ model: b.model, backend: b.name }, read(b));
        },
      });
    };
    backendGauge('archway_circuit_state', 'Circuit breaker state per backend: 0 closed, 1 half-open, 2 open', (b) => b.circuitState());
    backendGauge('archway_bulkhead_in_flight', 'Requests in flight per backend', (b) => b.inFlight);
    backendGauge('archway_bulkhead_queue_depth', 'Requests waiting for a bulkhead slot per backend', (b) => b.queued);
  }
}

