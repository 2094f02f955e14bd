// `archway teams create|list`: the organisation's teams (tenants). Keys and users belong to one; a team's attributes
// and limits apply to all of them.
import { DuplicateNameError } from '../../stores/directory-store.ts';
import { parseAttributes, withControlPlane } from '../control-plane.ts';
import { parseCommandLine, UsageError } from '../usage-error.ts';
import { describeQuota, QUOTA_OPTIONS, quotaFromOptions } from '../quota-options.ts';

export async function teamsCommand(argv: string[]): Promise<void> {
  const [action, ...rest] = argv;
  const { values, positionals } = parseCommandLine({
    args: rest,
    allowPositionals: true,
    strict: true,
    options: { attributes: { type: 'string' }, config: { type: 'string', short: 'c' }, json: { type: 'boolean' }, clear: { type: 'boolean' }, ...QUOTA_OPTIONS },
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
  if (action === 'budget' || action === 'quota') {
    // `teams budget T --usd 100 --period month` and `teams quota T --rpm 600 --tpm 100000`: one quota, set field by field.
    const name = positionals[0];
    if (!name) throw new UsageError(`teams ${action} needs a team name`);
    await withControlPlane(values.config, async (cp) => {
      const team = await cp.directory.team(name);
      if (team === undefined) throw new UsageError(`no team "${name}"; create it with \`archway teams create ${name}\``);
      const quota = values.clear ? null : quotaFromOptions(values, team.quota);
      if (quota === undefined) throw new UsageError(`teams ${action} needs --usd N [--period day|week|month] [--alert-at 0.8], --rpm N, --tpm N or --clear`);
      await cp.directory.setTeamQuota(team.id, quota);
      await cp.audit('team.quota', team.id, { quota });
      process.stdout.write(values.json ? `${JSON.stringify({ id: team.id, name: team.name, quota })}\n` : `team ${team.name}: ${describeQuota(quota)}\n`);
    });
    return;
  }
  throw new UsageError('usage: archway teams create NAME [--attributes k=v,…] | teams list | teams budget NAME --usd N [--period month] [--alert-at 0.8] | teams quota NAME [--rpm N] [--tpm N] [--clear]');
}
