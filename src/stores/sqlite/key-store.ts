// API keys in SQLite.
import type { DatabaseSync, StatementSync } from 'node:sqlite';
import type { Quota } from '../../config/cost-schema.ts';
import { displayPrefix, generateKeySecret, hashKey, newKeyId, type ApiKeyRecord, type KeyRole, type KeyStore, type LimitsOverride, type NewKey } from '../key-store.ts';

interface KeyRow {
  id: string;
  name: string;
  prefix: string;
  hash: string;
  role: string;
  team_id: string | null;
  models: string | null;
  attributes: string;
  limits: string | null;
  quota: string | null;
  owner: string | null;
  created_at: number;
  expires_at: number | null;
  revoked_at: number | null;
}

function toRecord(row: KeyRow): ApiKeyRecord {
  return {
    id: row.id,
    name: row.name,
    prefix: row.prefix,
    hash: row.hash,
    role: row.role as KeyRole,
    teamId: row.team_id,
    models: row.models === null ? null : (JSON.parse(row.models) as string[]),
    attributes: JSON.parse(row.attributes) as Record<string, string>,
    limits: row.limits === null ? null : (JSON.parse(row.limits) as LimitsOverride),
    quota: row.quota === null ? null : (JSON.parse(row.quota) as Quota),
    owner: row.owner,
    createdAt: row.created_at,
    expiresAt: row.expires_at,
    revokedAt: row.revoked_at,
  };
}

export class SqliteKeyStore implements KeyStore {
  readonly #insert: StatementSync;
  readonly #list: StatementSync;
  readonly #revoke: StatementSync;
  readonly #version: StatementSync;
  readonly #get: StatementSync;
  readonly #expire: StatementSync;
  readonly #setQuota: StatementSync;
  readonly #db: DatabaseSync;

  constructor(db: DatabaseSync) {
    this.#db = db;
    this.#insert = db.prepare(
      `INSERT INTO api_keys (id, name, prefix, hash, role, team_id, models, attributes, limits, quota, owner, created_at, expires_at, revoked_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL)`,
    );
    this.#get = db.prepare('SELECT * FROM api_keys WHERE id = ? AND revoked_at IS NULL');
    this.#expire = db.prepare('UPDATE api_keys SET expires_at = ? WHERE id = ?');
    this.#setQuota = db.prepare('UPDATE api_keys SET quota = ? WHERE id = ? AND revoked_at IS NULL');
    // rowid, not id, breaks ties: ids are random, so keys created in the same millisecond listed in random order.
    this.#list = db.prepare('SELECT * FROM api_keys ORDER BY created_at, rowid');
    this.#revoke = db.prepare('UPDATE api_keys SET revoked_at = ? WHERE (id = ? OR prefix = ?) AND revoked_at IS NULL');
    this.#version = db.prepare("SELECT value FROM meta WHERE name = 'keys_version'");
  }

  async create(input: NewKey): Promise<{ record: ApiKeyRecord; secret: string }> {
    const secret = generateKeySecret();
    const record: ApiKeyRecord = {
      id: newKeyId(),
      name: input.name,
      prefix: displayPrefix(secret),
      hash: hashKey(secret),
      role: input.role ?? 'app',
      teamId: input.teamId ?? null,
      models: input.models ?? null,
      attributes: input.attributes ?? {},
      limits: input.limits ?? null,
      quota: input.quota ?? null,
      owner: input.owner ?? null,
      createdAt: Date.now(),
      expiresAt: input.expiresAt ?? null,
      revokedAt: null,
    };
    this.#insert.run(
      record.id,
      record.name,
      record.prefix,
      record.hash,
      record.role,
      record.teamId,
      record.models === null ? null : JSON.stringify(record.models),
      JSON.stringify(record.attributes),
      record.limits === null ? null : JSON.stringify(record.limits),
      record.quota === null ? null : JSON.stringify(record.quota),
      record.owner,
      record.createdAt,
      record.expiresAt,
    );
    return { record, secret };
  }

  async rotate(id: string, graceMs: number): Promise<{ record: ApiKeyRecord; secret: string } | undefined> {
    this.#db.exec('BEGIN IMMEDIATE');
    try {
      const row = this.#get.get(id) as KeyRow | undefined;
      if (row === undefined) {
        this.#db.exec('ROLLBACK');
        return undefined;
      }
      const old = toRecord(row);
      const created = await this.create({ ...old, models: old.models, expiresAt: old.expiresAt });
      const graceEnd = Date.now() + graceMs;
      this.#expire.run(old.expiresAt === null ? graceEnd : Math.min(old.expiresAt, graceEnd), id);
      this.#db.exec('COMMIT');
      return created;
    } catch (err) {
      this.#db.exec('ROLLBACK');
      throw err;
    }
  }

  async list(): Promise<ApiKeyRecord[]> {
    return (this.#list.all() as unknown as KeyRow[]).map(toRecord);
  }

  async revoke(idOrPrefix: string): Promise<boolean> {
    const result = this.#revoke.run(Date.now(), idOrPrefix, idOrPrefix);
    return Number(result.changes) > 0;
  }

  async setQuota(id: string, quota: Quota | null): Promise<boolean> {
    return Number(this.#setQuota.run(quota === null ? null : JSON.stringify(quota), id).changes) > 0;
  }

  async version(): Promise<number> {
    return (this.#version.get() as { value: number }).value;
  }
}
