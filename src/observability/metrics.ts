// Prometheus metrics. One registry per gateway (tests run several gateways in one process). Gauges that mirror
// state (circuits, bulkheads) are read at scrape time, so the request path pays nothing for them.
import { Counter, Gauge, Registry, collectDefaultMetrics, type LabelValues } from 'prom-client';
import { TalliedHistogram, type HistogramSeries } from './tallied-histogram.ts';

export interface BackendGaugeSource {
  readonly model: string;
  readonly name: string;
  circuitState(): number;
  readonly inFlight: number;
  readonly queued: number;
}

const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120];

/** A counter's series as the request path sees it: a number to add to. */
interface Tally<L extends string> {
  readonly labels: LabelValues<L>;
  total: number;
  /** What prom-client was last given. */
  reported: number;
}

/** Per endpoint and model: the latency series, and the request counts by serving backend and status. */
interface EndpointModelSeries {
  readonly latency: HistogramSeries<'endpoint' | 'model'>;
  readonly counts: Map<string, Map<number, Tally<'endpoint' | 'model' | 'backend' | 'status'>>>;
}

/** Per model: the token, cost and cache counters a finished request adds to. */
interface ModelTallies {
  readonly promptTokens: Tally<'model' | 'kind'>;
  readonly completionTokens: Tally<'model' | 'kind'>;
  readonly costUsd: Tally<'model'>;
  readonly cacheHits: Readonly<Record<'exact' | 'semantic', Tally<'model' | 'cache'>>>;
  readonly savedUsd: Tally<'model'>;
  readonly ttft: HistogramSeries<'model'>;
}

/** The series of a counter that the request path adds to in plain fields; prom-client gets the totals when scraped. */
function talliedCounter<L extends string>(options: { name: string; help: string; labelNames: L[]; registers: Registry[] }): Tally<L>[] {
  const tallies: Tally<L>[] = [];
  new Counter<L>({
    ...options,
    collect() {
      for (const t of tallies) {
        if (t.total === t.reported) continue;
        this.inc(t.labels, t.total - t.reported);
        t.reported = t.total;
      }
    },
  });
  return tallies;
}

function tally<L extends string>(series: Tally<L>[], labels: LabelValues<L>): Tally<L> {
  const t = { labels, total: 0, reported: 0 };
  series.push(t);
  return t;
}

export class GatewayMetrics {
  readonly registry = new Registry();
  readonly latency: TalliedHistogram<'endpoint' | 'model'>;
  readonly ttft: TalliedHistogram<'model'>;
  readonly retries: Counter<'model' | 'backend' | 'reason'>;
  readonly quotaRefusals: Counter<'scope' | 'limit'>;
  readonly budgetAlerts: Counter<'scope'>;

  // prom-client hashes the label object on every call, even through a labelled child, which cost the request path
  // more than the counting. The request path instead finds its series once per label combination (bounded by config:
  // endpoints × models × backends × statuses), in maps keyed by the label values themselves (no key to build), and
  // adds to plain fields that the counters hand prom-client at scrape time (the histograms: tallied-histogram.ts).
  readonly #requestSeries = new Map<string, Map<string, EndpointModelSeries>>();
  readonly #requestTallies: Tally<'endpoint' | 'model' | 'backend' | 'status'>[];
  readonly #modelTallies = new Map<string, ModelTallies>();
  readonly #tokenTallies: Tally<'model' | 'kind'>[];
  readonly #costTallies: Tally<'model'>[];
  readonly #cacheHitTallies: Tally<'model' | 'cache'>[];
  readonly #savedTallies: Tally<'model'>[];

  /** One finished request: its count and its latency. */
  observeRequest(endpoint: string, model: string, backend: string, status: number, seconds: number): void {
    const byModel = this.#requestSeries.get(endpoint) ?? setNew(this.#requestSeries, endpoint, new Map());
    const series = byModel.get(model) ?? setNew(byModel, model, { latency: this.latency.series({ endpoint, model }), counts: new Map() });
    const byStatus = series.counts.get(backend) ?? setNew(series.counts, backend, new Map());
    const count = byStatus.get(status) ?? setNew(byStatus, status, tally(this.#requestTallies, { endpoint, model, backend, status }));
    count.total++;
    this.latency.observe(series.latency, seconds);
  }

  /** The token, cost and cache counters of a model (a configured name, or '' for none). */
  modelTallies(model: string): ModelTallies {
    let tallies = this.#modelTallies.get(model);
    if (tallies === undefined) {
      tallies = {
        promptTokens: tally(this.#tokenTallies, { model, kind: 'prompt' }),
        completionTokens: tally(this.#tokenTallies, { model, kind: 'completion' }),
        costUsd: tally(this.#costTallies, { model }),
        cacheHits: { exact: tally(this.#cacheHitTallies, { model, cache: 'exact' }), semantic: tally(this.#cacheHitTallies, { model, cache: 'semantic' }) },
        savedUsd: tally(this.#savedTallies, { model }),
        ttft: this.ttft.series({ model }),
      };
      this.#modelTallies.set(model, tallies);
    }
    return tallies;
  }

  constructor(backends: () => Iterable<BackendGaugeSource>) {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry, prefix: 'archway_process_' });
    this.#requestTallies = talliedCounter({ name: 'archway_requests_total', help: 'Requests by endpoint, model, serving backend and HTTP status', labelNames: ['endpoint', 'model', 'backend', 'status'], registers });
    this.latency = new TalliedHistogram({ name: 'archway_request_duration_seconds', help: 'Time from request to last byte', buckets: LATENCY_BUCKETS, registers });
    this.ttft = new TalliedHistogram({ name: 'archway_time_to_first_token_seconds', help: 'Streams: time from request to the first generated token', buckets: LATENCY_BUCKETS, registers });
    this.#tokenTallies = talliedCounter({ name: 'archway_tokens_total', help: 'Tokens by model and kind (prompt, completion)', labelNames: ['model', 'kind'], registers });
    this.retries = new Counter({ name: 'archway_retries_total', help: 'Attempts that failed and led to a retry or failover', labelNames: ['model', 'backend', 'reason'], registers });
    this.#costTallies = talliedCounter({ name: 'archway_cost_usd_total', help: 'Spend upstream in USD, from the price table', labelNames: ['model'], registers });
    this.#cacheHitTallies = talliedCounter({ name: 'archway_cache_hits_total', help: 'Requests answered by a cache (exact, semantic)', labelNames: ['model', 'cache'], registers });
    this.#savedTallies = talliedCounter({ name: 'archway_cache_saved_usd_total', help: 'What cache hits would have cost upstream', labelNames: ['model'], registers });
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


function setNew<K, V>(map: Map<K, V>, key: K, value: V): V {
  map.set(key, value);
  return value;
}
