// Writes a simulated SSE answer: the opening frames, the content frames paced like a model generating at
// `tokens_per_second`, then the closing frames. Both OpenAI and Anthropic streams are this shape; only the frames
// differ. A cut stream sends about half the content, then drops the connection before the closing frames.
import type { SimulatorSettings } from '../../config/schema.ts';
import { cutConnection, delay, writeFrame } from './http-io.ts';
import type { RequestContext } from './request-context.ts';

export interface SsePlan {
  readonly head: readonly string[];
  readonly chunks: number;
  chunk(i: number): string;
  readonly tail: readonly string[];
}

/** Milliseconds between two content chunks; 0 when pacing is off. */
export function chunkIntervalMs(settings: Readonly<SimulatorSettings>): number {
  return settings.tokens_per_second > 0 ? (settings.chunk_tokens / settings.tokens_per_second) * 1000 : 0;
}

/** How long generating `tokens` takes at the configured pace: what a non-streamed answer waits. */
export function generationMs(settings: Readonly<SimulatorSettings>, tokens: number): number {
  return settings.tokens_per_second > 0 ? (tokens / settings.tokens_per_second) * 1000 : 0;
}

export async function streamSse(ctx: RequestContext, plan: SsePlan, cut: boolean): Promise<void> {
  const { res, signal } = ctx;
  res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache' });
  for (const frame of plan.head) if (!(await writeFrame(res, frame, signal))) return;

  const interval = chunkIntervalMs(ctx.settings);
  const cutAfter = cut ? Math.ceil(plan.chunks / 2) : Infinity;
  const start = performance.now();
  for (let i = 0; i < plan.chunks; i++) {
    // Scheduled against the start, not the previous write, so timer jitter does not accumulate over a long answer.
    if (interval > 0 && i > 0 && !(await delay(start + i * interval - performance.now(), signal))) return;
    if (!(await writeFrame(res, plan.chunk(i), signal))) return;
    if (i + 1 >= cutAfter) {
      cutConnection(res);
      return;
    }
  }
  for (const frame of plan.tail) if (!(await writeFrame(res, frame, signal))) return;
  res.end();
}
