// The constrained API: what a caller may send, per the config's `limits` overridden by its team's and its key's.
// A ceiling on max_tokens (and a default of that ceiling when the request names none), a message count, a body size,
// and an allowlist of top-level parameters whose others are refused with a 400 or dropped, as configured.
import { GatewayError } from '../errors.ts';
import type { ApiLimits } from '../config/security-schema.ts';
import type { Operation } from '../providers/adapter.ts';
import type { LimitsOverride } from '../stores/key-store.ts';

/** Always allowed: without them there is no request. */
const ESSENTIAL: Readonly<Record<Operation, ReadonlySet<string>>> = {
  chat: new Set(['model', 'messages']),
  embeddings: new Set(['model', 'input']),
};

export function effectiveLimits(config: ApiLimits, own: LimitsOverride | null): ApiLimits {
  return own === null ? config : { ...config, ...own };
}

const SERVER_LIMIT = 'server.max_body_bytes';
const KEY_LIMIT = "the max_body_bytes of this key's limits";

/** The body size limit and where it comes from (for the 413's message). */
export function bodyLimit(serverMax: number, limits: ApiLimits): [number, string] {
  return limits.max_body_bytes === undefined || limits.max_body_bytes >= serverMax ? [serverMax, SERVER_LIMIT] : [limits.max_body_bytes, KEY_LIMIT];
}

export function enforceLimits(op: Operation, body: Record<string, unknown>, limits: ApiLimits): void {
  if (limits.allowed_params !== undefined) {
    const essential = ESSENTIAL[op];
    for (const name of Object.keys(body)) {
      if (essential.has(name) || limits.allowed_params.includes(name)) continue;
      if (limits.disallowed_params === 'drop') {
        delete body[name];
        continue;
      }
      throw new GatewayError('limit_exceeded', `the parameter "${name}" is not allowed for this key; allowed: ${[...essential, ...limits.allowed_params].join(', ')}`, {
        param: name,
      });
    }
  }
  if (op !== 'chat') {
    if (limits.max_messages !== undefined && Array.isArray(body.input) && body.input.length > limits.max_messages) {
      throw new GatewayError('limit_exceeded', `at most ${limits.max_messages} inputs per request for this key (got ${body.input.length})`, { param: 'input' });
    }
    return;
  }
  const messages = body.messages as unknown[];
  if (limits.max_messages !== undefined && messages.length > limits.max_messages) {
    throw new GatewayError('limit_exceeded', `at most ${limits.max_messages} messages per request for this key (got ${messages.length})`, { param: 'messages' });
  }
  const ceiling = limits.max_tokens;
  if (ceiling === undefined) return;
  let named = false;
  for (const field of ['max_tokens', 'max_completion_tokens'] as const) {
    const value = body[field];
    if (typeof value !== 'number') continue;
    named = true;
    if (value > ceiling) {
      throw new GatewayError('limit_exceeded', `${field} is ${value}, above this key's ceiling of ${ceiling}; ask for ${ceiling} or fewer`, { param: field });
    }
  }
  // Unbounded output would bypass the ceiling: the request gets the ceiling as its limit.
  if (!named) body.max_tokens = ceiling;
}
