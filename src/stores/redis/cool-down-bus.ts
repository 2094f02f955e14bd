// Cool-downs shared through Redis. A publication is a key `${prefix}cooldown:${backendId}` holding the end of the
// cool-down (expiring with it), plus a message on the channel `${prefix}cooldown` for the replicas listening now.
// A replica that starts listening, or listens again after losing Redis, reads the keys for what it missed.
//
// It is best effort: while Redis is away a publication is dropped (the publishing replica has already cooled its
// own breaker, and the others will find out from the upstream's next 429).
import type { Redis, Result } from 'ioredis';
import type { CoolDownBus } from '../quota-store.ts';
import { closeRedis, connectRedis, isRedisUsable } from './connection.ts';

declare module 'ioredis' {
  interface RedisCommander<Context> {
    archwayCoolDown(key: string, channel: string, until: number, ttlMs: number, message: string): Result<number, Context>;
  }
}

export interface RedisCoolDownBusOptions {
  readonly url: string;
  readonly prefix: string;
  /** A command without an answer after this long fails (default 250 ms). */
  readonly timeoutMs?: number;
  /** The first connection error of each time Redis is away. */
  readonly onError?: (error: Error) => void;
}

// Keeps the later of two cool-downs of one backend (replicas may publish different ones), then tells the listeners.
const COOL_DOWN_LUA = `
local old = tonumber(redis.call('GET', KEYS[1]) or 0)
if tonumber(ARGV[1]) > old then redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2]) end
return redis.call('PUBLISH', KEYS[2], ARGV[3])
`;

type Listener = (backendId: string, until: number) => void;

export class RedisCoolDownBus implements CoolDownBus {
  readonly #options: RedisCoolDownBusOptions;
  readonly #publisher: Redis;
  // Made on the first subscribe(): a connection listening on a channel can send nothing else.
  #subscriber: Redis | undefined;
  readonly #listeners: Listener[] = [];
  readonly #channel: string;
  readonly #keyPrefix: string;
  #scanning = false;
  #scanAgain = false;

  constructor(options: RedisCoolDownBusOptions) {
    this.#options = options;
    this.#channel = `${options.prefix}cooldown`;
    this.#keyPrefix = `${options.prefix}cooldown:`;
    this.#publisher = connectRedis(this.#connection('archway-cooldown'));
    this.#publisher.defineCommand('archwayCoolDown', { lua: COOL_DOWN_LUA, numberOfKeys: 2 });
    // Whatever a scan missed while this connection was down, it finds when it is back.
    this.#publisher.on('ready', () => {
      if (this.#listeners.length > 0) void this.#scan();
    });
  }

  publish(backendId: string, until: number): void {
    const ttl = Math.ceil(until - Date.now());
    if (ttl <= 0 || !isRedisUsable(this.#publisher)) return;
    this.#publisher.archwayCoolDown(this.#keyPrefix + backendId, this.#channel, until, ttl, `${until}:${backendId}`).catch(ignore);
  }

  subscribe(listener: Listener): void {
    this.#listeners.push(listener);
    if (this.#subscriber === undefined) {
      const subscriber = connectRedis(this.#connection('archway-cooldown-listener'));
      this.#subscriber = subscriber;
      subscriber.on('message', (channel: string, message: string) => {
        if (channel === this.#channel) this.#received(message);
      });
      // On every (re)connection: listen, then read what was published while not listening.
      subscriber.on('ready', () => {
        subscriber.subscribe(this.#channel).then(() => this.#scan(), ignore);
      });
    } else if (isRedisUsable(this.#subscriber)) {
      // Already listening: the new listener still hears of the cool-downs current now.
      void this.#scan();
    }
  }

  async close(): Promise<void> {
    this.#listeners.length = 0;
    await Promise.all([closeRedis(this.#publisher), this.#subscriber && closeRedis(this.#subscriber)]);
  }

  #connection(name: string): Parameters<typeof connectRedis>[0] {
    return { ...this.#options, name };
  }

  #received(message: string): void {
    const colon = message.indexOf(':');
    const until = Number(message.slice(0, colon));
    if (colon > 0 && Number.isFinite(until)) this.#tell(message.slice(colon + 1), until);
  }

  #tell(backendId: string, until: number): void {
    for (const listener of this.#listeners) listener(backendId, until);
  }

  /** Reports every cool-down current in Redis; one scan at a time, repeated if more were asked for meanwhile. */
  async #scan(): Promise<void> {
    if (this.#scanning) {
      this.#scanAgain = true;
      return;
    }
    this.#scanning = true;
    const pattern = `${this.#keyPrefix.replace(/[*?[\]\\]/g, '\\$&')}*`;
    try {
      do {
        this.#scanAgain = false;
        let cursor = '0';
        do {
          const [next, keys] = await this.#publisher.scan(cursor, 'MATCH', pattern, 'COUNT', 200);
          cursor = next;
          if (keys.length === 0) continue;
          const values = await this.#publisher.mget(keys);
          const now = Date.now();
          for (let i = 0; i < keys.length; i++) {
            const until = Number(values[i] ?? 0);
            if (until > now) this.#tell(keys[i]!.slice(this.#keyPrefix.length), until);
          }
        } while (cursor !== '0');
      } while (this.#scanAgain);
    } catch {
      // Redis went away during the scan: the next 'ready' of either connection scans again.
    } finally {
      this.#scanning = false;
    }
  }
}

function ignore(): void {}
