// An in-memory LRU bounded by bytes, with a time to live per entry. A Map keeps its keys in insertion order, so
// re-inserting a key on every hit makes its first key the least recently used: get, set and eviction are O(1).
// Expired entries are misses and are dropped when met; the others go as the least recently used (an entry that
// expired unread is also one not used for a while), so no sweep is needed.

/** A value that knows how much memory it holds. */
export interface Sized {
  readonly byteSize: number;
}

interface Entry<V> {
  readonly value: V;
  readonly expiresAt: number;
  readonly bytes: number;
}

/** What a Map entry, its key and the entry object cost beyond the value (an estimate: V8 does not say). */
const ENTRY_OVERHEAD = 96;

export class LruCache<V extends Sized> {
  readonly #entries = new Map<string, Entry<V>>();
  readonly #maxBytes: number;
  readonly #now: () => number;
  #bytes = 0;

  /** `now`: a clock in ms (monotonic by default); tests pass their own. */
  constructor(maxBytes: number, now: () => number = () => performance.now()) {
    this.#maxBytes = maxBytes;
    this.#now = now;
  }

  get(key: string): V | undefined {
    const entry = this.#entries.get(key);
    if (entry === undefined) return undefined;
    this.#entries.delete(key);
    if (entry.expiresAt <= this.#now()) {
      this.#bytes -= entry.bytes;
      return undefined;
    }
    this.#entries.set(key, entry);
    return entry.value;
  }

  /**
   * Stores `value` for `ttlMs`, evicting the least recently used entries to make room. Returns false, storing
   * nothing (and dropping what the key held), when the value alone is larger than the whole cache.
   */
  set(key: string, value: V, ttlMs: number): boolean {
    this.delete(key);
    const bytes = value.byteSize + key.length * 2 + ENTRY_OVERHEAD;
    if (bytes > this.#maxBytes || !(ttlMs > 0)) return false;
    while (this.#bytes + bytes > this.#maxBytes) {
      const [oldest, entry] = this.#entries.entries().next().value!;
      this.#entries.delete(oldest);
      this.#bytes -= entry.bytes;
    }
    this.#entries.set(key, { value, expiresAt: this.#now() + ttlMs, bytes });
    this.#bytes += bytes;
    return true;
  }

  delete(key: string): boolean {
    const entry = this.#entries.get(key);
    if (entry === undefined) return false;
    this.#entries.delete(key);
    this.#bytes -= entry.bytes;
    return true;
  }

  clear(): void {
    this.#entries.clear();
    this.#bytes = 0;
  }

  /** Entries held, expired ones not yet dropped included. */
  get size(): number {
    return this.#entries.size;
  }

  /** Bytes held by the entries: their values' byteSize plus a fixed estimate per entry. */
  get bytes(): number {
    return this.#bytes;
  }

  get maxBytes(): number {
    return this.#maxBytes;
  }
}
