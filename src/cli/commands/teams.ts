// `archway teams create|list`: the organisation's teams (tenants). Keys and users belong to one; a team's attributes
// and limits apply to all of them.
import { parseArgs } from 'node:util';
import { DuplicateNameError } from '../../stores/directory-store.ts';
import { openControlPlane, parseAttributes } from '../control-plane.ts';
import { UsageError } from '../usage-error.ts';

export async function teamsCommand(argv: string[]): Promise<void> {
  const [action, ...rest] = argv;
  let parsed;
  try {
    parsed = parseArgs({
      args: rest,
      allowPositionals: true,
      strict: true,
      options: { attributes: { type: 'string' }, config: { type: 'string', short: 'c' }, json: { type: 'boolean' } },
    });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const { values, positionals } = parsed;
  if (action === 'create') {
    const name = positionals[0];
    if (!name || !/^[A-Za-z0-9_.-]+$/.test(name)) throw new UsageError('teams create needs a NAME of letters, digits, "_", "." or "-"');
    const attributes = parseAttributes(values.attributes);
    const cp = await openControlPlane(values.config);
    try {
      const team = await cp.directory.createTeam({ name, attributes }).catch((err: unknown) => {
        throw err instanceof DuplicateNameError ? new UsageError(err.message) : err;
      });
      await cp.audit('team.create', team.id, { name, attributes: team.attributes });
      process.stdout.write(values.json ? `${JSON.stringify(team)}\n` : `created team ${team.name} (${team.id})\n`);
    } finally {
      cp.close();
    }
    return;
  }
  if (action === 'list') {
    const cp = await openControlPlane(values.config);
    try {
      const teams = await cp.directory.listTeams();
      if (values.json) process.stdout.write(`${JSON.stringify(teams)}\n`);
      else for (const t of teams) process.stdout.write(`${t.id}  ${t.name}  ${Object.entries(t.attributes).map(([k, v]) => `${k}=${v}`).join(',')}\n`);
      if (!values.json && teams.length === 0) process.stdout.write('no teams\n');
    } finally {
      cp.close();
    }
    return;
  }
  throw new UsageError('usage: archway teams create NAME [--attributes k=v,…] | teams list');
}
