// Why one attempt at one backend failed, and what that means for the next step: retry elsewhere, retry later, or
// give the client the upstream's answer as it is.
import { errors as undiciErrors } from 'undici';
import { parseRetryAfterMs } from '../reliability/backoff.ts';

export type FailureReason = 'connect' | 'reset' | 'timeout' | 'status' | 'protocol';

export interface AttemptFailure {
  readonly reason: FailureReason;
  /** The upstream's HTTP status, for reason "status". */
  readonly status?: number;
  readonly message: string;
  /** Worth another attempt (this backend later, or another now). */
  readonly retryable: boolean;
  /** The backend is misconfigured for this request (its key, model or URL): never try it again for this request. */
  readonly excludeBackend: boolean;
  /** Counts against the backend's circuit breaker. */
  readonly countsAsFailure: boolean;
  /** The upstream asked us to wait this long (429/503 with Retry-After). */
  readonly retryAfterMs?: number;
}

export class AttemptTimeout extends Error {
  constructor(ms: number) {
    super(`no complete answer within ${ms} ms`);
    this.name = 'AttemptTimeout';
  }
}

export class UpstreamStatusError extends Error {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  constructor(status: number, headers: Record<string, string | string[] | undefined>, message: string) {
    super(message);
    this.name = 'UpstreamStatusError';
    this.status = status;
    this.headers = headers;
  }
}

/** An answer that came back 2xx but could not be read as the protocol says (bad JSON, a stream with no event). */
export class UpstreamProtocolError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UpstreamProtocolError';
  }
}

export function classifyStatus(err: UpstreamStatusError): AttemptFailure {
  const { status } = err;
  const message = `HTTP ${status}: ${err.message}`;
  if (status === 429) {
    const retryAfterMs = parseRetryAfterMs(err.headers);
    return { reason: 'status', status, message, retryable: true, excludeBackend: false, countsAsFailure: false, ...(retryAfterMs === undefined ? {} : { retryAfterMs }) };
  }
  if (status === 408 || status >= 500) {
    const retryAfterMs = status === 503 ? parseRetryAfterMs(err.headers) : undefined;
    return { reason: 'status', status, message, retryable: true, excludeBackend: false, countsAsFailure: true, ...(retryAfterMs === undefined ? {} : { retryAfterMs }) };
  }
  if (status === 401 || status === 403 || status === 404) {
    // The backend refused the gateway's own credentials or does not know the model: its config is wrong, and
    // another backend may well serve the request.
    return { reason: 'status', status, message, retryable: true, excludeBackend: true, countsAsFailure: true };
  }
  // Any other 4xx is about the request itself: every backend would say the same.
  return { reason: 'status', status, message, retryable: false, excludeBackend: false, countsAsFailure: false };
}

/**
 * What an error thrown during an attempt says about the upstream; undefined when it is not an upstream failure at
 * all (a bug in the gateway), which must not be blamed on the backend.
 */
export function classifyError(err: unknown, timeouts: { connect_ms: number; first_byte_ms: number; idle_ms: number }): AttemptFailure | undefined {
  if (err instanceof UpstreamStatusError) return classifyStatus(err);
  const base = { retryable: true, excludeBackend: false, countsAsFailure: true } as const;
  if (err instanceof AttemptTimeout) return { ...base, reason: 'timeout', message: err.message };
  if (err instanceof UpstreamProtocolError) return { ...base, reason: 'protocol', message: err.message };
  if (err instanceof undiciErrors.ConnectTimeoutError) return { ...base, reason: 'connect', message: `connect timed out after ${timeouts.connect_ms} ms` };
  if (err instanceof undiciErrors.HeadersTimeoutError) return { ...base, reason: 'timeout', message: `no response within ${timeouts.first_byte_ms} ms` };
  if (err instanceof undiciErrors.BodyTimeoutError) return { ...base, reason: 'timeout', message: `no data for ${timeouts.idle_ms} ms` };
  const code = (err as { code?: unknown }).code;
  if (code === 'ECONNREFUSED' || code === 'ENOTFOUND' || code === 'EAI_AGAIN' || code === 'EHOSTUNREACH') {
    return { ...base, reason: 'connect', message: `cannot connect (${String(code)})` };
  }
  if (err instanceof undiciErrors.UndiciError || (typeof code === 'string' && code.startsWith('E'))) {
    return { ...base, reason: 'reset', message: `connection failed: ${(err as Error).message}` };
  }
  return undefined;
}
