// `archway start`: runs the gateway until SIGTERM/SIGINT (drain, then exit) and reloads its config on SIGHUP.
import { flushCompileCache } from 'node:module';
import { loadConfig, resolveConfigPath } from '../../config/load.ts';
import { Gateway } from '../../server/gateway.ts';
import { parseCommandLine } from '../usage-error.ts';

function announce(url: string): (secret: string) => void {
  return (secret) => {
    process.stdout.write(
      [
        '',
        '  An admin API key was created for this gateway. It is shown this once; store it now:',
        '',
        `    ${secret}`,
        '',
        '  Try it:',
        `    curl ${url}/v1/chat/completions -H "Authorization: Bearer ${secret}" \\`,
        `      -H "Content-Type: application/json" -d '{"model":"gpt-4o-mini","messages":[{"role":"user","content":"Hello"}]}'`,
        '',
        '  Set ARCHWAY_ADMIN_KEY to use your own admin key instead; create app keys with `archway keys create --name NAME`.',
        '',
      ].join('\n') + '\n',
    );
  };
}

export async function startCommand(argv: string[]): Promise<void> {
  const { values } = parseCommandLine({ args: argv, options: { config: { type: 'string', short: 'c' } }, strict: true });
  const path = resolveConfigPath(values.config, process.env);
  const loaded = await loadConfig(path);
  // Shown once listening, so the curl line has the real address (port 0 picks one).
  let bootstrapKey: string | undefined;
  const starting = Gateway.start({ loaded, configPath: path, announceAdminKey: (secret) => (bootstrapKey = secret) });
  // Taken from before the gateway starts: it logs that it listens from inside start(), and a supervisor (or a test)
  // may signal it as soon as it reads that. A signal that comes while it starts waits for the start to end.
  process.on('SIGHUP', () => {
    starting
      .then((gateway) => gateway.reload())
      .catch(() => {
        /* logged by reload; the old config keeps serving (or the start failed, and startCommand reports it) */
      });
  });
  const stop = async (): Promise<void> => {
    const gateway = await starting.catch(() => undefined); // a failed start: startCommand reports it
    if (gateway === undefined) return;
    try {
      await gateway.shutdown();
      process.exit(0);
    } catch (err) {
      gateway.services.log.error({ err }, 'shutdown failed');
      process.exit(1);
    }
  };
  process.once('SIGTERM', () => void stop());
  process.once('SIGINT', () => void stop());
  const gateway = await starting;
  if (bootstrapKey !== undefined) announce(gateway.url)(bootstrapKey);
  if (path === undefined) {
    process.stdout.write(`archway: no archway.yaml here, running the quickstart config (simulated models). Listening on ${gateway.url}\n`);
  }
  // Fix: the logger buffers stdout (4 KiB) for throughput, so with stdout on a pipe (a supervisor, `| tee`, a test
  // harness) the "archway listening" line with the URL stayed invisible until 4 KiB of logs piled up. Flush it now.
  gateway.services.log.flush();
  // Every module the gateway serves with is loaded: save the compile cache now (see bin/archway.js), not only at a
  // clean exit, so even a gateway that is killed leaves the next start without a type stripper. A no-op without it.
  flushCompileCache();
}
