// A real redis-server for tests, on a free loopback port, in memory only (no RDB, no AOF), in its own temp dir.
// It can be killed (SIGKILL, as a crash), frozen (SIGSTOP, as a Redis too busy to answer) and started again on the
// same port, to test how the gateway rides out losing Redis.
//
// Without redis-server on the PATH, startRedisServer() returns undefined so the tests can skip, unless
// ARCHWAY_REQUIRE_REDIS is set (CI), where it throws: there a missing Redis must fail, not pass silently.
import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants, mkdtempSync, rmSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';

export const REDIS_SKIP_MESSAGE = 'Redis tests need redis-server on the PATH (Debian package redis-server)';

export interface RedisServer {
  readonly port: number;
  readonly url: string;
  /** Kills the server (SIGKILL): a crash. Everything it held is lost. */
  stop(): Promise<void>;
  /** Starts it again, empty, on the same port (after stop(), or killing it first if it still runs). */
  restart(): Promise<void>;
  /** Freezes it (SIGSTOP): connections stay open but nothing is answered, until resume(). */
  pause(): void;
  resume(): void;
  close(): Promise<void>;
}

export function findRedisServer(): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (dir === '') continue;
    const candidate = join(dir, 'redis-server');
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

export async function startRedisServer(): Promise<RedisServer | undefined> {
  const binary = findRedisServer();
  if (binary === undefined) {
    if (process.env.ARCHWAY_REQUIRE_REDIS) throw new Error(`ARCHWAY_REQUIRE_REDIS is set but ${REDIS_SKIP_MESSAGE}`);
    return undefined;
  }
  const dir = mkdtempSync(join(tmpdir(), 'archway-redis-'));
  const port = await freePort();
  let child: ChildProcess | undefined;
  // A test process that dies must not leave servers behind.
  const killOnExit = (): void => {
    child?.kill('SIGKILL');
  };
  process.on('exit', killOnExit);

  const start = async (): Promise<void> => {
    const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir, '--daemonize', 'no'];
    const started = spawn(binary, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    started.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    child = started;
    const deadline = Date.now() + 10_000;
    while (!(await answersPing(port))) {
      if (started.exitCode !== null || started.signalCode !== null) throw new Error(`redis-server exited: ${stderr}`);
      if (Date.now() > deadline) throw new Error(`redis-server did not answer PING on port ${port}: ${stderr}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  };
  const kill = async (): Promise<void> => {
    const running = child;
    child = undefined;
    if (running === undefined || running.exitCode !== null || running.signalCode !== null) return;
    const exited = new Promise((resolve) => running.once('exit', resolve));
    running.kill('SIGKILL');
    await exited;
  };

  await start();
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    stop: kill,
    async restart() {
      await kill();
      await start();
    },
    pause() {
      child?.kill('SIGSTOP');
    },
    resume() {
      child?.kill('SIGCONT');
    },
    async close() {
      await kill();
      process.off('exit', killOnExit);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

function answersPing(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ port, host: '127.0.0.1' });
    let reply = '';
    const done = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1_000, () => done(false));
    socket.once('error', () => done(false));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.on('data', (d: Buffer) => {
      reply += d.toString();
      if (reply.includes('\r\n')) done(reply.startsWith('+PONG'));
    });
  });
}

/**
 * A conformance harness over stores that share state through Redis: each call of the returned function opens a
 * store under a fresh key prefix (so tests do not see each other's keys), with `openAnother` for a second store on
 * the same prefix (another replica), and closes them all.
 */
export function sharedStoreHarness<S extends { close(): Promise<void> }>(
  name: string,
  open: (prefix: string) => Promise<S>,
): () => Promise<{ store: S; openAnother(): Promise<S>; close(): Promise<void> }> {
  let opened = 0;
  return async () => {
    const prefix = `${name}${++opened}:`;
    const stores: S[] = [await open(prefix)];
    return {
      store: stores[0]!,
      async openAnother() {
        const another = await open(prefix);
        stores.push(another);
        return another;
      },
      close: async () => {
        await Promise.all(stores.map((s) => s.close()));
      },
    };
  };
}
