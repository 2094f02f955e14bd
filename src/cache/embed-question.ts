// The vector of a question, for the semantic cache: one embeddings call through the gateway's own routing (the
// configured embeddings model's backends, with their retries, breakers and bulkheads), on a context of its own so
// the request's attempts and backend stay those of its answer.
import type { RequestContext } from '../pipeline/context.ts';
import { routeToBackend } from '../pipeline/route.ts';
import type { TranslatedBody } from '../providers/adapter.ts';
import type { ModelRoute } from '../upstream/runtime.ts';
import { UpstreamProtocolError } from '../upstream/attempt-failure.ts';
import { costOf } from '../metering/pricing.ts';

export interface Embedded {
  readonly vector: Float32Array;
  /** What the call cost (USD), added to the request's. */
  readonly costUsd: number;
}

function vectorOf(body: string | Buffer): Float32Array {
  const parsed = JSON.parse(typeof body === 'string' ? body : body.toString('utf8')) as { data?: { embedding?: unknown }[] };
  const embedding = parsed.data?.[0]?.embedding;
  if (typeof embedding === 'string') {
    const bytes = Buffer.from(embedding, 'base64');
    return new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
  }
  if (Array.isArray(embedding) && embedding.every((v) => typeof v === 'number')) return Float32Array.from(embedding as number[]);
  throw new UpstreamProtocolError('the embeddings answer has no vector');
}

export async function embedQuestion(ctx: RequestContext, route: ModelRoute, text: string): Promise<Embedded> {
  const sub: RequestContext = {
    ...ctx,
    body: { model: route.name, input: text, encoding_format: 'base64' },
    attempts: 0,
    backend: null,
    price: undefined,
    upstreamMs: 0,
  };
  const { value, attempt } = await routeToBackend<TranslatedBody>(sub, route, 'embeddings', async (response, current) => {
    return current.backend.adapter.translateResponse('embeddings', await response.readAll(64 * 1024 * 1024));
  });
  attempt.end('success');
  ctx.upstreamMs += sub.upstreamMs;
  const costUsd = value.usage !== undefined && sub.price !== undefined ? costOf(value.usage, sub.price) : 0;
  return { vector: vectorOf(value.body), costUsd };
}
