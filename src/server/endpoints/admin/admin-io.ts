// Reading and answering admin API requests: small JSON bodies checked strictly against their schema (an unknown
// field is an error, not ignored), query parameters, and JSON answers. Admin requests are not in the request log:
// what they change is in the audit log.
import { GatewayError } from '../../../errors.ts';
import { parseJsonBody } from '../../../pipeline/parse-body.ts';
import type { RequestContext } from '../../../pipeline/context.ts';
import type { Validator } from '../../../validation/compile.ts';
import { sendJson } from '../../respond.ts';

const MAX_ADMIN_BODY = 64 * 1024;

export async function readBody<T>(ctx: RequestContext, validate: Validator<T>): Promise<T> {
  const body = await parseJsonBody(ctx.req, MAX_ADMIN_BODY, 'the admin API limit');
  if (!validate(body)) {
    const problems = validate.errors();
    const message = problems.map((p) => (p.path === '' ? p.message : `${p.path} ${p.message}`)).slice(0, 5).join('; ');
    throw new GatewayError('invalid_request', `invalid request: ${message}`, problems[0]?.path ? { param: problems[0].path } : {});
  }
  return body;
}

export function query(ctx: RequestContext): URLSearchParams {
  const url = ctx.req.url ?? '';
  const q = url.indexOf('?');
  return new URLSearchParams(q < 0 ? '' : url.slice(q + 1));
}

/** A positive integer query parameter within bounds, or a 400 naming it. */
export function intParam(params: URLSearchParams, name: string, fallback: number, max: number): number {
  const raw = params.get(name);
  if (raw === null) return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0 || value > max) {
    throw new GatewayError('invalid_request', `the query parameter ${name} must be an integer from 0 to ${max}`, { param: name });
  }
  return value;
}

/** An ISO date or epoch-ms query parameter, or a 400 naming it. */
export function timeParam(params: URLSearchParams, name: string): number | undefined {
  const raw = params.get(name);
  if (raw === null) return undefined;
  const value = /^\d+$/.test(raw) ? Number(raw) : Date.parse(raw);
  if (!Number.isFinite(value)) throw new GatewayError('invalid_request', `the query parameter ${name} must be an ISO date or epoch milliseconds`, { param: name });
  return value;
}

export function reply(ctx: RequestContext, status: number, value: unknown): Promise<void> {
  return sendJson(ctx, status, JSON.stringify(value), undefined, false);
}

export function notFound(what: string): GatewayError {
  return new GatewayError('not_found', `${what} not found (or not yours to see)`);
}
