// Stage 1: who is calling. Every endpoint but the two bare probes goes through here; there is no anonymous access.
// Credentials come as `Authorization: Bearer <key or JWT>` (the OpenAI SDKs) or `api-key: <key>` (Azure OpenAI
// clients). An API key is looked up in memory; a JWT is verified against the identity provider's keys (config
// `auth.oidc`). Failures are counted per client address (slowed, then refused with 429) and audited.
import type { IncomingHttpHeaders } from 'node:http';
import { GatewayError } from '../errors.ts';
import type { Principal } from '../auth/principal.ts';
import { requirePermission, type Permission, type Scope } from '../auth/permissions.ts';
import type { RequestContext } from './context.ts';

export function presentedKey(headers: IncomingHttpHeaders): string | undefined {
  const authorization = headers.authorization;
  if (authorization !== undefined) {
    const space = authorization.indexOf(' ');
    if (space > 0 && authorization.slice(0, space).toLowerCase() === 'bearer') {
      const key = authorization.slice(space + 1).trim();
      return key === '' ? undefined : key;
    }
    return undefined;
  }
  const apiKey = headers['api-key'];
  return typeof apiKey === 'string' && apiKey !== '' ? apiKey : undefined;
}

export function clientAddress(ctx: RequestContext): string {
  return ctx.req.socket.remoteAddress ?? 'unknown';
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** An API key's principal at once; a token's once its identity provider's keys have verified it. */
function identify(ctx: RequestContext, credential: string): Principal | Promise<Principal> {
  const { keys, identities } = ctx.services;
  if (identities !== undefined && identities.accepts(credential)) return identities.principalFor(credential);
  const found = keys.lookup(credential);
  if ('principal' in found) return found.principal;
  throw new GatewayError(
    'invalid_api_key',
    found.refused === 'expired' ? 'this API key has expired: ask for a new one' : 'the API key is not valid (unknown or revoked)',
  );
}

/**
 * The caller, or a 401/429. With `permission`, also a 403 unless the caller's role grants it. An API key is answered
 * at once (no promise: the usual request has nothing to wait for); a token, or a refusal, through a promise.
 */
export function authenticate(ctx: RequestContext, permission?: Permission): Principal | Promise<Principal> {
  const { authThrottle } = ctx.services;
  const client = clientAddress(ctx);
  const waitS = authThrottle.blockedFor(client);
  if (waitS > 0) {
    throw new GatewayError('too_many_auth_failures', `too many failed authentications from this address; try again in ${waitS} s`, { retryAfterS: waitS });
  }
  const headers = ctx.req.headers;
  const credential = presentedKey(headers);
  let identified: Principal | Promise<Principal>;
  try {
    if (credential === undefined) {
      throw new GatewayError(
        'missing_api_key',
        headers.authorization !== undefined
          ? 'the Authorization header must be "Bearer <your Archway key or token>"'
          : 'no API key: send "Authorization: Bearer <your Archway key>" (create one with `archway keys create`)',
      );
    }
    identified = identify(ctx, credential);
  } catch (err) {
    return refused(ctx, client, err);
  }
  if (identified instanceof Promise) return identified.then((principal) => admit(ctx, principal, permission), (err: unknown) => refused(ctx, client, err));
  return admit(ctx, identified, permission);
}

function admit(ctx: RequestContext, principal: Principal, permission: Permission | undefined): Principal {
  ctx.principal = principal;
  // A refusal (403) is audited where every 403 is: in the server's error handling.
  if (permission !== undefined) requirePermission(principal, permission);
  return principal;
}

/** Any error but a 401 goes on as it is; a 401 is audited, counted and answered late first (see refuse). */
async function refused(ctx: RequestContext, client: string, err: unknown): Promise<never> {
  if (!(err instanceof GatewayError) || err.status !== 401) throw err;
  await refuse(ctx, client, err);
  throw err;
}

/** The caller and the scope its role has for `permission` (over everything, its team, or what it owns), or a 403. */
export async function authorize(ctx: RequestContext, permission: Permission): Promise<{ principal: Principal; scope: Scope }> {
  const principal = await authenticate(ctx);
  return { principal, scope: requirePermission(principal, permission) };
}

/** A failed authentication: audited, counted, and answered late (or refused outright once the address is blocked). */
async function refuse(ctx: RequestContext, client: string, error: GatewayError): Promise<void> {
  const verdict = ctx.services.authThrottle.onFailure(client);
  ctx.services.audit.refused(ctx, undefined, error.message);
  if (verdict.blocked) {
    ctx.services.log.warn({ client, requestId: ctx.id }, 'authentication failures from this address: blocked');
    throw new GatewayError('too_many_auth_failures', `too many failed authentications from this address; try again in ${verdict.retryAfterS} s`, {
      retryAfterS: verdict.retryAfterS,
    });
  }
  if (verdict.delayMs > 0) await sleep(verdict.delayMs);
}
