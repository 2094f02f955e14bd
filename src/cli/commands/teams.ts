// `archway teams create|list`: the organisation's teams (tenants). Keys and users belong to one; a team's attributes
// and limits apply to all of them.
import { DuplicateNameError } from '../../stores/directory-store.ts';
import { parseAttributes, withControlPlane } from '../control-plane.ts';
import { parseCommandLine, UsageError } from '../usage-error.ts';

export async function teamsCommand(argv: string[]): Promise<void> {
  const [action, ...rest] = argv;
  const { values, positionals } = parseCommandLine({
    args: rest,
    allowPositionals: true,
    strict: true,
    options: { attributes: { type: 'string' }, config: { type: 'string', short: 'c' }, json: { type: 'boolean' } },
  });
  if (action === 'create') {
    const name = positionals[0];
    if (!name || !/^[A-Za-z0-9_.-]+$/.test(name)) throw new UsageError('teams create needs a NAME of letters, digits, "_", "." or "-"');
    const attributes = parseAttributes(values.attributes);
    await withControlPlane(values.config, async (cp) => {
      const team = await cp.directory.createTeam({ name, attributes }).catch((err: unknown) => {
        throw err instanceof DuplicateNameError ? new UsageError(err.message) : err;
      });
      await cp.audit('team.create', team.id, { name, attributes: team.attributes });
      process.stdout.write(values.json ? `${JSON.stringify(team)}\n` : `created team ${team.name} (${team.id})\n`);
    });
    return;
  }
  if (action === 'list') {
    await withControlPlane(values.config, async (cp) => {
      const teams = await cp.directory.listTeams();
      if (values.json) process.stdout.write(`${JSON.stringify(teams)}\n`);
      else for (const t of teams) process.stdout.write(`${t.id}  ${t.name}  ${Object.entries(t.attributes).map(([k, v]) => `${k}=${v}`).join(',')}\n`);
      if (!values.json && teams.length === 0) process.stdout.write('no teams\n');
    });
    return;
  }
  throw new UsageError('usage: archway teams create NAME [--attributes k=v,…] | teams list');
}
