// The config file's schema: the one source of both the validation at start and the TypeScript types. Every
// default lives here, so a config that passes validation is complete and the rest of the code never guesses.
import { Type, type Static, type TObject, type TPartial, type TProperties, type TSchema } from '@sinclair/typebox';
import { StringEnum } from './schema-helpers.ts';
import { GuardrailsSchema } from './guardrails-schema.ts';
import { ApiLimitsSchema, AttributesSchema, AuthSchema, ContentStorageSchema, PolicySchema, TlsSchema } from './security-schema.ts';
import { CacheSchema, CapacitySchema, PriceSchema, PricingSchema, QuotasSchema, StateSchema } from './cost-schema.ts';

const Millis = (def: number, description: string) => Type.Integer({ minimum: 1, default: def, description });

function withoutDefault<S extends TSchema>(schema: S): S {
  const { default: _default, ...rest } = schema;
  return rest as S;
}

/**
 * A per-model or per-backend override of a global policy: every field optional and, unlike Type.Partial alone, no
 * defaults. Ajv fills defaults even into optional fields, so with them an override object appeared on every model
 * and backend, complete with the schema's defaults, and `{ ...global, ...override }` threw away the global settings.
 */
function Overrides<T extends TProperties>(schema: TObject<T>): TPartial<TObject<T>> {
  const partial = withoutDefault(Type.Partial(schema, { additionalProperties: false }));
  const properties = partial.properties as Record<string, TSchema>;
  for (const key of Object.keys(properties)) properties[key] = withoutDefault(properties[key]!);
  return partial;
}

export const RetrySchema = Type.Object(
  {
    max_attempts: Type.Integer({ minimum: 1, maximum: 10, default: 3, description: 'attempts in all, first one included' }),
    base_delay_ms: Type.Integer({ minimum: 0, default: 100 }),
    max_delay_ms: Type.Integer({ minimum: 0, default: 2000 }),
    deadline_ms: Millis(60_000, 'no new attempt starts after this long since the request arrived'),
  },
  { additionalProperties: false, default: {} },
);

export const TimeoutsSchema = Type.Object(
  {
    connect_ms: Millis(5_000, 'TCP/TLS connect to an upstream'),
    first_byte_ms: Millis(60_000, 'from sending the request to the response headers'),
    idle_ms: Millis(30_000, 'longest gap between two body chunks, streams included'),
    total_ms: Millis(600_000, 'one attempt, start to last byte'),
  },
  { additionalProperties: false, default: {} },
);

export const CircuitBreakerSchema = Type.Object(
  {
    consecutive_failures: Type.Integer({ minimum: 1, default: 5 }),
    failure_rate: Type.Number({ exclusiveMinimum: 0, maximum: 1, default: 0.5 }),
    min_requests: Type.Integer({ minimum: 1, default: 20, description: 'the rate counts only with this many calls in the window' }),
    window_ms: Millis(30_000, 'rolling window for the failure rate'),
    open_ms: Millis(30_000, 'how long an open circuit refuses before a half-open probe'),
    half_open_probes: Type.Integer({ minimum: 1, default: 1 }),
  },
  { additionalProperties: false, default: {} },
);

export const ReliabilitySchema = Type.Object(
  {
    retry: RetrySchema,
    timeouts: TimeoutsSchema,
    circuit_breaker: CircuitBreakerSchema,
  },
  { additionalProperties: false, default: {} },
);

const FaultRate = Type.Number({ minimum: 0, maximum: 1, default: 0 });

export const SimulatorFaultsSchema = Type.Object(
  {
    error_rate: { ...FaultRate, description: 'share of requests answered with error_status' },
    error_status: Type.Integer({ minimum: 400, maximum: 599, default: 500 }),
    rate_limit_rate: { ...FaultRate, description: 'share answered 429 with Retry-After' },
    retry_after_s: Type.Number({ minimum: 0, default: 1 }),
    reset_rate: { ...FaultRate, description: 'share whose connection is reset before any response' },
    cut_stream_rate: { ...FaultRate, description: 'share of streams cut mid-way, before [DONE]' },
    hang_rate: { ...FaultRate, description: 'share that never answer' },
  },
  { additionalProperties: false, default: {} },
);

export const SimulatorSchema = Type.Object(
  {
    latency_ms: Type.Integer({ minimum: 0, default: 0, description: 'before the response or the first chunk' }),
    tokens_per_second: Type.Number({ minimum: 0, default: 0, description: '0: as fast as possible' }),
    chunk_tokens: Type.Integer({ minimum: 1, default: 1, description: 'tokens per stream chunk' }),
    completion_tokens: Type.Integer({ minimum: 1, default: 16, description: 'length of an answer when max_tokens allows' }),
    embedding_dimensions: Type.Integer({ minimum: 1, maximum: 8192, default: 256 }),
    stream_usage: Type.Boolean({ default: true, description: 'false: ignore stream_options.include_usage, as some servers do' }),
    faults: SimulatorFaultsSchema,
  },
  { additionalProperties: false, default: {} },
);

export const PROVIDERS = ['openai', 'azure-openai', 'anthropic', 'simulator'] as const;
export const ProviderName = StringEnum([...PROVIDERS]);

