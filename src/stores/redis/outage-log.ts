// How the gateway tells an operator that Redis (the config's `state`) stopped answering: a warning once per outage
// (connectRedis reports only the first error of each), never the password of its URL. Kept apart from the Redis
// client so that a gateway without `state` does not load it.
import type { Logger } from '../../observability/logger.ts';

/** The URL without its password, for logs. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password !== '') u.password = '***';
    return u.toString();
  } catch {
    return '(unparseable URL)';
  }
}

/** An `onError` for a Redis connection of `url`: `consequence` says what the gateway does meanwhile. */
export function redisOutageLogger(log: Logger, url: string, consequence: string): (error: Error) => void {
  return (error) => log.warn({ state: redactUrl(url), err: error.message }, `Redis (config state) does not answer; ${consequence}`);
}
