// The live form of a config: its models with their ordered backends, ready to route. A reload builds a new Runtime
// and swaps it in whole; backends whose settings did not change carry over (connections, breaker and bulkhead
// state), and what the new runtime no longer uses is closed once requests still holding the old one finish.
import type { Config, ModelConfig, RetryPolicy, RoutingStrategyName } from '../config/schema.ts';
import { adapterFor } from '../providers/registry.ts';
import type { Operation } from '../providers/adapter.ts';
import { startSimulator, type SimulatorHandle } from '../providers/simulator/server.ts';
import { Backend } from './backend.ts';
import { AttributePolicies } from '../policy/attribute-policies.ts';
import { GuardrailPolicies } from '../guardrails/guardrail-policies.ts';
import { resolvePrice } from '../metering/pricing.ts';
import type { ListedPrice } from '../metering/prices.ts';

/** The worst case over backends (a request may be served by any of them); undefined when none has a price. */
function reservePriceOf(backends: readonly Backend[]): ListedPrice | undefined {
  const priced = backends.map((b) => b.price).filter((p) => p !== undefined);
  if (priced.length === 0) return undefined;
  const outputs = priced.map((p) => p.max_output_tokens).filter((n) => n !== undefined);
  return {
    input: Math.max(...priced.map((p) => p.input)),
    output: Math.max(...priced.map((p) => p.output)),
    ...(outputs.length > 0 ? { max_output_tokens: Math.max(...outputs) } : {}),
  };
}

export interface ModelRoute {
  readonly name: string;
  readonly strategy: RoutingStrategyName;
  readonly retry: RetryPolicy;
  readonly backends: readonly Backend[];
  /** The backends whose provider serves each operation, in config order. */
  readonly backendsFor: Readonly<Record<Operation, readonly Backend[]>>;
  /** The dearest input and output prices among its backends, and the longest answer: what a budget reserves. */
  readonly reservePrice: ListedPrice | undefined;
  /** Changes when the model behind the name changes (its `version`, or its backends' upstream models): caches key on it. */
  readonly version: string;
}

export class Runtime {
  readonly config: Config;
  readonly models: ReadonlyMap<string, ModelRoute>;
  readonly backends: readonly Backend[];
  /** By `Backend.id` (model/backend), as cool-downs from other replicas name them. */
  readonly backendsById: ReadonlyMap<string, Backend>;
  readonly simulators: ReadonlyMap<string, SimulatorHandle>;
  /** The config's attribute policies: which backends (and models) each caller may reach. */
  readonly policies: AttributePolicies;
  /** The config's guardrails and which requests meet which. */
  readonly guardrails: GuardrailPolicies;
  /** Requests that started on this runtime and have not finished: it is retired only when this reaches zero. */
  active = 0;

  constructor(config: Config, models: Map<string, ModelRoute>, simulators: Map<string, SimulatorHandle>) {
    this.config = config;
    this.models = models;
    this.backends = [...models.values()].flatMap((m) => m.backends);
    this.backendsById = new Map(this.backends.map((b) => [b.id, b]));
    this.simulators = simulators;
    this.policies = new AttributePolicies(config.policies);
    this.guardrails = new GuardrailPolicies(config.guardrails);
  }
}

function simulatorKey(model: string, backend: string, settings: unknown): string {
  return JSON.stringify([model, backend, settings]);
}

export async function buildRuntime(config: Config, previous?: Runtime): Promise<Runtime> {
  const oldBackends = new Map(previous?.backends.map((b) => [b.fingerprint, b]));
  const simulators = new Map<string, SimulatorHandle>();
  const models = new Map<string, ModelRoute>();
  for (const [name, model] of Object.entries(config.models) as [string, ModelConfig][]) {
    const backends: Backend[] = [];
    for (const b of model.backends) {
      let baseUrl = b.base_url;
      if (b.provider === 'simulator' && baseUrl === undefined) {
        // An embedded simulator: a real HTTP server on a loopback port, one per backend so faults stay separate.
        const key = simulatorKey(name, b.name!, b.simulator);
        const sim = previous?.simulators.get(key) ?? (await startSimulator(b.simulator!, { host: '127.0.0.1', port: 0 }));
        simulators.set(key, sim);
        baseUrl = `${sim.url}/v1`;
      }
      const backend = new Backend({
        modelName: name,
        config: b,
        baseUrl: baseUrl!,
        adapter: adapterFor(b.provider),
        timeouts: { ...config.reliability.timeouts, ...b.timeouts },
        breakerPolicy: { ...config.reliability.circuit_breaker, ...b.circuit_breaker },
        price: resolvePrice(b.pricing, config.pricing, name, b.model!),
      });
      const kept = oldBackends.get(backend.fingerprint);
      if (kept) void backend.close();
      backends.push(kept ?? backend);
    }
    models.set(name, {
      name,
      strategy: model.routing ?? config.routing,
      retry: { ...config.reliability.retry, ...model.retry },
      backends,
      backendsFor: {
        chat: backends.filter((b) => b.adapter.supports('chat')),
        embeddings: backends.filter((b) => b.adapter.supports('embeddings')),
      },
      reservePrice: reservePriceOf(backends),
      version: model.version ?? backends.map((b) => `${b.provider}:${b.target.upstreamModel}`).join(','),
    });
  }
  return new Runtime(config, models, simulators);
}

/** Closes what `old` holds that `next` does not reuse. Call once no request uses `old` any more. */
export async function retireRuntime(old: Runtime, next: Runtime | undefined): Promise<void> {
  const kept = new Set(next?.backends);
  const keptSims = new Set(next?.simulators.values());
  await Promise.all([
    ...old.backends.filter((b) => !kept.has(b)).map((b) => b.close()),
    ...[...old.simulators.values()].filter((s) => !keptSims.has(s)).map((s) => s.close()),
  ]);
}
