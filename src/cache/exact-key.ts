// The exact cache's key: the scope (tenant, model, model version) and a normal form of the request body, so two requests that differ only in the order of their fields, whitespace or fields that do not change the
// answer share an entry, and nothing crosses tenants or model versions (a new version makes new keys; the old entries
// age out).
//
// The normal form sorts the body's top-level fields (where clients differ: SDKs add parameters in their own order)
// and writes each value as JSON.stringify does, in the order the client sent it. Clients send the same nested objects
// in the same order (a message is written by the SDK or the application the same way each time), and a client that
// reorders them only misses the cache, never gets another request's answer. Sorting every level would catch that too,
// at four times the cost, on every cacheable request (the semantic cache's scope does, with canonicalJson).
//
// The key is that normal form itself, not a digest of it: the cache's Map compares keys whole, so two requests share
// an entry only if they are equal, with no hash to collide, and a SHA-256 over the body would cost more than all the
// rest (measured: 4 % of a request's instructions). The LRU counts the key's bytes in its memory bound. It is written
// by one JSON.stringify of the scope and the sorted fields: a string built from a serialisation per field is a rope
// that the Map must flatten before it hashes it (measured on the benchmark's 1 KB body: 3.9 µs to key and store
// against 4.9).

export interface ExactKeyScope {
  /** Whose cache: entries are never shared across tenants (a key, a team, an organisation: the caller decides). */
  readonly tenant: string;
  /** The model as configured (the name the client sent, resolved). */
  readonly model: string;
  /** Changes when the model behind the name changes (its backends' upstream models, a version in the config). */
  readonly modelVersion: string;
}

/**
 * Top-level request fields left out of the key: none changes what the model answers.
 * - stream, stream_options: a cached answer is served either way (as JSON or replayed as a stream), with or without
 *   the usage chunk;
 * - user, safety_identifier: who the end user is, for the provider's abuse monitoring;
 * - metadata, store: tags for, and whether to keep, the provider's stored copy of the completion. A hit is not
 *   stored at the provider again: a client that needs every completion stored there sends `x-archway-cache: off`;
 * - service_tier: which capacity and price serve the request, not what it answers;
 * - prompt_cache_key, prompt_cache_retention, prompt_cache_options: hints for the provider's own prompt cache.
 * Everything else stays in, unknown fields included: a field we do not know may change the answer.
 */
export const FIELDS_NOT_IN_KEY: ReadonlySet<string> = new Set([
  'stream',
  'stream_options',
  'user',
  'safety_identifier',
  'metadata',
  'store',
  'service_tier',
  'prompt_cache_key',
  'prompt_cache_retention',
  'prompt_cache_options',
]);

/** The exact cache's key, or undefined for a body that cannot be keyed (not cached). */
export function exactCacheKey(scope: ExactKeyScope, body: Readonly<Record<string, unknown>>): string | undefined {
  const fields: Record<string, unknown> = {};
  for (const name of Object.keys(body).sort()) {
    if (FIELDS_NOT_IN_KEY.has(name)) continue;
    // An assignment to `__proto__` would set the object's prototype and drop the field from the key.
    if (name === '__proto__') Object.defineProperty(fields, name, { value: body[name], enumerable: true, writable: true, configurable: true });
    else fields[name] = body[name];
  }
  try {
    // An array: the scope's parts cannot run into each other or into the body, whatever characters they hold.
    return JSON.stringify([scope.tenant, scope.model, scope.modelVersion, fields]);
  } catch (err) {
    // Nested too deep for the serialiser: such a request is not cached.
    if (err instanceof RangeError) return undefined;
    throw err;
  }
}
