// Stage 1: who is calling. Every endpoint but the two bare probes goes through here; there is no anonymous access.
// Keys come as `Authorization: Bearer <key>` (the OpenAI SDKs) or `api-key: <key>` (Azure OpenAI clients).
import type { IncomingHttpHeaders } from 'node:http';
import { GatewayError } from '../errors.ts';
import type { KeyIndex } from '../auth/key-index.ts';
import type { Principal } from '../auth/principal.ts';

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

export function authenticate(headers: IncomingHttpHeaders, keys: KeyIndex): Principal {
  const key = presentedKey(headers);
  if (key === undefined) {
    throw new GatewayError(
      'missing_api_key',
      headers.authorization !== undefined
        ? 'the Authorization header must be "Bearer <your Archway key>"'
        : 'no API key: send "Authorization: Bearer <your Archway key>" (create one with `archway keys create`)',
    );
  }
  const found = keys.lookup(key);
  if ('principal' in found) return found.principal;
  throw new GatewayError(
    'invalid_api_key',
    found.refused === 'expired' ? 'this API key has expired: ask for a new one' : 'the API key is not valid (unknown or revoked)',
  );
}
