// Usage counted by the gateway, for upstreams that do not report it on streams (some OpenAI-compatible servers
// ignore `stream_options.include_usage`). Tokens are counted with a real BPE tokenizer (gpt-tokenizer, o200k_base);
// for other model families the count is an estimate, marked as such in the log by being the gateway's own.
import type { Usage } from '../providers/adapter.ts';

type Counter = (text: string) => number;
let counter: Promise<Counter> | undefined;

/** The tokenizer's tables are large: loaded on first use, not at start. */
function tokenCounter(): Promise<Counter> {
  counter ??= import('gpt-tokenizer').then((m) => m.countTokens);
  return counter;
}

// OpenAI's chat format adds a few tokens per message (role, separators) and to prime the reply.
const TOKENS_PER_MESSAGE = 4;
const REPLY_PRIMING = 3;

function messageText(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  let text = '';
  for (const part of content) {
    const p = part as { type?: unknown; text?: unknown };
    if (p?.type === 'text' && typeof p.text === 'string') text += p.text;
  }
  return text;
}

export async function estimateUsage(messages: unknown, generated: string | undefined): Promise<Usage> {
  const count = await tokenCounter();
  let prompt = REPLY_PRIMING;
  if (Array.isArray(messages)) {
    for (const m of messages) prompt += TOKENS_PER_MESSAGE + count(messageText((m as { content?: unknown }).content));
  }
  const completion = generated === undefined ? 0 : count(generated);
  return { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion };
}
