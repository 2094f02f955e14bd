// What a semantic cache lookup compares, and within what. Only the last user message is embedded and compared;
// everything else must match exactly, so it goes into the scope: the tenant, the model and its version, the
// embeddings model (vectors of two models are not comparable), and a hash of the rest of the request — the system
// prompt, the conversation around the last user message, and the parameters that shape an answer (tools,
// response_format, temperature, max_tokens…). A paraphrase asked in another conversation, with another system prompt
// or for JSON instead of prose is another question, even if its last message reads the same.
import { createHash } from 'node:crypto';
import { canonicalJson } from '../canonical-json.ts';
import { FIELDS_NOT_IN_KEY } from './exact-key.ts';

export interface SemanticScopeParts {
  readonly tenant: string;
  readonly model: string;
  readonly modelVersion: string;
  readonly embeddingsModel: string;
  /** The chat request, validated. */
  readonly body: Readonly<Record<string, unknown>>;
}

function lastUserIndex(messages: readonly unknown[]): number {
  for (let i = messages.length - 1; i >= 0; i--) {
    const message = messages[i];
    if (typeof message === 'object' && message !== null && (message as Record<string, unknown>)['role'] === 'user') return i;
  }
  return -1;
}

/** The text of a user message's content: a string, or parts that are all text (an image or a file: undefined). */
function textOf(content: unknown): string | undefined {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return undefined;
  let text: string | undefined;
  for (const part of content) {
    if (typeof part !== 'object' || part === null) return undefined;
    const { type, text: partText } = part as Record<string, unknown>;
    if (type !== 'text' || typeof partText !== 'string') return undefined;
    text = text === undefined ? partText : `${text}\n${partText}`;
  }
  return text;
}

/**
 * The text of the last user message, what the semantic cache embeds; undefined when there is none, it is blank, or it
 * holds more than text (an image question cannot be matched by its words).
 */
export function lastUserText(messages: unknown): string | undefined {
  if (!Array.isArray(messages)) return undefined;
  const at = lastUserIndex(messages);
  if (at < 0) return undefined;
  const text = textOf((messages[at] as Record<string, unknown>)['content']);
  return text === undefined || text.trim() === '' ? undefined : text;
}

/**
 * The scope string (43 characters of base64url) entries are grouped by; undefined when the request has no last user
 * message with text (see lastUserText), so it is not semantically cacheable.
 */
export function semanticScope(parts: SemanticScopeParts): string | undefined {
  const messages = parts.body['messages'];
  if (lastUserText(messages) === undefined) return undefined;
  const list = messages as readonly unknown[];
  const at = lastUserIndex(list);
  // The request as it is, but for the last user message's content: the one part compared by meaning, not by bytes.
  const around = list.slice();
  around[at] = { ...(list[at] as Record<string, unknown>), content: null };
  const kept: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(parts.body)) if (!FIELDS_NOT_IN_KEY.has(name)) kept[name] = value;
  kept['messages'] = around;
  let rest: string;
  try {
    rest = canonicalJson(kept);
  } catch (err) {
    // Nested too deep to write out: such a request is not cached.
    if (err instanceof RangeError) return undefined;
    throw err;
  }
  return createHash('sha256')
    .update(JSON.stringify([parts.tenant, parts.model, parts.modelVersion, parts.embeddingsModel]))
    .update(rest)
    .digest('base64url');
}
