// The cost-model scenario file (`archway cost-model SCENARIO.yaml`): expected volume, the model mix, and optionally a
// provisioned commitment to weigh against pay-as-you-go. examples/cost-scenario.yaml is a commented example.
// Like the config's schema, it is the one source of both validation (with defaults) and the TypeScript types.
import { Type, type Static } from '@sinclair/typebox';
import { PriceSchema } from '../config/cost-schema.ts';

const Share = (description: string, def?: number) =>
  Type.Number({ minimum: 0, maximum: 1, description, ...(def === undefined ? {} : { default: def }) });
const Tokens = (description: string) => Type.Integer({ minimum: 0, description });

export const ModelShareSchema = Type.Object(
  {
    model: Type.String({ minLength: 1, description: 'a model name of the shipped price table, or any name with a price' }),
    share: Share('part of all requests that go to this model; the shares of all models add up to 1'),
    input_tokens: Type.Optional(Tokens('prompt tokens per request (default: the top-level input_tokens)')),
    output_tokens: Type.Optional(Tokens('completion tokens per request, reasoning included (default: the top-level output_tokens)')),
    cached_input_share: Type.Optional(Share("part of the prompt tokens read from the provider's prompt cache, billed at cached_input (default 0)")),
    cache_hit_rate: Type.Optional(Share("this model's gateway cache hit rate (default: the top-level cache_hit_rate)")),
    price: Type.Optional({ ...PriceSchema, description: 'USD per 1M tokens (default: the shipped price table, src/metering/prices.ts)' }),
  },
  { additionalProperties: false },
);

export const ProvisionedSchema = Type.Object(
  {
    model: Type.Optional(Type.String({ minLength: 1, description: 'the model of the mix it serves (default: the whole mix)' })),
    units: Type.Integer({ minimum: 1, description: 'units committed (PTUs, GPUs, model units…)' }),
    unit_monthly_usd: Type.Number({ minimum: 0, description: 'what one unit costs per month, used or not' }),
    tokens_per_minute_per_unit: Type.Number({ exclusiveMinimum: 0, description: 'tokens in and out one unit serves per minute' }),
    peak_factor: Type.Number({
      minimum: 1,
      default: 2,
      description: "the busiest minute's tokens over the average minute's: capacity must carry the peak, not the average",
    }),
  },
  { additionalProperties: false },
);

export const ScenarioSchema = Type.Object(
  {
    name: Type.Optional(Type.String({ minLength: 1 })),
    days_per_month: Type.Number({ exclusiveMinimum: 0, maximum: 31, default: 30 }),
    users: Type.Optional(Type.Integer({ minimum: 0, description: 'with requests_per_user_per_day; or give requests_per_day' })),
    requests_per_user_per_day: Type.Optional(Type.Number({ minimum: 0 })),
    requests_per_day: Type.Optional(Type.Number({ minimum: 0, description: 'all users together; or give users and requests_per_user_per_day' })),
    input_tokens: Type.Optional(Tokens('prompt tokens per request, for models that give none')),
    output_tokens: Type.Optional(Tokens('completion tokens per request, for models that give none')),
    cache_hit_rate: Share('part of requests the gateway cache answers: they cost nothing upstream', 0),
    models: Type.Array(ModelShareSchema, { minItems: 1 }),
    provisioned: Type.Optional(ProvisionedSchema),
  },
  { additionalProperties: false },
);

export type ScenarioFile = Static<typeof ScenarioSchema>;
export type ModelShare = Static<typeof ModelShareSchema>;
export type Provisioned = Static<typeof ProvisionedSchema>;
