// What the client asked of the response caches, from its headers, and whether a request is deterministic enough for
// the exact cache to serve it without being asked.
//
//   x-archway-cache: force     cache even a request that is not deterministic (read and write)
//   x-archway-cache: refresh   do not answer from the cache, but store the new answer
//   x-archway-cache: off       neither read nor write
//   cache-control: no-cache    = refresh (the standard request directive: revalidate, do not serve what is stored)
//   cache-control: no-store    = off
//
// Several values (comma-separated, or both headers) combine: each can only take a permission away, so
// "force, refresh" stores a non-deterministic answer without reading, and no-store wins over force. Any other
// cache-control directive is ignored, as HTTP says of directives a cache does not implement; an unknown
// x-archway-cache value is the client's mistake, returned as a problem (a 400) rather than silently ignored.
import type { IncomingHttpHeaders } from 'node:http';
import type { CacheConfig } from '../config/cost-schema.ts';

export const CACHE_DIRECTIVE_HEADER = 'x-archway-cache';

export interface CacheDirective {
  /** The caches may answer the request. */
  readonly read: boolean;
  /** The answer may be stored. */
  readonly write: boolean;
  /** Cache it even if it is not deterministic (`x-archway-cache: force`). */
  readonly force: boolean;
}

export interface CacheDirectiveProblem {
  /** The header at fault, as the error's `param`. */
  readonly header: string;
  readonly message: string;
}

export type CacheDirectiveResult =
  | { readonly ok: true; readonly directive: CacheDirective }
  | { readonly ok: false; readonly problem: CacheDirectiveProblem };

/** What the exact cache may do for one request. */
export interface CacheAccess {
  readonly read: boolean;
  readonly write: boolean;
}

// Shared results: the common request (no header) allocates nothing.
const DEFAULT: CacheDirectiveResult = { ok: true, directive: { read: true, write: true, force: false } };
const NO_ACCESS: CacheAccess = { read: false, write: false };
const X_VALUES = ['force', 'refresh', 'off'];

function headerText(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value.join(',') : value;
}

export function cacheDirective(headers: IncomingHttpHeaders): CacheDirectiveResult {
  const archway = headerText(headers[CACHE_DIRECTIVE_HEADER]);
  const cacheControl = headerText(headers['cache-control']);
  if (archway === undefined && cacheControl === undefined) return DEFAULT;
  let read = true;
  let write = true;
  let force = false;
  if (archway !== undefined) {
    for (const raw of archway.split(',')) {
      const value = raw.trim().toLowerCase();
      if (value === 'force') force = true;
      else if (value === 'refresh') read = false;
      else if (value === 'off') read = write = false;
      else {
        const got = value === '' ? 'an empty value' : `"${raw.trim()}"`;
        return { ok: false, problem: { header: CACHE_DIRECTIVE_HEADER, message: `${CACHE_DIRECTIVE_HEADER}: expected ${X_VALUES.join(', ')} (got ${got})` } };
      }
    }
  }
  if (cacheControl !== undefined) {
    for (const raw of cacheControl.split(',')) {
      const token = raw.trim().toLowerCase();
      // A directive may carry an argument (no-cache="set-cookie" in responses): the name decides.
      const name = token.includes('=') ? token.slice(0, token.indexOf('=')).trim() : token;
      if (name === 'no-store') read = write = false;
      else if (name === 'no-cache') read = false;
    }
  }
  if (read && write && !force) return DEFAULT;
  return { ok: true, directive: { read, write, force } };
}

/**
 * A request whose answer does not depend on chance: temperature 0 or top_p 0 (the model takes its likeliest token),
 * asking for a single choice (n absent, null or 1).
 *
 * A `seed` alone does not count: OpenAI only promises "best effort" determinism with it (the answer may change with
 * the backend's system_fingerprint), and other providers ignore it, so caching a sampled answer because it has a
 * seed would serve one draw forever to a client that expected variety. A client that wants it cached anyway says
 * `x-archway-cache: force`. Temperature 0 is not bit-exact either on real GPUs, but the client has asked for the
 * likeliest answer, and any of the near-identical ones it could get is as good as another.
 */
export function isDeterministic(body: Readonly<Record<string, unknown>>): boolean {
  const n = body['n'];
  if (n !== undefined && n !== null && n !== 1) return false;
  return body['temperature'] === 0 || body['top_p'] === 0;
}

/** What the exact cache may do: the client's directive, for the requests `when` lets it cache. */
export function exactCacheAccess(when: CacheConfig['exact']['when'], directive: CacheDirective, body: Readonly<Record<string, unknown>>): CacheAccess {
  if (!directive.read && !directive.write) return NO_ACCESS;
  if (when === 'always' || directive.force || isDeterministic(body)) return directive;
  return NO_ACCESS;
}
