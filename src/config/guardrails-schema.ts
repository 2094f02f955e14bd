// The guardrails section of the config: named guardrails (a detector, its settings, the stages it runs on and what
// happens when it finds something), policies that list them, and which callers and models each policy applies to.
// A config that says nothing gets the default policy: PII in prompts flagged, credentials masked both ways, prompt
// injection blocked (and PII and credentials are always removed from anything stored, whatever the policy).
import { Type, type Static } from '@sinclair/typebox';
import { StringEnum } from './schema-helpers.ts';

export const GUARDRAIL_TYPES = ['pii', 'secrets', 'prompt_injection', 'word_list', 'profanity'] as const;

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
    on_error: StringEnum(['fail-closed', 'fail-open'], { default: 'fail-closed', description: 'when the guardrail itself fails' }),
  },
  { additionalProperties: false },
);

const DEFAULT_DEFINITIONS = {
  pii: { type: 'pii', action: 'flag', stages: ['input'], threshold: 0.5, on_error: 'fail-closed' },
  secrets: { type: 'secrets', action: 'redact', stages: ['input', 'output'], threshold: 0.5, on_error: 'fail-closed' },
  prompt_injection: { type: 'prompt_injection', action: 'block', stages: ['input'], threshold: 0.5, on_error: 'fail-closed' },
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
