// The guardrails section of the config: named guardrails (a detector, its settings, the stages it runs on and what
// happens when it finds something), policies that list them, and which callers and models each policy applies to.
// A config that says nothing gets the default policy: PII in prompts flagged, credentials masked both ways, prompt
// injection blocked (and PII and credentials are always removed from anything stored, whatever the policy).
import { Type, type Static } from '@sinclair/typebox';
import { StringEnum } from './schema-helpers.ts';

export const LOCAL_GUARDRAIL_TYPES = ['pii', 'secrets', 'prompt_injection', 'word_list', 'profanity'] as const;
/** Guardrails that judge a whole answer against its request (non-streamed answers). */
export const ANSWER_GUARDRAIL_TYPES = ['system_prompt_echo', 'json_schema'] as const;
/** Guardrails that call a service: what only a model can judge. */
export const REMOTE_GUARDRAIL_TYPES = ['azure_content_safety', 'azure_prompt_shields', 'openai_moderation', 'llm_judge', 'presidio', 'azure_pii'] as const;
export const GUARDRAIL_TYPES = [...LOCAL_GUARDRAIL_TYPES, ...ANSWER_GUARDRAIL_TYPES, ...REMOTE_GUARDRAIL_TYPES] as const;

const Name = Type.String({ minLength: 1, pattern: '^[A-Za-z0-9_.-]+$' });

export const GuardrailSchema = Type.Object(
  {
    type: StringEnum([...GUARDRAIL_TYPES]),
    action: StringEnum(['block', 'redact', 'flag'], { default: 'flag' }),
    stages: Type.Array(StringEnum(['input', 'output']), { minItems: 1, default: ['input', 'output'] }),
    threshold: Type.Number({ minimum: 0, maximum: 1, default: 0.5, description: 'findings scoring below this are ignored' }),
    pii_types: Type.Optional(Type.Array(Type.String({ minLength: 1 }), { minItems: 1, description: 'pii: which kinds (default: all)' })),
    default_country: Type.Optional(Type.String({ pattern: '^[A-Z]{2}$', description: 'pii: how to read phone numbers without a country code' })),
    words: Type.Optional(Type.Array(Type.String({ minLength: 1 }), { description: 'word_list: words and phrases to find' })),
    reversible: Type.Boolean({ default: false, description: 'redact on input: mask for the model, restore the values in the answer' }),
    on_error: StringEnum(['fail-closed', 'fail-open'], { default: 'fail-closed', description: 'when the guardrail itself fails or times out' }),
    endpoint: Type.Optional(Type.String({ minLength: 1, description: 'remote guardrails: the service base URL (llm_judge: an OpenAI-compatible /v1 URL)' })),
    api_key: Type.Optional(Type.String({ description: 'remote guardrails: the service key' })),
    model: Type.Optional(Type.String({ minLength: 1, description: 'openai_moderation and llm_judge: the model to ask' })),
    timeout_ms: Type.Integer({ minimum: 1, maximum: 60_000, default: 2_000, description: 'remote guardrails: longest wait for the service' }),
    severity: Type.Integer({ minimum: 0, maximum: 7, default: 4, description: 'azure_content_safety: the lowest severity that counts' }),
  },
  { additionalProperties: false },
);

const DEFAULT_DEFINITIONS = {
  pii: { type: 'pii', action: 'flag', stages: ['input'], threshold: 0.5, on_error: 'fail-closed', timeout_ms: 2_000, severity: 4, reversible: false },
  secrets: { type: 'secrets', action: 'redact', stages: ['input', 'output'], threshold: 0.5, on_error: 'fail-closed', timeout_ms: 2_000, severity: 4, reversible: false },
  prompt_injection: { type: 'prompt_injection', action: 'block', stages: ['input'], threshold: 0.5, on_error: 'fail-closed', timeout_ms: 2_000, severity: 4, reversible: false },
};

export const GuardrailsSchema = Type.Object(
  {
    definitions: Type.Record(Name, GuardrailSchema, { default: DEFAULT_DEFINITIONS }),
    policies: Type.Record(Name, Type.Array(Name), { default: { default: ['pii', 'secrets', 'prompt_injection'] } }),
    attach: Type.Array(
      Type.Object(
        {
          policy: Name,
          models: Type.Optional(Type.Array(Type.String({ minLength: 1 }), { minItems: 1 })),
          teams: Type.Optional(Type.Array(Type.String({ minLength: 1 }), { minItems: 1 })),
          keys: Type.Optional(Type.Array(Type.String({ minLength: 1 }), { minItems: 1 })),
        },
        { additionalProperties: false },
      ),
      { default: [], description: 'the first entry matching model, team (name) and key (id) picks the policy; else "default"' },
    ),
  },
  { additionalProperties: false, default: {} },
);

export type GuardrailConfig = Static<typeof GuardrailSchema>;
export type GuardrailsConfig = Static<typeof GuardrailsSchema>;
