// Deterministic embeddings by feature hashing: a text becomes its words (and, at a quarter weight, its word
// pairs), each hashed to a dimension with a sign, and the sum is scaled to unit length. Texts that share most of
// their words get a high cosine, texts with no word in common one near 0 (only hash collisions add to it), so a
// semantic cache can be tested against the simulator with real paraphrases. It knows no synonyms and no meaning:
// "car" and "automobile" are as far apart as any two words, and its word rules are English. Equal inputs give equal
// vectors, and a vector costs one pass over the text.
//
// Tuned on a few English paraphrases at 256 dimensions (test/unit/cache/simulator-embeddings.test.ts): a reworded
// question lands at 0.85–0.9, the same question about another subject ("capital of Spain") near 0.7, and an
// unrelated one near 0.

/** Word pairs count a quarter of a word: enough to tell "man bites dog" from "dog bites man", little enough that the
 *  pairs an extra word of a paraphrase breaks cost less than the word itself. */
const BIGRAM_WEIGHT = 0.25;
/** Function words count less: "how do I" and "how can I" ask the same, and two questions that share only "what is
 *  the" are not alike. Not zero, so a text made only of them still has a vector of its own. */
const FUNCTION_WORD_WEIGHT = 0.6;
const FUNCTION_WORDS = new Set(
  (
    'a an the is are am was were be been do does did can could would will shall should may might must i me my you ' +
    'your we our it its of in on at to for from by with about and or but if so what how please tell this that these those'
  ).split(' '),
);

/** Contractions spelled out, so "what's" and "what is" give the same words. */
const CONTRACTIONS: Readonly<Record<string, readonly string[]>> = {
  "can't": ['can', 'not'],
  "won't": ['will', 'not'],
  "shan't": ['shall', 'not'],
  "i'm": ['i', 'am'],
};
const SUFFIXES: readonly (readonly [string, string])[] = [
  ["n't", 'not'],
  ["'re", 'are'],
  ["'ve", 'have'],
  ["'ll", 'will'],
  ["'d", 'would'],
];
/** After these, "'s" is "is"; elsewhere it is a possessive and is dropped ("France's" → "france"). */
const S_IS = new Set(['what', 'that', 'it', 'he', 'she', 'there', 'here', 'where', 'who', 'how', 'when', 'why']);

/** FNV-1a over UTF-16 code units: fast, well spread, and no crypto needed for a fake vector. */
function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

/** murmur3's finaliser: FNV's low bits are weak, and the dimension is taken from them. */
function mix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** "capitals" → "capital", but not "is", "this", "class" or "bus": a plural, roughly (the same on both sides). */
function stem(word: string): string {
  return word.length > 4 && word.endsWith('s') && !word.endsWith('ss') ? word.slice(0, -1) : word;
}

/** Lower-cased words, apostrophes (straight or curly) kept inside a word, contractions spelled out. */
function words(input: string): string[] {
  const out: string[] = [];
  for (const match of input.toLowerCase().matchAll(/[\p{L}\p{N}]+(?:['’][\p{L}\p{N}]+)*/gu)) {
    let word = match[0];
    if (!word.includes("'") && !word.includes('’')) {
      out.push(stem(word));
      continue;
    }
    word = word.replaceAll('’', "'");
    const whole = CONTRACTIONS[word];
    if (whole !== undefined) {
      out.push(...whole);
      continue;
    }
    const suffix = SUFFIXES.find(([end]) => word.endsWith(end));
    if (suffix !== undefined) {
      out.push(word.slice(0, -suffix[0].length), suffix[1]);
    } else if (word.endsWith("'s")) {
      const base = word.slice(0, -2);
      out.push(stem(base));
      if (S_IS.has(base)) out.push('is');
    } else {
      out.push(stem(word.replaceAll("'", '')));
    }
  }
  return out;
}

/** Adds ±weight at the feature's dimension: with a sign, two features that collide cancel as often as they add up. */
function addFeature(vector: Float32Array, hash: number, weight: number): void {
  const h = mix(hash);
  const at = h % vector.length;
  vector[at] = (vector[at] as number) + (h & 0x80000000 ? -weight : weight);
}

/** The unit-length vector of `input` in `dimensions` dimensions. */
export function embed(input: string, dimensions: number): Float32Array {
  const vector = new Float32Array(dimensions);
  let previous: number | undefined;
  for (const word of words(input)) {
    const hash = fnv1a(word);
    addFeature(vector, hash, FUNCTION_WORDS.has(word) ? FUNCTION_WORD_WEIGHT : 1);
    // A pair's hash mixes its words' hashes (order matters), so it costs no string.
    if (previous !== undefined) addFeature(vector, Math.imul(previous, 0x9e3779b1) ^ hash ^ 0x5bd1e995, BIGRAM_WEIGHT);
    previous = hash;
  }
  let norm = 0;
  for (let i = 0; i < dimensions; i++) norm += (vector[i] as number) ** 2;
  if (norm === 0) {
    // No words ("", "?!"), or features that cancelled out: one feature hashed from the raw text still gives a unit
    // vector (different inputs mostly land on different dimensions).
    vector.fill(0);
    addFeature(vector, fnv1a(input), 1);
    norm = 1;
  }
  const scale = 1 / Math.sqrt(norm);
  for (let i = 0; i < dimensions; i++) vector[i] = (vector[i] as number) * scale;
  return vector;
}

/** As OpenAI sends it: a JSON array of floats, or base64 of the little-endian float32 bytes. */
export function encodeVector(vector: Float32Array, format: 'float' | 'base64'): number[] | string {
  if (format === 'float') return Array.from(vector);
  return Buffer.from(vector.buffer, vector.byteOffset, vector.byteLength).toString('base64');
}
