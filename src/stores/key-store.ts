// API keys. Only a hash of each key is stored: the key itself is shown once, when it is created. Keys are 192 bits
// of randomness, so a fast hash (SHA-256) is enough: there is nothing to brute-force that a slow hash would protect.
import { hash, randomBytes } from 'node:crypto';
import type { ApiLimits, Attributes, Role } from '../config/security-schema.ts';
import type { Quota } from '../config/cost-schema.ts';

/** Roles as the security model names them (src/auth/permissions.ts says what each may do). */
export type KeyRole = Role;

/** Per key or team overrides of the config's `limits`, field by field. */
export type LimitsOverride = Partial<ApiLimits>;

export interface ApiKeyRecord {
  readonly id: string;
  readonly name: string;
  /** The first characters of the key, for people to tell keys apart in listings. */
  readonly prefix: string;
  readonly hash: string;
  readonly role: KeyRole;
  readonly teamId: string | null;
  /** Models this key may call; null for all. */
  readonly models: readonly string[] | null;
  /** Attributes for attribute-based policies, e.g. {"data_classification": "confidential"}. */
  readonly attributes: Readonly<Attributes>;
  readonly limits: LimitsOverride | null;
  /** Budget and rate limits of this key (set by the CLI or admin API); null: the config's, if any. */
  readonly quota: Quota | null;
  /** Who created it (a key id or `user:<id>`), null for the CLI and bootstrap: developers manage the keys they own. */
  readonly owner: string | null;
  readonly createdAt: number;
  readonly expiresAt: number | null;
  readonly revokedAt: number | null;
}

export interface NewKey {
  name: string;
  role?: KeyRole;
  teamId?: string | null;
  models?: readonly string[] | null;
  expiresAt?: number | null;
  attributes?: Readonly<Attributes>;
  limits?: LimitsOverride | null;
  quota?: Quota | null;
  owner?: string | null;
}

export interface KeyStore {
  /** Creates a key; the secret is returned this once and never stored. */
  create(input: NewKey): Promise<{ record: ApiKeyRecord; secret: string }>;
  list(): Promise<ApiKeyRecord[]>;
  /** Revokes by id or by the full key's prefix; false when nothing matched. */
  revoke(idOrPrefix: string): Promise<boolean>;
  /**
   * Rotation without downtime: a new key with the same settings, while the old one stays valid for `graceMs` more
   * (never longer than it already was). Undefined when no live key has that id.
   */
  rotate(id: string, graceMs: number): Promise<{ record: ApiKeyRecord; secret: string } | undefined>;
  /** Sets (or with null clears) a live key's quota; false when no live key has that id. */
  setQuota(id: string, quota: Quota | null): Promise<boolean>;
  /** A value that changes whenever keys change, cheap to read, so a server can refresh its in-memory index. */
  version(): Promise<number>;
}

const KEY_PREFIX = 'sk-archway-';

export function generateKeySecret(): string {
  return KEY_PREFIX + randomBytes(24).toString('base64url');
}

// One-shot crypto.hash: every request hashes its key, and it skips the Hash object createHash makes.
export function hashKey(secret: string): string {
  return hash('sha256', secret, 'hex');
}

export function displayPrefix(secret: string): string {
  return secret.slice(0, KEY_PREFIX.length + 6);
}

export function newKeyId(): string {
  return `key_${randomBytes(8).toString('hex')}`;
}
