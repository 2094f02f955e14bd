// One backend of one model: where requests go (a pooled HTTP client), how they are shaped (its provider adapter),
// and the reliability state that guards it (its circuit breaker and bulkhead).
import { Pool } from 'undici';
import { upstreamTlsOptions } from '../config/upstream-transport-checks.ts';
import type { BackendConfig, CircuitBreakerPolicy, Timeouts } from '../config/schema.ts';
import type { BackendTarget, ProviderAdapter } from '../providers/adapter.ts';
import { Bulkhead } from '../reliability/bulkhead.ts';
import { CIRCUIT_STATE_VALUE, CircuitBreaker } from '../reliability/circuit-breaker.ts';
import type { Routable } from '../reliability/routing-strategy.ts';
import type { BackendGaugeSource } from '../observability/metrics.ts';
import type { ListedPrice } from '../metering/prices.ts';

export interface BackendSpec {
  readonly modelName: string;
  readonly config: BackendConfig;
  /** The URL requests go to (for an embedded simulator, the one it listens on). */
  readonly baseUrl: string;
  readonly adapter: ProviderAdapter;
  readonly timeouts: Timeouts;
  readonly breakerPolicy: CircuitBreakerPolicy;
  /** What its tokens cost (undefined: no price known, so its requests have no cost). */
  readonly price: ListedPrice | undefined;
}

export class Backend implements Routable, BackendGaugeSource {
  readonly model: string;
  readonly name: string;
  /** `model/name`: the same on every replica with the same config. */
  readonly id: string;
  readonly provider: string;
  readonly adapter: ProviderAdapter;
  readonly target: BackendTarget;
  readonly origin: string;
  readonly pool: Pool;
  readonly breaker: CircuitBreaker;
  readonly bulkhead: Bulkhead;
  readonly timeouts: Timeouts;
  readonly priority: number;
  readonly weight: number;
  /** For attribute policies, e.g. {region: "eu-west", provider_trust: "internal"}. */
  readonly attributes: Readonly<Record<string, string>>;
  /** Same fingerprint after a reload: the backend is kept, with its connections and its breaker's memory. */
  readonly fingerprint: string;
  readonly price: ListedPrice | undefined;
  /** Its streams came without usage although asked: the gateway counts their tokens itself. */
  streamsLackUsage = false;

  constructor(spec: BackendSpec) {
    const c = spec.config;
    const url = new URL(spec.baseUrl);
    this.model = spec.modelName;
    this.name = c.name!;
    this.id = `${spec.modelName}/${this.name}`;
    this.provider = c.provider;
    this.adapter = spec.adapter;
    this.origin = url.origin;
    this.target = {
      upstreamModel: c.model!,
      basePath: url.pathname.replace(/\/+$/, ''),
      apiKey: c.api_key,
      apiVersion: c.api_version,
      headers: c.headers,
    };
    this.timeouts = spec.timeouts;
    this.priority = c.priority;
    this.weight = c.weight;
    this.attributes = c.attributes ?? {};
    this.price = spec.price;
    this.fingerprint = JSON.stringify([spec.modelName, c, spec.baseUrl, spec.timeouts, spec.breakerPolicy, spec.price]);
    this.breaker = new CircuitBreaker(spec.breakerPolicy);
    this.bulkhead = new Bulkhead({
      maxConcurrent: c.max_concurrency,
      maxQueue: c.max_queue ?? c.max_concurrency,
      queueTimeoutMs: c.queue_timeout_ms,
    });
    this.pool = new Pool(this.origin, {
      connections: c.max_connections ?? c.max_concurrency,
      pipelining: 1,
      keepAliveTimeout: 60_000,
      // Certificates are always verified; a private CA is added with ca_file, never by turning verification off.
      connect: { timeout: spec.timeouts.connect_ms, ...upstreamTlsOptions(c) },
      headersTimeout: spec.timeouts.first_byte_ms,
      bodyTimeout: spec.timeouts.idle_ms,
    });
  }

  get inFlight(): number {
    return this.bulkhead.inFlight;
  }

  get queued(): number {
    return this.bulkhead.queued;
  }

  get capacity(): number {
    return this.bulkhead.limits.maxConcurrent;
  }

  canAttempt(): boolean {
    return this.breaker.canAttempt();
  }

  circuitState(): number {
    return CIRCUIT_STATE_VALUE[this.breaker.state];
  }

  /** Closes the connections once the requests still using them are done. */
  async close(): Promise<void> {
    await this.pool.close();
  }
}
