// `archway keys create|list|revoke`: manages API keys in the data directory's database. A running gateway picks
// the change up within a second.
import { parseArgs } from 'node:util';
import { loadConfig, resolveConfigPath } from '../../config/load.ts';
import { databasePath, openDatabase } from '../../stores/sqlite/database.ts';
import { SqliteKeyStore } from '../../stores/sqlite/key-store.ts';
import type { KeyRole } from '../../stores/key-store.ts';
import { UsageError } from '../usage-error.ts';

const ROLES: readonly KeyRole[] = ['admin', 'operator', 'team-admin', 'developer', 'app', 'auditor'];

/** "30d", "12h", "90m" → ms. */
export function parseDuration(text: string): number {
  const match = /^(\d+)\s*([smhdw])$/.exec(text.trim());
  if (!match) throw new UsageError(`--expires-in: expected a duration like 30d, 12h or 90m, got "${text}"`);
  const unit = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 }[match[2] as 's' | 'm' | 'h' | 'd' | 'w'];
  return Number(match[1]) * unit;
}

async function openStore(configFlag: string | undefined): Promise<{ store: SqliteKeyStore; close: () => void }> {
  const { config } = await loadConfig(resolveConfigPath(configFlag, process.env));
  const db = openDatabase(databasePath(config.data_dir));
  return { store: new SqliteKeyStore(db), close: () => db.close() };
}

export async function keysCommand(argv: string[]): Promise<void> {
  const [action, ...rest] = argv;
  let parsed;
  try {
    parsed = parseArgs({
      args: rest,
      allowPositionals: true,
      strict: true,
      options: {
        name: { type: 'string' },
        models: { type: 'string' },
        role: { type: 'string' },
        'expires-in': { type: 'string' },
        config: { type: 'string', short: 'c' },
        json: { type: 'boolean' },
      },
    });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const { values, positionals } = parsed;
  if (action === 'create') {
    if (!values.name) throw new UsageError('keys create needs --name NAME');
    const role = (values.role ?? 'app') as KeyRole;
    if (!ROLES.includes(role)) throw new UsageError(`--role must be one of ${ROLES.join(', ')}`);
    const models = values.models ? values.models.split(',').map((m) => m.trim()).filter(Boolean) : null;
    const expiresAt = values['expires-in'] ? Date.now() + parseDuration(values['expires-in']) : null;
    const { store, close } = await openStore(values.config);
    try {
      const { record, secret } = await store.create({ name: values.name, role, models, expiresAt });
      if (values.json) process.stdout.write(`${JSON.stringify({ id: record.id, name: record.name, role, key: secret })}\n`);
      else process.stdout.write(`created key ${record.id} (${record.name}, role ${role}${models ? `, models ${models.join(',')}` : ''})\n${secret}\nThis key is shown once: store it now.\n`);
    } finally {
      close();
    }
    return;
  }
  if (action === 'list') {
    const { store, close } = await openStore(values.config);
    try {
      const keys = await store.list();
      if (values.json) {
        process.stdout.write(`${JSON.stringify(keys.map(({ hash: _hash, ...rest }) => rest))}\n`);
        return;
      }
      for (const k of keys) {
        const state = k.revokedAt ? 'revoked' : k.expiresAt && k.expiresAt <= Date.now() ? 'expired' : 'active';
        process.stdout.write(`${k.id}  ${k.prefix}…  ${k.name}  ${k.role}  ${state}  models=${k.models?.join(',') ?? '*'}  created=${new Date(k.createdAt).toISOString()}\n`);
      }
      if (keys.length === 0) process.stdout.write('no keys\n');
    } finally {
      close();
    }
    return;
  }
  if (action === 'revoke') {
    const target = positionals[0];
    if (!target) throw new UsageError('keys revoke needs a key id or prefix');
    const { store, close } = await openStore(values.config);
    try {
      if (!(await store.revoke(target))) throw new UsageError(`no active key with id or prefix "${target}"`);
      process.stdout.write(`revoked ${target}\n`);
    } finally {
      close();
    }
    return;
  }
  throw new UsageError('usage: archway keys create --name N [--models a,b] | keys list | keys revoke ID');
}
