// Starts real gateways for tests: in this process (fast, inspectable) or as a child process (for signals).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn, type ChildProcess } from 'node:child_process';
import { parseConfig } from '../../src/config/load.ts';
import { Gateway } from '../../src/server/gateway.ts';
import { createLogger } from '../../src/observability/logger.ts';

export const ADMIN_KEY = 'sk-archway-test-admin-key-0123456789';
const ROOT = new URL('../../', import.meta.url);
export const NODE = process.execPath;
export const CLI = join(ROOT.pathname, 'src/cli/main.ts');

export function tempDir(prefix = 'archway-test-'): { path: string; remove: () => void } {
  const path = mkdtempSync(join(tmpdir(), prefix));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

export interface TestGateway {
  readonly gateway: Gateway;
  readonly url: string;
  readonly dataDir: string;
  readonly adminKey: string;
  /** Base URL for the OpenAI SDK. */
  readonly baseURL: string;
  close(): Promise<void>;
}

/** A gateway on 127.0.0.1:0 with its own data directory and a known admin key. */
export async function startGateway(yaml: string, env: NodeJS.ProcessEnv = {}): Promise<TestGateway> {
  const dir = tempDir();
  const fullEnv = { ARCHWAY_DATA_DIR: dir.path, ARCHWAY_PORT: '0', ARCHWAY_HOST: '127.0.0.1', ARCHWAY_ADMIN_KEY: ADMIN_KEY, ...env };
  const configPath = join(dir.path, 'archway.yaml');
  writeFileSync(configPath, yaml);
  let gateway: Gateway;
  try {
    const config = parseConfig(yaml, configPath, fullEnv);
    gateway = await Gateway.start({
      loaded: { config, source: configPath },
      configPath,
      env: fullEnv,
      log: createLogger(process.env.ARCHWAY_TEST_LOG ?? 'silent'),
      keyRefreshMs: 100,
    });
  } catch (err) {
    dir.remove(); // a gateway that refuses to start leaves no temp directory behind
    throw err;
  }
  return {
    gateway,
    url: gateway.url,
    dataDir: dir.path,
    adminKey: ADMIN_KEY,
    baseURL: `${gateway.url}/v1`,
    async close() {
      await gateway.shutdown();
      dir.remove();
    },
  };
}

export interface ChildGateway {
  readonly child: ChildProcess;
  readonly url: string;
  readonly dataDir: string;
  readonly configPath: string;
  output(): string;
  /** Resolves with the exit code (or signal) once the process has ended. */
  exited: Promise<number | string>;
}

/** `archway start` in a child process, for signal tests. Resolves once it listens. `script`: what `node` runs, the
 *  CLI by default (bin/archway.js to go through the launcher). */
export async function spawnGateway(yaml: string, dataDir: string, env: NodeJS.ProcessEnv = {}, script = CLI): Promise<ChildGateway> {
  const configPath = join(dataDir, 'archway.yaml');
  writeFileSync(configPath, yaml);
  const child = spawn(NODE, [script, 'start', '--config', configPath], {
    env: { ...process.env, ARCHWAY_DATA_DIR: dataDir, ARCHWAY_PORT: '0', ARCHWAY_HOST: '127.0.0.1', ARCHWAY_ADMIN_KEY: ADMIN_KEY, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | string>((resolve) => child.on('exit', (code, signal) => resolve(code ?? signal ?? -1)));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL'); // an open child would keep the test process alive
      reject(new Error(`gateway did not start:\n${out}`));
    }, 15_000);
    const check = (): void => {
      const match = /"url":"(http:\/\/127\.0\.0\.1:\d+)"/.exec(out);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]!);
      }
    };
    child.stdout!.on('data', check);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`gateway exited (${code}) before listening:\n${out}`));
    });
  });
  return { child, url, dataDir, configPath, output: () => out, exited };
}
