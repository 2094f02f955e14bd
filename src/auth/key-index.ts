// The keys the data plane accepts, held in memory and looked up by hash: one SHA-256 and one Map lookup per request,
// no database on the hot path. The index follows the store (keys created or revoked by the CLI or another process)
// by polling its version, a single-row read, every `refreshMs`.
import { hashKey, type ApiKeyRecord, type KeyStore } from '../stores/key-store.ts';
import type { Logger } from '../observability/logger.ts';
import type { Principal } from './principal.ts';

interface Entry {
  readonly principal: Principal;
  readonly expiresAt: number | null;
}

export type KeyLookup = { principal: Principal } | { refused: 'unknown' | 'expired' };

export const ENV_ADMIN_KEY_ID = 'env-admin';

function toPrincipal(record: ApiKeyRecord): Principal {
  return {
    keyId: record.id,
    name: record.name,
    role: record.role,
    teamId: record.teamId,
    models: record.models === null ? null : new Set(record.models),
  };
}

export class KeyIndex {
  readonly #store: KeyStore;
  readonly #log: Logger;
  readonly #adminHash: string | undefined;
  #byHash = new Map<string, Entry>();
  #version = -1;
  #timer: NodeJS.Timeout | undefined;

  constructor(store: KeyStore, log: Logger, adminKey: string | undefined) {
    this.#store = store;
    this.#log = log;
    this.#adminHash = adminKey ? hashKey(adminKey) : undefined;
  }

  /** Loads the keys now and then keeps following the store. */
  async start(refreshMs: number): Promise<void> {
    await this.refresh();
    this.#timer = setInterval(() => void this.refresh().catch((err: unknown) => this.#log.error({ err }, 'key refresh failed')), refreshMs);
    this.#timer.unref();
  }

  stop(): void {
    clearInterval(this.#timer);
  }

  async refresh(): Promise<void> {
    const version = await this.#store.version();
    if (version === this.#version) return;
    const next = new Map<string, Entry>();
    for (const record of await this.#store.list()) {
      if (record.revokedAt !== null) continue;
      next.set(record.hash, { principal: toPrincipal(record), expiresAt: record.expiresAt });
    }
    if (this.#adminHash) {
      next.set(this.#adminHash, {
        principal: { keyId: ENV_ADMIN_KEY_ID, name: 'ARCHWAY_ADMIN_KEY', role: 'admin', teamId: null, models: null },
        expiresAt: null,
      });
    }
    this.#byHash = next;
    this.#version = version;
  }

  lookup(secret: string, now: number = Date.now()): KeyLookup {
    // Looking up a hash, not comparing secrets, leaves no timing signal about how much of a guess was right.
    const entry = this.#byHash.get(hashKey(secret));
    if (entry === undefined) return { refused: 'unknown' };
    if (entry.expiresAt !== null && entry.expiresAt <= now) return { refused: 'expired' };
    return { principal: entry.principal };
  }
}
