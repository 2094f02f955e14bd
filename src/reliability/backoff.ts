// Exponential backoff with full jitter (AWS Architecture Blog, "Exponential Backoff And Jitter"): the delay is drawn
// uniformly from [0, min(cap, base * 2^n)], which spreads retries of many clients instead of synchronising them.

export function backoffDelayMs(retry: number, baseMs: number, capMs: number, random: () => number = Math.random): number {
  const ceiling = Math.min(capMs, baseMs * 2 ** retry);
  return Math.floor(random() * ceiling);
}

type HeaderValue = string | string[] | undefined;

function first(value: HeaderValue): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

// Strict forms only. Number() alone reads '' and ' ' as 0 and accepts '0x10' and '1e3', and Date.parse accepts
// fragments such as "hello 1" (a date in 2001, i.e. "retry now"): garbage must read as absent, not as "no wait".
const DECIMAL = /^\s*\d+(?:\.\d+)?\s*$/;
// Every HTTP-date form (IMF-fixdate, RFC 850, asctime) carries a hh:mm:ss time.
const HTTP_DATE_TIME = /\b\d{2}:\d{2}:\d{2}\b/;

/**
 * How long the upstream asked us to wait, in ms, from `retry-after-ms` (OpenAI, Azure) or `retry-after` (seconds
 * or an HTTP date). Undefined when absent or unreadable; never negative.
 */
export function parseRetryAfterMs(headers: Readonly<Record<string, HeaderValue>>, now: number = Date.now()): number | undefined {
  const ms = first(headers['retry-after-ms']);
  if (ms !== undefined && DECIMAL.test(ms)) return Math.ceil(Number(ms));
  const after = first(headers['retry-after']);
  if (after === undefined || after === '') return undefined;
  if (DECIMAL.test(after)) return Math.ceil(Number(after) * 1000);
  if (!HTTP_DATE_TIME.test(after)) return undefined;
  const date = Date.parse(after);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/** Whole seconds for a `Retry-After` header sent to clients: at least 1, so no client busy-loops. */
export function retryAfterSeconds(ms: number): number {
  return Math.max(1, Math.ceil(ms / 1000));
}
