// `archway check-config [FILE]`: validates a config the way `start` would, without starting anything.
import { loadConfig, resolveConfigPath } from '../../config/load.ts';
import { UsageError } from '../usage-error.ts';

export async function checkConfigCommand(argv: string[]): Promise<void> {
  const args = argv.filter((a) => a !== '--config');
  if (args.length > 1) throw new UsageError('check-config takes one file');
  const path = args[0] ?? resolveConfigPath(undefined, process.env);
  if (path === undefined) throw new UsageError('no config file: give one (archway check-config FILE) or set ARCHWAY_CONFIG');
  const { config } = await loadConfig(path); // throws ConfigError listing every problem
  const models = Object.entries(config.models).map(([name, m]) => `${name} (${m.backends.length} backend${m.backends.length === 1 ? '' : 's'})`);
  process.stdout.write(`${path}: valid. Models: ${models.join(', ') || 'none'}\n`);
}
