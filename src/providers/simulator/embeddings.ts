// Deterministic embeddings: a unit vector seeded by a hash of the input, so equal inputs get equal vectors (caches
// and tests can rely on that) and a vector costs one hash and one pass over `dimensions` floats.

/** FNV-1a over UTF-16 code units: fast, well spread, and no crypto needed for a fake vector. */
function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

/** mulberry32: a tiny seeded PRNG giving floats in [0, 1). */
function prng(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The unit-length vector of `input` in `dimensions` dimensions. */
export function embed(input: string, dimensions: number): Float32Array {
  const next = prng(fnv1a(input));
  const vector = new Float32Array(dimensions);
  let norm = 0;
  for (let i = 0; i < dimensions; i++) {
    const v = next() * 2 - 1;
    vector[i] = v;
    norm += v * v;
  }
  const scale = norm > 0 ? 1 / Math.sqrt(norm) : 0;
  for (let i = 0; i < dimensions; i++) vector[i] = (vector[i] as number) * scale;
  return vector;
}

/** As OpenAI sends it: a JSON array of floats, or base64 of the little-endian float32 bytes. */
export function encodeVector(vector: Float32Array, format: 'float' | 'base64'): number[] | string {
  if (format === 'float') return Array.from(vector);
  return Buffer.from(vector.buffer, vector.byteOffset, vector.byteLength).toString('base64');
}
