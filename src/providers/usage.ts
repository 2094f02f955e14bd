// Reading an OpenAI-shaped `usage` object, whoever sent it.
import type { Usage } from './adapter.ts';

function count(value: unknown): number {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 ? value : 0;
}

/** OpenAI usage (chat or embeddings) → Usage; undefined when the value is not a usage object. */
export function usageFromOpenAI(value: unknown): Usage | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const u = value as Record<string, unknown>;
  const prompt = count(u.prompt_tokens);
  const completion = count(u.completion_tokens);
  const usage: Usage = { prompt_tokens: prompt, completion_tokens: completion, total_tokens: count(u.total_tokens) || prompt + completion };
  const promptDetails = u.prompt_tokens_details as Record<string, unknown> | undefined | null;
  const completionDetails = u.completion_tokens_details as Record<string, unknown> | undefined | null;
  if (promptDetails && count(promptDetails.cached_tokens)) usage.cached_tokens = count(promptDetails.cached_tokens);
  if (completionDetails && count(completionDetails.reasoning_tokens)) usage.reasoning_tokens = count(completionDetails.reasoning_tokens);
  return usage;
}

const USAGE_KEY = '"usage"';
/** Made once: a string needle is encoded into a new buffer by every search. */
const USAGE_KEY_BYTES = Buffer.from(USAGE_KEY);

/** A JSON body as received (a Buffer) or as text (a stream's chunk). */
type JsonText = Buffer | string;

function codeAt(raw: JsonText, at: number): number | undefined {
  return typeof raw === 'string' ? raw.charCodeAt(at) : raw[at];
}

function skipSpace(raw: JsonText, at: number): number {
  for (;;) {
    const c = codeAt(raw, at);
    if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) return at;
    at++;
  }
}

/**
 * Finds the top-level `"usage": {…}` of a JSON body without parsing the whole body: OpenAI puts usage last, and an
 * embeddings body can be megabytes of numbers we have no other reason to parse (a stream's usage chunk, a few hundred
 * bytes, still cost three times as much to parse whole).
 */
export function extractUsage(raw: JsonText): Usage | undefined {
  const key = typeof raw === 'string' ? raw.lastIndexOf(USAGE_KEY) : raw.lastIndexOf(USAGE_KEY_BYTES);
  if (key < 0) return undefined;
  // The value itself must be an object: after `"usage":null` a search for the next "{" found some later object
  // (a choice, a message) and read it as a usage of zeros.
  let open = skipSpace(raw, key + 7);
  if (codeAt(raw, open) !== 0x3a /* : */) return undefined;
  open = skipSpace(raw, open + 1);
  if (codeAt(raw, open) !== 0x7b /* { */) return undefined;
  let depth = 0;
  for (let i = open; i < raw.length; i++) {
    const c = codeAt(raw, i);
    if (c === 0x7b) depth++;
    else if (c === 0x7d && --depth === 0) {
      try {
        return usageFromOpenAI(JSON.parse(typeof raw === 'string' ? raw.slice(open, i + 1) : raw.toString('utf8', open, i + 1)));
      } catch {
        return undefined;
      }
    }
  }
  return undefined;
}

/** The message of an error body in OpenAI's shape (also Azure's), else a bounded excerpt of the raw text. */
export function openAIErrorMessage(status: number, raw: Buffer): string {
  const text = raw.toString('utf8', 0, Math.min(raw.length, 64 * 1024));
  try {
    const parsed = JSON.parse(text) as { error?: { message?: unknown } | string; message?: unknown };
    if (typeof parsed.error === 'object' && typeof parsed.error?.message === 'string') return parsed.error.message;
    if (typeof parsed.error === 'string') return parsed.error;
    if (typeof parsed.message === 'string') return parsed.message;
  } catch {
    // not JSON: fall through to the excerpt
  }
  const excerpt = text.trim().slice(0, 500);
  return excerpt === '' ? `upstream answered HTTP ${status}` : excerpt;
}
