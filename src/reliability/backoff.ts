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

/**
 * How long the upstream asked us to wait, in ms, from `retry-after-ms` (OpenAI, Azure) or `retry-after` (seconds
 * or an HTTP date). Undefined when absent or unreadable; never negative.
 */
export function parseRetryAfterMs(headers: Readonly<Record<string, HeaderValue>>, now: number = Date.now()): number | undefined {
  const ms = first(headers['retry-after-ms']);
  if (ms !== undefined) {
    const value = Number(ms);
    if (Number.isFinite(value) && value >= 0) return Math.ceil(value);
  }
  const after = first(headers['retry-after']);
  if (after === undefined || after === '') return undefined;
  const seconds = Number(after);
  if (Number.isFinite(seconds)) return seconds >= 0 ? Math.ceil(seconds * 1000) : undefined;
  const date = Date.parse(after);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/** Whole seconds for a `Retry-After` header sent to clients: at least 1, so no client busy-loops. */
export function retryAfterSeconds(ms: number): number {
  return Math.max(1, Math.ceil(ms / 1000));
}