export const BackendSchema = Type.Object(
  {
    name: Type.Optional(Type.String({ minLength: 1, pattern: '^[A-Za-z0-9._:/-]+$', description: 'shown in x-archway-backend' })),
    provider: ProviderName,
    base_url: Type.Optional(Type.String({ minLength: 1, description: 'http(s) URL; OpenAI-style ones end in /v1' })),
    api_key: Type.Optional(Type.String()),
    model: Type.Optional(Type.String({ minLength: 1, description: "the upstream's model name (Azure: the deployment)" })),
    api_version: Type.Optional(Type.String({ minLength: 1, description: 'Azure OpenAI api-version' })),
    headers: Type.Optional(Type.Record(Type.String(), Type.String())),
    priority: Type.Integer({ minimum: 0, default: 0, description: 'lower is tried first' }),
    weight: Type.Number({ minimum: 0, default: 1 }),
    max_concurrency: Type.Integer({ minimum: 1, default: 256, description: 'bulkhead: requests in flight at once' }),
    max_queue: Type.Optional(Type.Integer({ minimum: 0, description: 'bulkhead: waiting requests (default: max_concurrency)' })),
    queue_timeout_ms: Type.Integer({ minimum: 1, default: 5_000 }),
    max_connections: Type.Optional(Type.Integer({ minimum: 1, description: 'upstream connection pool size' })),
    timeouts: Type.Optional(Overrides(TimeoutsSchema)),
    circuit_breaker: Type.Optional(Overrides(CircuitBreakerSchema)),
    // No default here (Ajv would give every backend, an OpenAI one too, a simulator block); semantic checks fill
    // the defaults in for simulator backends.
    simulator: Type.Optional(withoutDefault(SimulatorSchema)),
    attributes: Type.Optional(AttributesSchema),
    allow_insecure_http: Type.Boolean({ default: false, description: 'permit a plain http:// base_url that is not on loopback' }),
    ca_file: Type.Optional(Type.String({ minLength: 1, description: "CA bundle to verify this upstream's certificate (private CAs)" })),
    pricing: Type.Optional({ ...PriceSchema, description: "this backend's price, when it differs from the model's (another provider, a negotiated rate)" }),
    capacity: Type.Optional(CapacitySchema),
  },
  { additionalProperties: false },
);

const ROUTING: ['priority', 'weighted', 'least-busy'] = ['priority', 'weighted', 'least-busy'];
export const RoutingStrategy = StringEnum(ROUTING);

export const ModelSchema = Type.Object(
  {
    routing: Type.Optional(RoutingStrategy),
    retry: Type.Optional(Overrides(RetrySchema)),
    version: Type.Optional(Type.String({ minLength: 1, description: 'change it when the model behind the name changes: cached answers of other versions are not served' })),
    backends: Type.Array(BackendSchema, { minItems: 1 }),
  },
  { additionalProperties: false },
);

export const ConfigSchema = Type.Object(
  {
    server: Type.Object(
      {
        host: Type.String({ minLength: 1, default: '127.0.0.1' }),
        port: Type.Integer({ minimum: 0, maximum: 65535, default: 8080 }),
        max_body_bytes: Type.Integer({ minimum: 1024, default: 4 * 1024 * 1024 }),
        shutdown_timeout_ms: Millis(30_000, 'SIGTERM: how long in-flight requests may drain'),
        keep_alive_timeout_ms: Millis(65_000, 'idle client connections'),
        tls: Type.Optional(TlsSchema),
      },
      { additionalProperties: false, default: {} },
    ),
    data_dir: Type.String({ minLength: 1, default: './data' }),
    logging: Type.Object(
      {
        level: StringEnum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], { default: 'info' }),
        requests: Type.Boolean({ default: false, description: 'one log line per request (the request log always has a row)' }),
        content: ContentStorageSchema,
      },
      { additionalProperties: false, default: {} },
    ),
    routing: StringEnum(ROUTING, {
      default: 'priority',
      description: 'the strategy of models that name none',
    }),
    reliability: ReliabilitySchema,
    auth: AuthSchema,
    limits: ApiLimitsSchema,
    guardrails: GuardrailsSchema,
    policies: Type.Array(PolicySchema, { default: [], description: 'attribute rules on who may reach which models and backends' }),
    pricing: PricingSchema,
    quotas: QuotasSchema,
    state: Type.Optional(StateSchema),
    cache: CacheSchema,
    models: Type.Record(Type.String({ minLength: 1 }), ModelSchema),
  },
  { additionalProperties: false },
);

export type Config = Static<typeof ConfigSchema>;
export type ModelConfig = Static<typeof ModelSchema>;
export type BackendConfig = Static<typeof BackendSchema>;
export type ProviderKind = Static<typeof ProviderName>;
export type RoutingStrategyName = Static<typeof RoutingStrategy>;
export type RetryPolicy = Static<typeof RetrySchema>;
export type Timeouts = Static<typeof TimeoutsSchema>;
export type CircuitBreakerPolicy = Static<typeof CircuitBreakerSchema>;
export type SimulatorSettings = Static<typeof SimulatorSchema>;
export type SimulatorFaults = Static<typeof SimulatorFaultsSchema>;
