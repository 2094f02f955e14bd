// `archway keys create|list|revoke|rotate`: manages API keys in the data directory's database, each change audited.
// A running gateway picks the change up within a second.
import { ROLES } from '../../config/security-schema.ts';
import type { KeyRole } from '../../stores/key-store.ts';
import { parseAttributes, withControlPlane } from '../control-plane.ts';
import { parseCommandLine, UsageError } from '../usage-error.ts';
import { parseDuration } from '../duration.ts';
import { describeQuota, QUOTA_OPTIONS, quotaFromOptions } from '../quota-options.ts';


/** A duration option ("30d") in ms, or a usage error naming the option. */
export function durationOption(option: string, text: string): number {
  try {
    return parseDuration(text);
  } catch (err) {
    throw new UsageError(`--${option}: ${(err as Error).message}`);
  }
}

export async function keysCommand(argv: string[]): Promise<void> {
  const [action, ...rest] = argv;
  const { values, positionals } = parseCommandLine({
    args: rest,
    allowPositionals: true,
    strict: true,
    options: {
      name: { type: 'string' },
      models: { type: 'string' },
      role: { type: 'string' },
      team: { type: 'string' },
      attributes: { type: 'string' },
      expires: { type: 'string' },
      'expires-in': { type: 'string' },
      grace: { type: 'string' },
      config: { type: 'string', short: 'c' },
      json: { type: 'boolean' },
      clear: { type: 'boolean' },
      ...QUOTA_OPTIONS,
    },
  });
  if (action === 'create') {
    const name = values.name;
    if (!name) throw new UsageError('keys create needs --name NAME');
    const role = (values.role ?? 'app') as KeyRole;
    if (!ROLES.includes(role)) throw new UsageError(`--role must be one of ${ROLES.join(', ')}`);
    const models = values.models ? values.models.split(',').map((m) => m.trim()).filter(Boolean) : null;
    const expires = values.expires ?? values['expires-in'];
    const expiresAt = expires ? Date.now() + durationOption('expires', expires) : null;
    const attributes = parseAttributes(values.attributes);
    const quota = quotaFromOptions(values) ?? null;
    await withControlPlane(values.config, async (cp) => {
      let teamId: string | null = null;
      if (values.team) {
        const team = await cp.directory.team(values.team);
        if (team === undefined) throw new UsageError(`no team "${values.team}"; create it with \`archway teams create ${values.team}\``);
        teamId = team.id;
      }
      const { record, secret } = await cp.keys.create({ name, role, teamId, models, expiresAt, attributes, quota });
      await cp.audit('key.create', record.id, { name: record.name, role, team_id: teamId, models, quota });
      if (values.json) process.stdout.write(`${JSON.stringify({ id: record.id, name: record.name, role, team_id: teamId, key: secret })}\n`);
      else process.stdout.write(`created key ${record.id} (${record.name}, role ${role}${values.team ? `, team ${values.team}` : ''}${models ? `, models ${models.join(',')}` : ''}${quota ? `; ${describeQuota(quota)}` : ''})\n${secret}\nThis key is shown once: store it now.\n`);
    });
    return;
  }
  if (action === 'list') {
    await withControlPlane(values.config, async (cp) => {
      const keys = await cp.keys.list();
      if (values.json) {
        process.stdout.write(`${JSON.stringify(keys.map(({ hash: _hash, ...rest }) => rest))}\n`);
        return;
      }
      for (const k of keys) {
        const state = k.revokedAt ? 'revoked' : k.expiresAt && k.expiresAt <= Date.now() ? 'expired' : 'active';
        process.stdout.write(`${k.id}  ${k.prefix}…  ${k.name}  ${k.role}  team=${k.teamId ?? '-'}  ${state}  models=${k.models?.join(',') ?? '*'}  created=${new Date(k.createdAt).toISOString()}\n`);
      }
      if (keys.length === 0) process.stdout.write('no keys\n');
    });
    return;
  }
  if (action === 'revoke') {
    const target = positionals[0];
    if (!target) throw new UsageError('keys revoke needs a key id or prefix');
    await withControlPlane(values.config, async (cp) => {
      if (!(await cp.keys.revoke(target))) throw new UsageError(`no active key with id or prefix "${target}"`);
      await cp.audit('key.revoke', target);
      process.stdout.write(`revoked ${target}\n`);
    });
    return;
  }
  if (action === 'quota') {
    const target = positionals[0];
    if (!target) throw new UsageError('keys quota needs a key id');
    await withControlPlane(values.config, async (cp) => {
      const record = (await cp.keys.list()).find((k) => k.id === target && k.revokedAt === null);
      if (record === undefined) throw new UsageError(`no active key with id "${target}"`);
      const quota = values.clear ? null : (quotaFromOptions(values, record.quota) ?? record.quota);
      if (quota !== record.quota) {
        await cp.keys.setQuota(record.id, quota);
        await cp.audit('key.quota', record.id, { quota });
      }
      process.stdout.write(values.json ? `${JSON.stringify({ id: record.id, quota })}\n` : `${record.id} (${record.name}): ${describeQuota(quota)}\n`);
    });
    return;
  }
  if (action === 'rotate') {
    const target = positionals[0];
    if (!target) throw new UsageError('keys rotate needs a key id');
    const graceMs = durationOption('grace', values.grace ?? '24h');
    await withControlPlane(values.config, async (cp) => {
      const rotated = await cp.keys.rotate(target, graceMs);
      if (rotated === undefined) throw new UsageError(`no active key with id "${target}"`);
      await cp.audit('key.rotate', target, { new_key: rotated.record.id, grace_ms: graceMs });
      if (values.json) process.stdout.write(`${JSON.stringify({ id: rotated.record.id, replaces: target, key: rotated.secret })}\n`);
      else process.stdout.write(`rotated ${target}: new key ${rotated.record.id}; the old one stays valid for ${values.grace ?? '24h'}\n${rotated.secret}\nThis key is shown once: store it now.\n`);
    });
    return;
  }
  throw new UsageError(
    'usage: archway keys create --name N [--team T] [--role R] [--models a,b] [--expires 30d] [--attributes k=v,…] [--budget-usd 5 --budget-period day] [--rpm 60] [--tpm 20000]' +
      ' | keys list | keys revoke ID | keys rotate ID [--grace 24h] | keys quota ID [--budget-usd …] [--rpm …] [--tpm …] [--clear]',
  );
}
