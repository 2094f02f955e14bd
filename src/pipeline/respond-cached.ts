// A cache hit: the stored answer as JSON, or replayed as a stream when the request streams. Nothing is paid upstream
// for it; what it cost when it was made is metered as saved. The answer goes through the caller's output guardrails
// as a fresh one would: it passed those of the request that produced it, which may have been another key's.
import type { CacheHit } from './lookup-cache.ts';
import { setResponseHeader, type RequestContext } from './context.ts';
import { answerAsStream } from '../cache/answer-as-stream.ts';
import { sendJson, startEventStream } from '../server/respond.ts';
import { meterAndLog } from './meter-and-log.ts';
import { guardOutput } from './guard-output.ts';
import type { ModelRoute } from '../upstream/runtime.ts';

/** Sends the hit (lookup-cache returns a streamed request only answers a stream can replay). */
export async function respondCached(ctx: RequestContext, route: ModelRoute, hit: CacheHit): Promise<void> {
  const { answer } = hit;
  const body = await guardOutput(ctx, ctx.runtime.guardrails.for(ctx.principal!, route.name), answer.body);
  let frames: string[] | undefined;
  if (ctx.stream) {
    const options = ctx.body!.stream_options as { include_usage?: unknown } | null | undefined;
    frames = answerAsStream(body, { includeUsage: options?.include_usage === true });
    if (frames === undefined) throw new Error('a cached answer marked streamable could not be replayed as a stream');
  }
  ctx.cache = hit.kind;
  ctx.usage = answer.usage;
  ctx.savedUsd = answer.costUsd;
  setResponseHeader(ctx, 'x-archway-cache', hit.kind === 'exact' ? 'hit; exact' : `hit; semantic; similarity=${hit.similarity.toFixed(4)}`);
  if (frames === undefined) {
    ctx.responseBody = body;
    await sendJson(ctx, 200, body);
    return;
  }
  ctx.status = 200;
  ctx.ttftMs = performance.now() - ctx.start;
  startEventStream(ctx);
  const done = frames.pop()!;
  ctx.res.write(frames.join(''));
  // As for any stream: [DONE] goes out once the request's row is durable.
  await meterAndLog(ctx);
  ctx.res.end(done);
}
