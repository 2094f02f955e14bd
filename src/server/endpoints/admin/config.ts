// /admin/config: the running configuration for admins and operators, with every secret replaced.
import { authenticate } from '../../../pipeline/authenticate.ts';
import type { RequestContext } from '../../../pipeline/context.ts';
import { reply } from './admin-io.ts';

const SECRET_FIELDS = new Set(['api_key', 'headers']);

function redact(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(redact);
  if (typeof value !== 'object' || value === null) return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = SECRET_FIELDS.has(k) && v !== undefined ? '[redacted]' : redact(v);
  return out;
}

export async function getConfig(ctx: RequestContext): Promise<void> {
  await authenticate(ctx, 'config:read');
  await reply(ctx, 200, redact(ctx.runtime.config));
}
