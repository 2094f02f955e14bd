// The `archway` command. Each subcommand lives in its own file under commands/; this file only dispatches and turns
// errors into messages and exit codes (2 for a usage mistake or an invalid config, 1 for anything else).
import { ConfigError } from '../config/config-error.ts';
import { CommandFailed, UsageError } from './usage-error.ts';

const HELP = `Usage: archway <command> [options]

Commands:
  start                 run the gateway (config: --config, ARCHWAY_CONFIG, ./archway.yaml, else the quickstart)
  check-config [FILE]   validate a config file and say what is wrong, with the path of each problem
  keys create --name N [--team T] [--role R] [--models a,b] [--expires 30d] [--attributes k=v,…]
              [--budget-usd 5 --budget-period day] [--alert-at 0.8] [--rpm 60] [--tpm 20000]
  keys quota ID [--budget-usd …] [--rpm …] [--tpm …] [--clear]   show or change a key's budget and rate limits
  keys list             list keys (never the keys themselves)
  keys revoke ID|PREFIX revoke a key
  keys rotate ID [--grace 24h]   a new key; the old one stays valid for the grace period
  teams create NAME [--attributes k=v,…]
  teams list
  teams budget NAME --usd 100 [--period month] [--alert-at 0.8]   a team's budget (teams quota NAME --rpm/--tpm too)
  audit verify          check the audit log's hash chain; exit 1 naming the first tampered entry
  audit export [--since DATE] [--until DATE]   the audit log as NDJSON, hashes included
  guard check [--policy NAME] [--stage input|output]   JSON lines {"text": …} in, one verdict per line out
  redteam --model NAME [--url U] [--key K]   attacks and benign prompts through a running gateway, scored per category
  cost-model SCENARIO.yaml [--json]   a month's cost per model from expected volume (examples/cost-scenario.yaml)
  cost-model --from-logs [--days N] [--json]   the same, projected from the traffic of the last N days
  report usage [--by day,key,team,model] [--days N] [--team T] [--key ID] [--model M] [--json]
  report utilization [--days N] [--json]   each backend's use of its capacity; flags idle and saturated ones
  encryption rotate     re-encrypt stored content under the current key
  encryption generate-key
  simulate [--port N]   run the simulated model endpoint on its own (see archway simulate --help)

Environment: ARCHWAY_HOST, ARCHWAY_PORT, ARCHWAY_DATA_DIR, ARCHWAY_CONFIG, ARCHWAY_ADMIN_KEY, ARCHWAY_ENCRYPTION_KEY.
`;

type Command = (argv: string[]) => Promise<void>;

const COMMANDS: Readonly<Record<string, () => Promise<Command>>> = {
  start: async () => (await import('./commands/start.ts')).startCommand,
  'check-config': async () => (await import('./commands/check-config.ts')).checkConfigCommand,
  keys: async () => (await import('./commands/keys.ts')).keysCommand,
  teams: async () => (await import('./commands/teams.ts')).teamsCommand,
  audit: async () => (await import('./commands/audit.ts')).auditCommand,
  redteam: async () => (await import('./commands/redteam.ts')).redteamCommand,
  guard: async () => (await import('./commands/guard.ts')).guardCommand,
  encryption: async () => (await import('./commands/encryption.ts')).encryptionCommand,
  simulate: async () => (await import('./commands/simulate.ts')).simulateCommand,
  'cost-model': async () => (await import('./commands/cost-model.ts')).costModelCommand,
  report: async () => (await import('./commands/report.ts')).reportCommand,
};

async function main(argv: string[]): Promise<void> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(HELP);
    return;
  }
  const load = COMMANDS[name];
  if (load === undefined) throw new UsageError(`unknown command "${name}"; run \`archway --help\` for the list`);
  await (await load())(rest);
}

main(process.argv.slice(2)).catch((err: unknown) => {
  if (err instanceof UsageError || err instanceof ConfigError) {
    process.stderr.write(`archway: ${err.message}\n`);
    process.exitCode = 2;
    return;
  }
  const detail = err instanceof CommandFailed ? err.message : err instanceof Error ? (err.stack ?? err.message) : String(err);
  process.stderr.write(`archway: ${detail}\n`);
  process.exitCode = 1;
});
