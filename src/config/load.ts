// Reads, interpolates, validates and freezes the config. Validation happens here once; everything downstream gets a
// complete, frozen Config and never re-checks it. A reload (SIGHUP) goes through the same function and swaps the
// whole object, so a request in flight keeps the config it started with.
import { readFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { parseDocument } from 'yaml';
import { compile } from '../validation/compile.ts';
import { ConfigSchema, type Config } from './schema.ts';
import { ConfigError, type ConfigProblem } from './config-error.ts';
import { interpolate, InterpolationError } from './interpolate.ts';
import { QUICKSTART_YAML } from './quickstart.ts';
import { semanticProblems } from './semantic-checks.ts';

const validateConfig = compile<Config>(ConfigSchema, { coerceScalars: true });

export interface LoadedConfig {
  readonly config: Config;
  /** The file it came from, or "quickstart". */
  readonly source: string;
}

/** The config file to use: `--config`, then ARCHWAY_CONFIG, then ./archway.yaml if it exists, else the quickstart. */
export function resolveConfigPath(flag: string | undefined, env: NodeJS.ProcessEnv): string | undefined {
  if (flag) return flag;
  if (env.ARCHWAY_CONFIG) return env.ARCHWAY_CONFIG;
  return existsSync('archway.yaml') ? 'archway.yaml' : undefined;
}

export async function loadConfig(path: string | undefined, env: NodeJS.ProcessEnv = process.env): Promise<LoadedConfig> {
  if (path === undefined) return { config: parseConfig(QUICKSTART_YAML, 'quickstart', env), source: 'quickstart' };
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new ConfigError(path, [{ path: '', message: `cannot be read: ${(err as Error).message}` }]);
  }
  return { config: parseConfig(text, path, env), source: path };
}

export function parseConfig(text: string, source: string, env: NodeJS.ProcessEnv = process.env): Config {
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    // The first line of a pretty error ends in ":" before an excerpt of the file that is not kept: drop the colon.
    throw new ConfigError(source, doc.errors.map((e) => ({ path: '', message: `YAML: ${e.message.split('\n')[0]!.replace(/:$/, '')}` })));
  }
  let raw: unknown = doc.toJS({ maxAliasCount: 100 }) ?? {};
  try {
    raw = interpolate(raw, env);
  } catch (err) {
    if (err instanceof InterpolationError) throw new ConfigError(source, [{ path: err.path, message: err.message }]);
    throw err;
  }
  const problems: ConfigProblem[] = applyEnvironment(raw, env);
  if (!validateConfig(raw)) problems.push(...validateConfig.errors());
  else problems.push(...semanticProblems(raw));
  if (problems.length > 0) throw new ConfigError(source, problems);
  return deepFreeze(raw as Config);
}

// ARCHWAY_HOST, ARCHWAY_PORT and ARCHWAY_DATA_DIR win over the file, so one file serves several environments.
function applyEnvironment(raw: unknown, env: NodeJS.ProcessEnv): ConfigProblem[] {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return [];
  const config = raw as Record<string, unknown>;
  const problems: ConfigProblem[] = [];
  // Only an absent or empty (`server:` with nothing under it) section is created here. Replacing any non-object, as
  // before, silently accepted a `server: 8080` typo, even with no variable set; now the schema reports it.
  if (config.server === undefined || config.server === null) config.server = {};
  const server = typeof config.server === 'object' && config.server !== null && !Array.isArray(config.server) ? (config.server as Record<string, unknown>) : {};
  if (env.ARCHWAY_HOST) server.host = env.ARCHWAY_HOST;
  if (env.ARCHWAY_PORT) {
    // Digits only: Number() alone takes " 80", "0x50", "8e3" and "80.0".
    const port = /^\d{1,5}$/.test(env.ARCHWAY_PORT) ? Number(env.ARCHWAY_PORT) : Number.NaN;
    if (port >= 0 && port <= 65535) server.port = port;
    else problems.push({ path: 'server.port', message: `ARCHWAY_PORT must be a port number from 0 to 65535, got "${env.ARCHWAY_PORT}"` });
  }
  if (env.ARCHWAY_DATA_DIR) config.data_dir = env.ARCHWAY_DATA_DIR;
  // `state: redis://…` is short for `state: { url: redis://… }`.
  if (typeof config.state === 'string') config.state = { url: config.state };
  return problems;
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const item of Object.values(value)) deepFreeze(item);
  }
  return value;
}
