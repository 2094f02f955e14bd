// API keys. Only a hash of each key is stored: the key itself is shown once, when it is created. Keys are 192 bits
// of randomness, so a fast hash (SHA-256) is enough: there is nothing to brute-force that a slow hash would protect.
import { createHash, randomBytes } from 'node:crypto';

/** Roles as the security model names them; the data plane admits all of them, the control plane is for admin. */
export type KeyRole = 'admin' | 'operator' | 'team-admin' | 'developer' | 'app' | 'auditor';

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
}

export interface KeyStore {
  /** Creates a key; the secret is returned this once and never stored. */
  create(input: NewKey): Promise<{ record: ApiKeyRecord; secret: string }>;
  list(): Promise<ApiKeyRecord[]>;
  /** Revokes by id or by the full key's prefix; false when nothing matched. */
  revoke(idOrPrefix: string): Promise<boolean>;
  /** A value that changes whenever keys change, cheap to read, so a server can refresh its in-memory index. */
  version(): Promise<number>;
}

const KEY_PREFIX = 'sk-archway-';

export function generateKeySecret(): string {
  return KEY_PREFIX + randomBytes(24).toString('base64url');
}

export function hashKey(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

export function displayPrefix(secret: string): string {
  return secret.slice(0, KEY_PREFIX.length + 6);
}

export function newKeyId(): string {
  return `key_${randomBytes(8).toString('hex')}`;
}
