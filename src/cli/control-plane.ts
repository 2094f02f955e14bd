// What the control-plane commands of the CLI share: the stores of the configured data directory, and an audit
// trail of what the operator changed (the actor is the operating-system user and host, the CLI's only identity).
import { hostname, userInfo } from 'node:os';
import { loadConfig, resolveConfigPath } from '../config/load.ts';
import type { Attributes } from '../config/security-schema.ts';
import { databasePath, openDatabase } from '../stores/sqlite/database.ts';
import { SqliteKeyStore } from '../stores/sqlite/key-store.ts';
import { SqliteDirectoryStore } from '../stores/sqlite/directory-store.ts';
import { SqliteAuditLog } from '../stores/sqlite/audit-log-store.ts';
import { UsageError } from './usage-error.ts';

export interface ControlPlane {
  readonly keys: SqliteKeyStore;
  readonly directory: SqliteDirectoryStore;
  audit(action: string, target: string | null, detail?: Record<string, unknown>): Promise<void>;
  close(): void;
}

async function openControlPlane(configFlag: string | undefined): Promise<ControlPlane> {
  const { config } = await loadConfig(resolveConfigPath(configFlag, process.env));
  const db = openDatabase(databasePath(config.data_dir));
  const auditLog = new SqliteAuditLog(db);
  const actor = `cli:${safeUser()}@${hostname()}`;
  return {
    keys: new SqliteKeyStore(db),
    directory: new SqliteDirectoryStore(db),
    audit: async (action, target, detail) => {
      await auditLog.append({ actor, action, target, outcome: 'ok', detail: detail ?? null });
    },
    close: () => db.close(),
  };
}

/** Runs `use` on the control plane of the configured data directory, and closes it whatever happens. */
export async function withControlPlane<T>(configFlag: string | undefined, use: (cp: ControlPlane) => Promise<T>): Promise<T> {
  const cp = await openControlPlane(configFlag);
  try {
    return await use(cp);
  } finally {
    cp.close();
  }
}

function safeUser(): string {
  try {
    return userInfo().username;
  } catch {
    return 'unknown';
  }
}

/** `--attributes region=eu,data_classification=confidential` → an object, or a usage error naming the option. */
export function parseAttributes(text: string | undefined): Attributes | undefined {
  if (text === undefined) return undefined;
  const out: Attributes = {};
  for (const pair of text.split(',').map((p) => p.trim()).filter(Boolean)) {
    const eq = pair.indexOf('=');
    const name = pair.slice(0, eq).trim();
    const value = pair.slice(eq + 1).trim();
    if (eq <= 0 || value === '' || !/^[A-Za-z0-9_.-]+$/.test(name)) {
      throw new UsageError(`--attributes: expected name=value pairs separated by commas, got "${pair}"`);
    }
    out[name] = value;
  }
  return out;
}
