// The identities the gateway accepts, held in memory: keys looked up by hash (one SHA-256 and one Map lookup per
// request, no database on the hot path), teams for their attributes and limits, and users of the identity provider
// by subject. The index follows the stores (changes by the CLI, the admin API or another replica) by polling one
// version counter every `refreshMs`.
import { hashKey, type ApiKeyRecord, type KeyStore } from '../stores/key-store.ts';
import type { DirectoryStore, TeamRecord, UserRecord } from '../stores/directory-store.ts';
import type { Logger } from '../observability/logger.ts';
import { mergeLimits, type Principal } from './principal.ts';

interface Entry {
  readonly principal: Principal;
  readonly expiresAt: number | null;
}

export type KeyLookup = { principal: Principal } | { refused: 'unknown' | 'expired' };

export const ENV_ADMIN_KEY_ID = 'env-admin';

function keyPrincipal(record: ApiKeyRecord, team: TeamRecord | undefined): Principal {
  return {
    keyId: record.id,
    kind: 'key',
    name: record.name,
    role: record.role,
    teamId: record.teamId,
    teamName: team?.name ?? null,
    models: record.models === null ? null : new Set(record.models),
    attributes: team ? { ...team.attributes, ...record.attributes } : record.attributes,
    limits: mergeLimits(team?.limits ?? null, record.limits),
    keyQuota: record.quota,
    teamQuota: team?.quota ?? null,
  };
}

export class KeyIndex {
  readonly #keys: KeyStore;
  readonly #directory: DirectoryStore;
  readonly #log: Logger;
  readonly #adminHash: string | undefined;
  #byHash = new Map<string, Entry>();
  #teamsById = new Map<string, TeamRecord>();
  #teamsByName = new Map<string, TeamRecord>();
  #usersBySubject = new Map<string, UserRecord>();
  #version = -1;
  #timer: NodeJS.Timeout | undefined;

  constructor(keys: KeyStore, directory: DirectoryStore, log: Logger, adminKey: string | undefined) {
    this.#keys = keys;
    this.#directory = directory;
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
    const version = await this.#keys.version();
    if (version === this.#version) return;
    const teams = await this.#directory.listTeams();
    const teamsById = new Map(teams.map((t) => [t.id, t]));
    const next = new Map<string, Entry>();
    for (const record of await this.#keys.list()) {
      if (record.revokedAt !== null) continue;
      const team = record.teamId === null ? undefined : teamsById.get(record.teamId);
      next.set(record.hash, { principal: keyPrincipal(record, team), expiresAt: record.expiresAt });
    }
    if (this.#adminHash) {
      next.set(this.#adminHash, {
        principal: { keyId: ENV_ADMIN_KEY_ID, kind: 'key', name: 'ARCHWAY_ADMIN_KEY', role: 'admin', teamId: null, teamName: null, models: null, attributes: {}, limits: null, keyQuota: null, teamQuota: null },
        expiresAt: null,
      });
    }
    const users = await this.#directory.listUsers();
    this.#byHash = next;
    this.#teamsById = teamsById;
    this.#teamsByName = new Map(teams.map((t) => [t.name, t]));
    this.#usersBySubject = new Map(users.map((u) => [u.subject, u]));
    this.#version = version;
  }

  lookup(secret: string, now: number = Date.now()): KeyLookup {
    // Constant-time by construction: the secret is never compared, only its SHA-256, so how long a lookup takes says
    // nothing about how close a guess came to a stored key.
    const entry = this.#byHash.get(hashKey(secret));
    if (entry === undefined) return { refused: 'unknown' };
    if (entry.expiresAt !== null && entry.expiresAt <= now) return { refused: 'expired' };
    return { principal: entry.principal };
  }

  /** Changes whenever keys, teams or users change: identities derived from them are stale after it moves. */
  get version(): number {
    return this.#version;
  }

  team(idOrName: string): TeamRecord | undefined {
    return this.#teamsById.get(idOrName) ?? this.#teamsByName.get(idOrName);
  }

  user(subject: string): UserRecord | undefined {
    return this.#usersBySubject.get(subject);
  }
}
