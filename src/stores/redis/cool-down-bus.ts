// Cool-downs shared through Redis. A publication is a field of the hash `${prefix}cooldowns` (backend id → the end of
// its cool-down), plus a message on the channel `${prefix}cooldown` for the replicas listening now. A replica that
// starts listening, or listens again after losing Redis, reads the hash for what it missed: one command, whatever else
// the database holds (quota counters, cached answers), where a key per cool-down would need a scan of all of them.
//
// It is best effort: while Redis is away a publication is dropped (the publishing replica has already cooled its
// own breaker, and the others will find out from the upstream's next 429).
import type { Redis, Result } from 'ioredis';
import type { CoolDownBus } from '../quota-store.ts';
import { closeRedis, connectRedis, isRedisUsable } from './connection.ts';

declare module 'ioredis' {
  interface RedisCommander<Context> {
    archwayCoolDown(hash: string, channel: string, backendId: string, until: number, now: number, message: string): Result<number, Context>;
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

// Keeps the later of two cool-downs of one backend (replicas may publish different ones) and drops the ones over, so
// the hash holds only backends cooling down now; it expires with the last of them. Then tells the listeners.
const COOL_DOWN_LUA = `
local ends, now = tonumber(ARGV[2]), tonumber(ARGV[3])
if ends > tonumber(redis.call('HGET', KEYS[1], ARGV[1]) or 0) then redis.call('HSET', KEYS[1], ARGV[1], ARGV[2]) end
local last = ends
local entries = redis.call('HGETALL', KEYS[1])
for i = 1, #entries, 2 do
  local t = tonumber(entries[i + 1])
  if t <= now then redis.call('HDEL', KEYS[1], entries[i]) elseif t > last then last = t end
end
redis.call('PEXPIREAT', KEYS[1], math.ceil(last))
return redis.call('PUBLISH', KEYS[2], ARGV[4])
`;

type Listener = (backendId: string, until: number) => void;

export class RedisCoolDownBus implements CoolDownBus {
  readonly #options: RedisCoolDownBusOptions;
  readonly #publisher: Redis;
  // Made on the first subscribe(): a connection listening on a channel can send nothing else.
  #subscriber: Redis | undefined;
  readonly #listeners: Listener[] = [];
  readonly #channel: string;
  readonly #hash: string;

  constructor(options: RedisCoolDownBusOptions) {
    this.#options = options;
    this.#channel = `${options.prefix}cooldown`;
    this.#hash = `${options.prefix}cooldowns`;
    this.#publisher = connectRedis(this.#connection('archway-cooldown'));
    this.#publisher.defineCommand('archwayCoolDown', { lua: COOL_DOWN_LUA, numberOfKeys: 2 });
    // Whatever a catch-up missed while this connection was down, it finds when it is back.
    this.#publisher.on('ready', () => {
      if (this.#listeners.length > 0) void this.#catchUp();
    });
  }

  publish(backendId: string, until: number): void {
    const now = Date.now();
    if (until <= now || !isRedisUsable(this.#publisher)) return;
    this.#publisher.archwayCoolDown(this.#hash, this.#channel, backendId, until, now, `${until}:${backendId}`).catch(ignore);
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
        subscriber.subscribe(this.#channel).then(() => this.#catchUp(), ignore);
      });
    } else if (isRedisUsable(this.#subscriber)) {
      // Already listening: the new listener still hears of the cool-downs current now.
      void this.#catchUp();
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

  /** Reports every cool-down current in Redis. */
  async #catchUp(): Promise<void> {
    let entries: Record<string, string>;
    try {
      entries = await this.#publisher.hgetall(this.#hash);
    } catch {
      return; // Redis went away meanwhile: the next 'ready' of either connection catches up again.
    }
    const now = Date.now();
    for (const [backendId, value] of Object.entries(entries)) {
      const until = Number(value);
      if (until > now) this.#tell(backendId, until);
    }
  }
}

function ignore(): void {}
