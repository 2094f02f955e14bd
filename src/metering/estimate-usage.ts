// Usage counted by the gateway, for upstreams that do not report it on streams (some OpenAI-compatible servers
// ignore `stream_options.include_usage`). Tokens are counted with a real BPE tokenizer (gpt-tokenizer, o200k_base);
// for other model families the count is an estimate, marked as such in the log by being the gateway's own.
import type { Usage } from '../providers/adapter.ts';
import { TextMemo } from '../text-memo.ts';
import { messageText } from '../providers/message-text.ts';

type Counter = (text: string) => number;
let counter: Promise<Counter> | undefined;

/** Counts of texts seen lately: most texts of a request (history, system prompt) were counted on an earlier one. */
function memoized(count: Counter): Counter {
  const memo = new TextMemo<number>();
  return (text) => memo.through(text, count);
}

/** The tokenizer's tables are large: loaded on first use, not at start. */
function tokenCounter(): Promise<Counter> {
  counter ??= import('gpt-tokenizer').then((m) => memoized(m.countTokens));
  return counter;
}

// OpenAI's chat format adds a few tokens per message (role, separators) and to prime the reply.
const TOKENS_PER_MESSAGE = 4;
const REPLY_PRIMING = 3;

function chatPromptTokens(count: Counter, messages: unknown): number {
  let prompt = REPLY_PRIMING;
  if (Array.isArray(messages)) {
    for (const m of messages) prompt += TOKENS_PER_MESSAGE + count(messageText((m as { content?: unknown }).content));
  }
  return prompt;
}

/** Embeddings input: text, texts, or already tokens (an array of ids, or arrays of them). */
function inputTokens(count: Counter, input: unknown): number {
  if (typeof input === 'string') return count(input);
  if (!Array.isArray(input)) return 0;
  let tokens = 0;
  for (const item of input) tokens += typeof item === 'number' ? 1 : inputTokens(count, item);
  return tokens;
}

/** The prompt tokens of a chat or embeddings request, as a budget and a tokens-per-minute limit reserve them. */
export async function countPromptTokens(op: 'chat' | 'embeddings', body: Readonly<Record<string, unknown>>): Promise<number> {
  const count = await tokenCounter();
  return op === 'chat' ? chatPromptTokens(count, body.messages) : inputTokens(count, body.input);
}

export async function estimateUsage(messages: unknown, generated: string | undefined): Promise<Usage> {
  const count = await tokenCounter();
  const prompt = chatPromptTokens(count, messages);
  const completion = generated === undefined ? 0 : count(generated);
  return { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion };
}
