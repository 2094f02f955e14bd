// The simulated model's output and the cheap token arithmetic around it. A "token" is one word of a fixed lorem-like
// text, so answers are deterministic (tests can compare a stream with its non-streamed twin) and cost nothing to make.

const WORDS = (
  'lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod tempor incididunt ut labore et dolore ' +
  'magna aliqua ut enim ad minim veniam quis nostrud exercitation ullamco laboris nisi ut aliquip ex ea commodo ' +
  'consequat duis aute irure dolor in reprehenderit in voluptate velit esse cillum dolore eu fugiat nulla pariatur'
).split(' ');

/** Token `i` as it appears in the running text: every word but the first carries its leading space. */
function token(i: number): string {
  const word = WORDS[i % WORDS.length] as string;
  return i === 0 ? word : ' ' + word;
}

/** Tokens [from, to) of the answer, concatenated. */
export function tokenSpan(from: number, to: number): string {
  let out = '';
  for (let i = from; i < to; i++) out += token(i);
  return out;
}

/** The whole answer of `tokens` tokens: exactly the concatenation of its stream chunks. */
export function completionText(tokens: number): string {
  return tokenSpan(0, tokens);
}

/** How many stream chunks an answer of `tokens` tokens takes at `chunkTokens` per chunk. */
export function chunkCount(tokens: number, chunkTokens: number): number {
  return Math.ceil(tokens / chunkTokens);
}

/** Chunk `i` of an answer of `tokens` tokens. */
export function chunkText(i: number, tokens: number, chunkTokens: number): string {
  const from = i * chunkTokens;
  return tokenSpan(from, Math.min(tokens, from + chunkTokens));
}

/** The usual 4-characters-a-token estimate: a real tokenizer per request would make the simulator the bottleneck. */
export function estimateTokens(chars: number): number {
  return Math.ceil(chars / 4);
}

/**
 * Characters of text in a message `content` as both OpenAI and Anthropic shape it: a string, or an array of parts
 * whose text parts carry `text`. Anything else counts as nothing rather than failing the request.
 */
export function contentChars(content: unknown): number {
  if (typeof content === 'string') return content.length;
  if (!Array.isArray(content)) return 0;
  let chars = 0;
  for (const part of content) {
    if (part !== null && typeof part === 'object' && 'text' in part && typeof part.text === 'string') chars += part.text.length;
  }
  return chars;
}
