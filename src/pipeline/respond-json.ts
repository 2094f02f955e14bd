// A non-streamed completion or embedding: the upstream's whole answer is read inside the attempt (so a body that
// breaks off is still retried), translated to OpenAI's shape, recorded, then sent.
import type { Operation, TranslatedBody } from '../providers/adapter.ts';
import { sendJson } from '../server/respond.ts';
import type { ModelRoute } from '../upstream/runtime.ts';
import { UpstreamProtocolError } from '../upstream/attempt-failure.ts';
import type { RequestContext } from './context.ts';
import { routeToBackend } from './route.ts';
import { guardOutput } from './guard-output.ts';
import { storeAnswer } from './store-answer.ts';

/** Embeddings of a large batch are big; anything past this is a runaway upstream. */
const MAX_UPSTREAM_BODY = 256 * 1024 * 1024;

export async function respondJson(ctx: RequestContext, route: ModelRoute, op: Operation): Promise<void> {
  const { value, attempt } = await routeToBackend<TranslatedBody>(ctx, route, op, async (response, current) => {
    const raw = await response.readAll(MAX_UPSTREAM_BODY);
    if (raw.length === 0) throw new UpstreamProtocolError('empty response body');
    return current.backend.adapter.translateResponse(op, raw);
  });
  attempt.end('success');
  ctx.usage = value.usage;
  // Embeddings answers are vectors: nothing for a guardrail to read, and megabytes of digits to read it in.
  const raw = Buffer.isBuffer(value.body) ? value.body : Buffer.from(value.body);
  let body = raw;
  if (op === 'chat') {
    const guarded = guardOutput(ctx, ctx.runtime.guardrails.for(ctx.principal!, route.name), raw);
    body = Buffer.isBuffer(guarded) ? guarded : await guarded;
  }
  // Values masked for the model go back into its answer (as JSON string content, so escaped).
  if (ctx.vault !== null) body = Buffer.from(ctx.vault.restore(body.toString('utf8'), (v) => JSON.stringify(v).slice(1, -1)));
  ctx.responseBody = body;
  if (ctx.cachePlan !== null) storeAnswer(ctx, body, ctx.usage);
  await sendJson(ctx, 200, body);
}
