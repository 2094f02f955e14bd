// The security sections of the config: identities (OIDC), failed-authentication throttling, TLS, attribute policies,
// the limits of the constrained API, and encryption of stored content. Split from schema.ts to keep each readable.
import { Type, type Static } from '@sinclair/typebox';
import { StringEnum } from './schema-helpers.ts';

export const ROLES = ['admin', 'operator', 'team-admin', 'developer', 'app', 'auditor'] as const;
export const RoleName = StringEnum([...ROLES]);

/** Attributes of keys, teams, users and backends: plain string values, e.g. `region: eu`. */
export const AttributesSchema = Type.Record(Type.String({ minLength: 1, pattern: '^[A-Za-z0-9_.-]+$' }), Type.String({ minLength: 1 }));

/** A condition on attributes: each named attribute must equal the value, or one of the values. */
export const AttributeMatchSchema = Type.Record(
  Type.String({ minLength: 1, pattern: '^[A-Za-z0-9_.-]+$' }),
  Type.Union([Type.String({ minLength: 1 }), Type.Array(Type.String({ minLength: 1 }), { minItems: 1 })]),
);

export const OidcSchema = Type.Object(
  {
    issuer: Type.String({ minLength: 1, description: 'the exact `iss` of accepted tokens' }),
    audience: Type.Union([Type.String({ minLength: 1 }), Type.Array(Type.String({ minLength: 1 }), { minItems: 1 })], {
      description: 'accepted `aud` values',
    }),
    jwks_url: Type.String({ minLength: 1, description: 'where the signing keys are published' }),
    algorithms: Type.Array(StringEnum(['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA']), {
      minItems: 1,
      default: ['RS256', 'ES256', 'PS256', 'EdDSA'],
    }),
    clock_skew_s: Type.Integer({ minimum: 0, maximum: 600, default: 60, description: 'tolerance on exp and nbf' }),
    claims: Type.Object(
      {
        subject: Type.String({ minLength: 1, default: 'sub' }),
        name: Type.String({ minLength: 1, default: 'name' }),
        team: Type.String({ minLength: 1, default: 'team', description: 'claim holding the team name' }),
        roles: Type.String({ minLength: 1, default: 'roles', description: 'claim holding a role or a list of them' }),
        attributes: Type.Record(Type.String({ minLength: 1 }), Type.String({ minLength: 1 }), {
          default: {},
          description: 'attribute name -> claim name, e.g. region: geo',
        }),
      },
      { additionalProperties: false, default: {} },
    ),
    role_map: Type.Record(Type.String({ minLength: 1 }), RoleName, {
      default: {},
      description: 'role claim value -> Archway role; values that are Archway role names map to themselves',
    }),
    default_role: Type.Optional(RoleName),
  },
  { additionalProperties: false },
);

export const BruteForceSchema = Type.Object(
  {
    window_s: Type.Integer({ minimum: 1, default: 60, description: 'failures are counted per client address over this window' }),
    slow_after: Type.Integer({ minimum: 1, default: 5, description: 'failures after which answers are delayed' }),
    delay_ms: Type.Integer({ minimum: 0, maximum: 10_000, default: 500, description: 'delay per failure beyond slow_after' }),
    block_after: Type.Integer({ minimum: 1, default: 20, description: 'failures after which the client is refused (429)' }),
    block_s: Type.Integer({ minimum: 1, default: 300 }),
  },
  { additionalProperties: false, default: {} },
);

export const AuthSchema = Type.Object(
  {
    oidc: Type.Optional(OidcSchema),
    brute_force: BruteForceSchema,
  },
  { additionalProperties: false, default: {} },
);

export const TlsSchema = Type.Object(
  {
    cert_file: Type.String({ minLength: 1 }),
    key_file: Type.String({ minLength: 1 }),
    client_ca_file: Type.Optional(Type.String({ minLength: 1, description: 'CA bundle that signs client certificates (mutual TLS)' })),
    client_certificates: StringEnum(['none', 'optional', 'require'], {
      default: 'none',
      description: 'require: every caller shows a certificate signed by client_ca_file',
    }),
  },
  { additionalProperties: false },
);

/** The constrained API: what a key or team may send. Keys and teams override these defaults field by field. */
export const ApiLimitsSchema = Type.Object(
  {
    max_tokens: Type.Optional(Type.Integer({ minimum: 1, description: 'ceiling on max_tokens / max_completion_tokens' })),
    max_messages: Type.Optional(Type.Integer({ minimum: 1 })),
    max_body_bytes: Type.Optional(Type.Integer({ minimum: 1 })),
    allowed_params: Type.Optional(
      Type.Array(Type.String({ minLength: 1 }), { description: 'top-level body fields that may pass; model and messages/input always do' }),
    ),
    disallowed_params: StringEnum(['reject', 'drop'], { default: 'reject', description: 'what happens to the others' }),
  },
  { additionalProperties: false, default: {} },
);

export const PolicySchema = Type.Object(
  {
    name: Type.String({ minLength: 1, pattern: '^[A-Za-z0-9_.-]+$' }),
    description: Type.Optional(Type.String()),
    when: Type.Optional(AttributeMatchSchema),
    models: Type.Optional(Type.Array(Type.String({ minLength: 1 }), { minItems: 1, description: 'the only models these callers may use' })),
    backends: Type.Optional(AttributeMatchSchema),
  },
  { additionalProperties: false },
);

export const ContentStorageSchema = Type.Object(
  {
    store: Type.Boolean({ default: false, description: 'keep request and response bodies, encrypted (AES-256-GCM)' }),
    retention_days: Type.Optional(Type.Integer({ minimum: 1, description: 'stored content older than this is deleted' })),
    key_file: Type.Optional(
      Type.String({ minLength: 1, description: 'keys, one base64 32-byte key per line, the current one first (else ARCHWAY_ENCRYPTION_KEY)' }),
    ),
  },
  { additionalProperties: false, default: {} },
);

export type Role = Static<typeof RoleName>;
export type Attributes = Static<typeof AttributesSchema>;
export type AttributeMatch = Static<typeof AttributeMatchSchema>;
export type OidcConfig = Static<typeof OidcSchema>;
export type BruteForcePolicy = Static<typeof BruteForceSchema>;
export type TlsConfig = Static<typeof TlsSchema>;
export type ApiLimits = Static<typeof ApiLimitsSchema>;
export type Policy = Static<typeof PolicySchema>;
export type ContentStorage = Static<typeof ContentStorageSchema>;
