// A streamed chat completion. The attempt reads up to the upstream's first event before anything is sent, so a
// backend that fails early is still retried; from then on events are forwarded as they arrive (never buffered), with
// backpressure from the client. A stream that ends before the upstream's end-of-stream gets an explicit error event,
// never a quiet `[DONE]`; and `[DONE]` itself is held until the request-log row is durable.
import { ERRORS } from '../errors.ts';
import type { StreamTranslator } from '../providers/adapter.ts';
import { startEventStream } from '../server/respond.ts';
import { SseParser } from '../streaming/sse-parser.ts';
import { SSE_DONE_FRAME, sseFrame } from '../streaming/sse-event.ts';
import type { ModelRoute } from '../upstream/runtime.ts';
import { classifyError, UpstreamProtocolError } from '../upstream/attempt-failure.ts';
import type { UpstreamExchange } from '../upstream/upstream-exchange.ts';
import type { RequestContext } from './context.ts';
import { meterAndLog } from './meter-and-log.ts';
import { estimateUsage } from '../metering/estimate-usage.ts';
import { routeToBackend, type Attempt } from './route.ts';
import { StreamOutputGuard, type StreamGuardResult } from '../guardrails/stream-guard.ts';
import { StreamAssembler } from '../cache/stream-assembler.ts';
import { storeAnswer } from './store-answer.ts';

interface OpenedStream {
  readonly translator: StreamTranslator;
  readonly parser: SseParser;
  readonly first: string;
  /** Upstream events that produced output: a token estimate when the upstream reports no usage. */
  readonly counted: { events: number };
}

function translate(parser: SseParser, translator: StreamTranslator, chunk: Buffer, counted: { events: number }): string {
  let out = '';
  for (const event of parser.push(chunk)) {
    const frames = translator.push(event);
    if (frames !== undefined) {
      out += frames;
      counted.events++;
    }
  }
  return out;
}

async function open(response: UpstreamExchange, attempt: Attempt, clientWantsUsage: boolean): Promise<OpenedStream> {
  const translator = attempt.backend.adapter.createStreamTranslator({ clientWantsUsage, keepText: attempt.backend.streamsLackUsage });
  const parser = new SseParser();
  const counted = { events: 0 };
  let first = '';
  while (first === '' && !translator.done) {
    const chunk = response.take();
    if (chunk === undefined) {
      await response.arrival();
      continue;
    }
    if (chunk === null) throw new UpstreamProtocolError('the stream ended before its first event');
    first = translate(parser, translator, chunk, counted);
  }
  return { translator, parser, first, counted };
}

/** Resolves when the client can take more, or has gone away. */
function drained(ctx: RequestContext): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      ctx.res.off('drain', done).off('close', done);
      resolve();
    };
    ctx.res.on('drain', done).on('close', done);
  });
}

function errorFrame(code: string, message: string): string {
  return sseFrame(JSON.stringify({ error: { message, type: 'server_error', code } }));
}

