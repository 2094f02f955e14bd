// The semantic cache's index: vectors grouped by scope (see semantic-scope.ts), a lookup returning the entry most
// similar to a query when it is similar enough. A scope's vectors are rows of one Float32Array, stored at unit
// length, so a lookup is one tight pass of multiply-adds over contiguous memory, allocating nothing per comparison.
// The scan is linear in the scope's entries: scopes are narrow (one tenant, model, system prompt and conversation),
// so they hold few, a row costs about 1.5 µs at 1536 dimensions, and there is no index structure to build or to
// keep in step with evictions.
//
// Bounded by a number of entries over all scopes, with the least recently used evicted first (a Set keeps insertion
// order: touching an entry re-inserts it), and a time to live per entry: expired entries are never returned, and
// are dropped when a lookup would have returned them or when evicted (the bound on entries holds them all).

export interface SemanticMatch<V> {
  readonly value: V;
  /** Cosine similarity with the query, in [-1, 1]. */
  readonly similarity: number;
}

interface Entry<V> {
  value: V;
  expiresAt: number;
  readonly scope: Scope<V>;
  /** Its row in the scope's matrix; changes when another entry's removal moves the last row into a gap. */
  row: number;
}

interface Scope<V> {
  readonly key: string;
  readonly dimensions: number;
  /** Row r is entries[r]'s unit vector; capacity grows by doubling. */
  matrix: Float32Array;
  readonly entries: Entry<V>[];
}

/** At this similarity an insert replaces the entry rather than adding a twin: the same question asked again (after a
 *  refresh, or by two requests that missed at once) must not leave the stale answer in the way of the new one. */
const SAME_QUESTION = 0.9999;
const INITIAL_ROWS = 4;

function norm(vector: Float32Array): number {
  let sum = 0;
  for (let i = 0; i < vector.length; i++) sum += (vector[i] as number) * (vector[i] as number);
  return Math.sqrt(sum);
}

export class SemanticIndex<V> {
  readonly #scopes = new Map<string, Scope<V>>();
  readonly #lru = new Set<Entry<V>>();
  readonly #maxEntries: number;
  readonly #now: () => number;

  /** `now`: a clock in ms (monotonic by default); tests pass their own. */
  constructor(maxEntries: number, now: () => number = () => performance.now()) {
    this.#maxEntries = maxEntries;
    this.#now = now;
  }

  /** The live entry of `scope` most similar to `vector`, if its cosine similarity is at least `threshold`. */
  lookup(scope: string, vector: Float32Array, threshold: number): SemanticMatch<V> | undefined {
    const state = this.#scopes.get(scope);
    if (state === undefined || state.dimensions !== vector.length) return undefined;
    const length = norm(vector);
    if (!(length > 0)) return undefined;
    // Rows are unit vectors, so similarity = dot / |query|: compared as dot ≥ threshold·|query|, no division per row.
    const found = this.#nearest(state, vector, threshold * length);
    if (found === undefined) return undefined;
    this.#lru.delete(found.entry);
    this.#lru.add(found.entry);
    return { value: found.entry.value, similarity: Math.min(1, found.dot / length) };
  }

  /**
   * Stores `value` under `vector` for `ttlMs`; replaces the entry of the same question if there is one. Returns false
   * (storing nothing) for a zero vector or a ttl that is not positive.
   */
  insert(scope: string, vector: Float32Array, value: V, ttlMs: number): boolean {
    const length = norm(vector);
    if (!(length > 0) || !(ttlMs > 0) || this.#maxEntries < 1) return false;
    const expiresAt = this.#now() + ttlMs;
    let state = this.#scopes.get(scope);
    if (state !== undefined && state.dimensions !== vector.length) {
      // Another embeddings model answered for the same scope: the old vectors cannot be compared with the new.
      this.#dropScope(state);
      state = undefined;
    }
    if (state !== undefined) {
      const same = this.#nearest(state, vector, SAME_QUESTION * length);
      if (same !== undefined) {
        const { entry } = same;
        entry.value = value;
        entry.expiresAt = expiresAt;
        writeRow(state, entry.row, vector, 1 / length);
        this.#lru.delete(entry);
        this.#lru.add(entry);
        return true;
      }
    }
    while (this.#lru.size >= this.#maxEntries) this.#remove(this.#lru.values().next().value!);
    // Eviction may have emptied, and so dropped, this very scope.
    state = this.#scopes.get(scope);
    if (state === undefined) {
      state = { key: scope, dimensions: vector.length, matrix: new Float32Array(INITIAL_ROWS * vector.length), entries: [] };
      this.#scopes.set(scope, state);
    }
    const row = state.entries.length;
    if ((row + 1) * state.dimensions > state.matrix.length) {
      const grown = new Float32Array(state.matrix.length * 2);
      grown.set(state.matrix);
      state.matrix = grown;
    }
    writeRow(state, row, vector, 1 / length);
    const entry: Entry<V> = { value, expiresAt, scope: state, row };
    state.entries.push(entry);
    this.#lru.add(entry);
    return true;
  }

  clear(): void {
    this.#scopes.clear();
    this.#lru.clear();
  }

  /** Entries held, over all scopes (expired ones not yet dropped included). */
  get size(): number {
    return this.#lru.size;
  }

  /** Scopes holding at least one entry. */
  get scopes(): number {
    return this.#scopes.size;
  }

  /** The live entry with the greatest dot product ≥ `minDot`; expired rows met on the way are dropped. */
  #nearest(state: Scope<V>, query: Float32Array, minDot: number): { entry: Entry<V>; dot: number } | undefined {
    const { matrix, entries, dimensions } = state;
    const now = this.#now();
    let best: Entry<V> | undefined;
    let bestDot = minDot;
    let expired: Entry<V>[] | undefined;
    for (let row = 0, base = 0; row < entries.length; row++, base += dimensions) {
      let dot = 0;
      for (let i = 0; i < dimensions; i++) dot += (matrix[base + i] as number) * (query[i] as number);
      if (!(dot >= bestDot)) continue; // (a NaN threshold matches nothing)
      const entry = entries[row] as Entry<V>;
      if (entry.expiresAt > now) {
        best = entry;
        bestDot = dot;
      } else {
        (expired ??= []).push(entry);
      }
    }
    // Removal moves rows, so it waits until the scan is over.
    if (expired !== undefined) for (const entry of expired) this.#remove(entry);
    return best === undefined ? undefined : { entry: best, dot: bestDot };
  }

  /** Removes an entry: the scope's last row moves into its place, and an emptied scope is dropped. */
  #remove(entry: Entry<V>): void {
    const state = entry.scope;
    this.#lru.delete(entry);
    const last = state.entries.pop()!;
    if (last !== entry) {
      const { dimensions } = state;
      state.matrix.copyWithin(entry.row * dimensions, last.row * dimensions, (last.row + 1) * dimensions);
      last.row = entry.row;
      state.entries[entry.row] = last;
    }
    if (state.entries.length === 0) this.#scopes.delete(state.key);
  }

  #dropScope(state: Scope<V>): void {
    for (const entry of state.entries) this.#lru.delete(entry);
    this.#scopes.delete(state.key);
  }
}

/** Writes `vector` scaled by `scale` (1/|vector|, so the row is a unit vector) into row `row`. */
function writeRow<V>(state: Scope<V>, row: number, vector: Float32Array, scale: number): void {
  const { matrix } = state;
  const base = row * state.dimensions;
  for (let i = 0; i < vector.length; i++) matrix[base + i] = (vector[i] as number) * scale;
}
