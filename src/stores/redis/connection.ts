// A Redis connection for state on the request path (quota counters, cool-downs). It fails fast instead of waiting:
// a command sent while Redis is away is refused at once, and one that gets no answer within the timeout fails, so
// the caller can apply its fail-open or fail-closed policy without holding the request. Behind that, the client
// keeps reconnecting for as long as the process lives, so the gateway recovers by itself when Redis returns.
import { Redis } from 'ioredis';

export interface RedisConnectionOptions {
  /** redis://[user:password@]host:port[/db], or rediss:// for TLS. */
  readonly url: string;
  /** A command without an answer after this long fails (default 250 ms). */
  readonly timeoutMs?: number;
  /** Shown in CLIENT LIST, to tell the gateway's connections apart. */
  readonly name?: string;
  /** The first connection error (refused, reset, timed out) of each time Redis is away; the ones of every reconnect
   *  attempt after it are not repeated. */
  readonly onError?: (error: Error) => void;
}

// Reconnect after 50, 100, 150 ms … and then every second: soon enough to notice Redis is back, rarely enough to cost
// nothing while it is not.
const MAX_RECONNECT_DELAY_MS = 1_000;

/** How long a command may go unanswered before it fails, unless the config says otherwise. */
export const DEFAULT_COMMAND_TIMEOUT_MS = 250;

export function connectRedis(options: RedisConnectionOptions): Redis {
  const timeoutMs = options.timeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS;
  const client = new Redis(options.url, {
    enableOfflineQueue: false,
    commandTimeout: timeoutMs,
    // A command lost with its connection fails at once rather than being resent after a reconnect.
    maxRetriesPerRequest: 0,
    autoResendUnfulfilledCommands: false,
    retryStrategy: (attempt) => Math.min(attempt * 50, MAX_RECONNECT_DELAY_MS),
    // An unanswered connection attempt (a black-holed host) is given up soon, so the next one starts.
    connectTimeout: Math.max(1_000, 4 * timeoutMs),
    // A connection that stops answering altogether is dropped and made again, rather than timing out forever.
    socketTimeout: Math.max(2_000, 8 * timeoutMs),
    ...(options.name === undefined ? {} : { connectionName: options.name }),
  });
  // Without a listener ioredis reports every failed reconnect attempt on the console.
  let away = false;
  client.on('error', (error: Error) => {
    if (away) return;
    away = true;
    options.onError?.(error);
  });
  client.on('ready', () => (away = false));
  return client;
}

/** Whether the client can send a command now: connected, past the handshake, and the socket not yet closing. */
export function isRedisUsable(client: Redis): boolean {
  // The socket turns unwritable as soon as the server hangs up, a moment before ioredis changes its status.
  return client.status === 'ready' && client.stream?.writable === true;
}

/** Resolves true once the client is usable, or false if it is not within `timeoutMs`. */
export function waitUntilUsable(client: Redis, timeoutMs: number): Promise<boolean> {
  if (isRedisUsable(client)) return Promise.resolve(true);
  return new Promise((resolve) => {
    const done = (usable: boolean): void => {
      clearTimeout(timer);
      client.off('ready', onReady);
      resolve(usable);
    };
    const onReady = (): void => done(true);
    const timer = setTimeout(() => done(false), timeoutMs);
    client.on('ready', onReady);
  });
}

/** Closes the connection for good (no more reconnecting), politely if Redis is there. */
export async function closeRedis(client: Redis): Promise<void> {
  if (client.status === 'end') return;
  try {
    if (isRedisUsable(client)) await client.quit();
  } catch {
    // Gone or too slow: the disconnect below is all that is left to do.
  } finally {
    client.disconnect();
  }
}