export async function respondStream(ctx: RequestContext, route: ModelRoute): Promise<void> {
  const streamOptions = ctx.body!.stream_options as { include_usage?: unknown } | null | undefined;
  const clientWantsUsage = streamOptions?.include_usage === true;
  const { value: stream, attempt } = await routeToBackend(ctx, route, 'chat', (response, current) => open(response, current, clientWantsUsage));
  const { translator, parser, counted } = stream;
  const upstream = attempt.exchange;
  const { res } = ctx;

  ctx.status = 200;
  // The attempt is still open (it ends with the stream), so its wait so far counts as upstream time in the header.
  startEventStream(ctx, performance.now() - attempt.startedAt);
  const guard = new StreamOutputGuard(ctx.runtime.guardrails.for(ctx.principal!, route.name), ctx.vault);
  let blocked: StreamGuardResult['blocked'];
  // Only for requests the cache stage planned to store: the answer is rebuilt from what the client was sent.
  // An answer too long to keep (a quarter of the exact cache's memory) is not rebuilt.
  const assembler = ctx.cachePlan !== null ? new StreamAssembler({ maxChars: ctx.runtime.config.cache.exact.max_bytes / 4 }) : undefined;
  const write = (frames: string): boolean => {
    if (guard.active) {
      const checked = guard.push(frames);
      frames = checked.frames;
      blocked = checked.blocked;
    }
    if (assembler !== undefined && frames !== '') assembler.pushFrames(frames);
    if (ctx.ttftMs === null && translator.sawContent) ctx.ttftMs = performance.now() - ctx.start;
    return frames === '' || res.write(frames);
  };
  write(stream.first);

  let failure: string | undefined;
  try {
    while (blocked === undefined) {
      const chunk = upstream.take();
      if (chunk === undefined) {
        await upstream.arrival();
        continue;
      }
      if (chunk === null) break;
      const out = translate(parser, translator, chunk, counted);
      if (out !== '' && !write(out) && !res.destroyed) await drained(ctx);
      if (res.destroyed) break;
    }
  } catch (err) {
    failure = ctx.clientGone.gone ? 'client closed the connection' : (classifyError(err, attempt.backend.timeouts)?.message ?? String(err));
  }
  if (blocked === undefined && guard.active && translator.done && failure === undefined) {
    const rest = guard.flush();
    blocked = rest.blocked;
    if (rest.frames !== '') {
      assembler?.pushFrames(rest.frames);
      res.write(rest.frames);
    }
  }
  if (blocked !== undefined) {
    // The answer broke an output guardrail: the stream ends here, saying why, and the upstream is let go.
    attempt.end('success');
    attempt.abort(new Error('output blocked by a guardrail'));
    ctx.usage = translator.usage;
    ctx.error = `output blocked by the guardrail "${blocked.guardrail}" (${blocked.types.join(', ')})`;
    await meterAndLog(ctx);
    res.end(guard.contentFilterFrame() + errorFrame(`guardrail_blocked:${blocked.guardrail}`, `the answer was stopped by the guardrail "${blocked.guardrail}"`));
    return;
  }
  ctx.usage = translator.usage;
  if (ctx.usage === undefined && translator.done) {
    // The upstream ignored include_usage: count this stream's tokens here, and keep the text of its next ones.
    // Until then (this first stream), a chunk of an OpenAI stream is taken as a token, less the role and finish chunks.
    const usage = await estimateUsage(ctx.body!.messages, translator.text);
    if (translator.text === undefined) usage.completion_tokens = Math.max(0, counted.events - 2);
    usage.total_tokens = usage.prompt_tokens + usage.completion_tokens;
    ctx.usage = usage;
    attempt.backend.streamsLackUsage = true;
  }

  if (ctx.clientGone.gone || res.destroyed) {
    attempt.end('neutral');
    attempt.abort(new Error('client gone'));
    ctx.status = ERRORS.client_closed_request.status;
    ctx.error = 'client closed the connection before the stream ended';
    await meterAndLog(ctx);
    return;
  }
  if (translator.done && failure === undefined) {
    attempt.end('success');
    ctx.error = translator.upstreamError ?? null;
    if (assembler !== undefined && ctx.error === null) {
      const assembled = assembler.finish(ctx.usage);
      if (assembled.ok) storeAnswer(ctx, assembled.body, assembled.usage, assembled.completion);
    }
    await meterAndLog(ctx);
    res.end(SSE_DONE_FRAME);
    return;
  }
  // The upstream stopped before its end-of-stream: say so in the stream, and count it against the backend.
  attempt.end('failure');
  const reason = failure ?? 'the upstream closed the stream before it was complete';
  ctx.status = ERRORS.stream_interrupted.status;
  ctx.error = `stream interrupted: ${reason}`;
  await meterAndLog(ctx);
  res.end(errorFrame('stream_interrupted', `the stream from ${attempt.backend.name} was interrupted: ${reason}. The answer above is incomplete.`));
}
