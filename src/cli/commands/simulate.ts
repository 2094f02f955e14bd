// `archway simulate`: runs the simulated model endpoint on its own, as the upstream of demos and load tests.
// Defaults come from the config schema so the CLI and a `provider: simulator` backend behave the same.
import { parseArgs } from 'node:util';
import { Value } from '@sinclair/typebox/value';
import { SimulatorSchema, type SimulatorSettings } from '../../config/schema.ts';
import { startSimulator } from '../../providers/simulator/server.ts';
import { UsageError } from '../usage-error.ts';

const HELP = `Usage: archway simulate [options]

Runs a simulated model endpoint speaking OpenAI (/v1), Azure OpenAI (/openai/deployments) and Anthropic
(/v1/messages). A request header x-simulator-fault: reset|hang|429|500|503|cut forces one fault.

Options:
  --port N                 port to listen on (default 18080; 0 picks a free one)
  --host H                 address to bind (default 127.0.0.1)
  --latency-ms N           wait before the response or the first chunk
  --tokens-per-second N    pace of generation (0: as fast as possible)
  --chunk-tokens N         tokens per stream chunk
  --completion-tokens N    length of an answer when max_tokens allows
  --error-rate R           share of requests answered with --error-status (0..1)
  --error-status N         status of those errors (400..599)
  --rate-limit-rate R      share answered 429 with Retry-After
  --reset-rate R           share whose connection is reset before any response
  --cut-stream-rate R      share of streams cut mid-way
  --hang-rate R            share that never answer
  --api-key K              require this key (Bearer, api-key or x-api-key per protocol)
  --help                   show this help
`;

/** Flags that set a simulator setting: the flag is the setting's name with dashes. */
const SETTING_FLAGS = ['latency-ms', 'tokens-per-second', 'chunk-tokens', 'completion-tokens'] as const;
const FAULT_FLAGS = ['error-rate', 'error-status', 'rate-limit-rate', 'reset-rate', 'cut-stream-rate', 'hang-rate'] as const;

const toKey = (flag: string): string => flag.replaceAll('-', '_');
const toFlag = (key: string): string => `--${key.replaceAll('_', '-')}`;

function numberFlag(flag: string, raw: string): number {
  const value = raw.trim() === '' ? Number.NaN : Number(raw);
  if (!Number.isFinite(value)) throw new UsageError(`--${flag}: expected a number, got "${raw}"`);
  return value;
}

/** The schema's defaults, validated, so the numbers live in one place. */
function defaultSettings(): SimulatorSettings {
  const settings = Value.Default(SimulatorSchema, {});
  if (!Value.Check(SimulatorSchema, settings)) throw new Error('the simulator schema defaults do not validate');
  return settings;
}

export interface SimulateArgs {
  readonly help: boolean;
  readonly host: string;
  readonly port: number;
  readonly apiKey: string | undefined;
  readonly settings: SimulatorSettings;
}

/** Parses and validates the flags; throws UsageError naming the flag at fault. */
export function parseSimulateArgs(argv: string[]): SimulateArgs {
  const stringOption = { type: 'string' } as const;
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        port: stringOption,
        host: stringOption,
        'api-key': stringOption,
        help: { type: 'boolean' },
        ...Object.fromEntries([...SETTING_FLAGS, ...FAULT_FLAGS].map((flag) => [flag, stringOption])),
      },
    }));
  } catch (err) {
    throw new UsageError(`${(err as Error).message}\nRun "archway simulate --help" for the options.`);
  }
  const str = (flag: string): string | undefined => {
    const value = values[flag];
    return typeof value === 'string' ? value : undefined;
  };

  const settings = defaultSettings();
  for (const flag of SETTING_FLAGS) {
    const raw = str(flag);
    if (raw !== undefined) Object.assign(settings, { [toKey(flag)]: numberFlag(flag, raw) });
  }
  for (const flag of FAULT_FLAGS) {
    const raw = str(flag);
    if (raw !== undefined) Object.assign(settings.faults, { [toKey(flag)]: numberFlag(flag, raw) });
  }
  if (!Value.Check(SimulatorSchema, settings)) {
    const first = Value.Errors(SimulatorSchema, settings).First();
    const key = first?.path.split('/').pop() ?? '';
    throw new UsageError(`${toFlag(key)}: ${first?.message ?? 'invalid value'}`);
  }

  const rawPort = str('port');
  const port = rawPort === undefined ? 18080 : numberFlag('port', rawPort);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`--port: expected 0..65535, got "${rawPort}"`);
  const host = str('host') ?? '127.0.0.1';
  if (host === '') throw new UsageError('--host: must not be empty');
  const apiKey = str('api-key');
  if (apiKey === '') throw new UsageError('--api-key: must not be empty');

  return { help: values['help'] === true, host, port, apiKey, settings };
}

/** Runs until SIGINT or SIGTERM, then closes the server and resolves. */
export async function simulateCommand(argv: string[]): Promise<void> {
  const args = parseSimulateArgs(argv);
  if (args.help) {
    process.stdout.write(HELP);
    return;
  }
  const handle = await startSimulator(args.settings, {
    host: args.host,
    port: args.port,
    ...(args.apiKey === undefined ? {} : { apiKey: args.apiKey }),
  });
  process.stdout.write(
    `archway simulator listening on ${handle.url} (OpenAI /v1, Azure /openai/deployments, Anthropic /v1/messages)\n`,
  );
  await new Promise<void>((resolve) => {
    const stop = (): void => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      void handle.close().then(resolve);
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}
