// Writing responses: the headers every response carries (request id, Server-Timing, the serving backend) and the
// OpenAI error shape.
import type { OutgoingHttpHeaders } from 'node:http';
import { GatewayError } from '../errors.ts';
import type { RequestContext } from '../pipeline/context.ts';
import { meterAndLog } from '../pipeline/meter-and-log.ts';

/** `pendingUpstreamMs`: upstream time of an attempt still open (a stream), not yet in ctx.upstreamMs. */
export function serverTiming(ctx: RequestContext, pendingUpstreamMs = 0): string {
  const total = performance.now() - ctx.start;
  const upstream = ctx.upstreamMs + pendingUpstreamMs;
  return `gateway;dur=${(total - upstream).toFixed(2)}, upstream;dur=${upstream.toFixed(2)}`;
}

function baseHeaders(ctx: RequestContext, contentType: string, pendingUpstreamMs = 0): OutgoingHttpHeaders {
  const headers: OutgoingHttpHeaders = { 'content-type': contentType, 'x-request-id': ctx.id, 'server-timing': serverTiming(ctx, pendingUpstreamMs) };
  if (ctx.backend !== null) headers['x-archway-backend'] = ctx.backend;
  if (ctx.guardrails !== null) headers['x-archway-guardrails'] = [...ctx.guardrails].join(', ');
  if (ctx.extraHeaders !== null) Object.assign(headers, ctx.extraHeaders);
  return headers;
}

/** Starts a server-sent-events response (a stream): the usual headers, and none of the proxies' buffering. */
export function startEventStream(ctx: RequestContext, pendingUpstreamMs = 0): void {
  const headers = baseHeaders(ctx, 'text/event-stream; charset=utf-8', pendingUpstreamMs);
  headers['cache-control'] = 'no-cache';
  headers['x-accel-buffering'] = 'no';
  ctx.res.writeHead(200, headers);
}

/**
 * Sends a JSON response. When `record` is set (every /v1 request), the request-log row is made durable first, so a
 * response that reached the client always has its row, even if the process dies right after.
 */
export async function sendJson(ctx: RequestContext, status: number, body: string | Buffer, extra?: OutgoingHttpHeaders, record = true): Promise<void> {
  ctx.status = status;
  if (record) await meterAndLog(ctx);
  const headers = baseHeaders(ctx, 'application/json');
  headers['content-length'] = Buffer.byteLength(body);
  ctx.res.writeHead(status, extra ? { ...headers, ...extra } : headers);
  ctx.res.end(body);
}

/** Any error → the OpenAI error shape. Unknown errors are bugs: logged in full, shown to the client as a 500. */
export function toGatewayError(err: unknown): GatewayError {
  if (err instanceof GatewayError) return err;
  return new GatewayError('internal_error', 'internal error in the gateway; the request id identifies it in the logs', { cause: err });
}

export async function sendError(ctx: RequestContext, error: GatewayError, record = true): Promise<void> {
  ctx.error = error.message;
  if (ctx.res.headersSent) {
    // Too late for a status: the connection is cut so the client cannot take a partial answer for a whole one.
    ctx.status = error.status;
    if (record) await meterAndLog(ctx);
    ctx.res.destroy();
    return;
  }
  const extra: OutgoingHttpHeaders = { ...error.headers };
  if (error.retryAfterS !== undefined) extra['retry-after'] = String(error.retryAfterS);
  if (error.status === 413) extra.connection = 'close'; // the rest of an oversized body is not read
  await sendJson(ctx, error.status, JSON.stringify(error.toJSON()), extra, record);
}
