// Which endpoint a method and path address. Kept apart from the server so the table of what the simulator serves
// reads in one place.
import { dialectOfPath, type Dialect } from './protocol-errors.ts';

export type Endpoint =
  | { readonly kind: 'chat' | 'embeddings'; readonly dialect: 'openai' | 'azure'; readonly deployment?: string }
  | { readonly kind: 'messages'; readonly dialect: 'anthropic' }
  | { readonly kind: 'models'; readonly dialect: 'openai' }
  | { readonly kind: 'health' | 'faults' | 'stats' }
  | { readonly kind: 'method_not_allowed'; readonly dialect: Dialect; readonly allow: string }
  | { readonly kind: 'not_found'; readonly dialect: Dialect };

/** `method` lists the allowed methods separated by "|". */
interface Fixed {
  readonly method: string;
  readonly endpoint: Endpoint;
}

const FIXED: ReadonlyMap<string, Fixed> = new Map<string, Fixed>([
  ['/v1/chat/completions', { method: 'POST', endpoint: { kind: 'chat', dialect: 'openai' } }],
  ['/v1/embeddings', { method: 'POST', endpoint: { kind: 'embeddings', dialect: 'openai' } }],
  ['/v1/models', { method: 'GET', endpoint: { kind: 'models', dialect: 'openai' } }],
  ['/v1/messages', { method: 'POST', endpoint: { kind: 'messages', dialect: 'anthropic' } }],
  ['/health', { method: 'GET', endpoint: { kind: 'health' } }],
  ['/_simulator/faults', { method: 'GET|PUT', endpoint: { kind: 'faults' } }],
  ['/_simulator/stats', { method: 'GET', endpoint: { kind: 'stats' } }],
]);

const AZURE = /^\/openai\/deployments\/([^/]+)\/(chat\/completions|embeddings)$/;

function allowed(method: string, allow: string): boolean {
  return allow.split('|').includes(method);
}

export function matchRoute(method: string, path: string): Endpoint {
  const fixed = FIXED.get(path);
  if (fixed !== undefined) {
    if (allowed(method, fixed.method)) return fixed.endpoint;
    return { kind: 'method_not_allowed', dialect: dialectOfPath(path), allow: fixed.method.replace('|', ', ') };
  }
  const azure = AZURE.exec(path);
  if (azure !== null) {
    if (method !== 'POST') return { kind: 'method_not_allowed', dialect: 'azure', allow: 'POST' };
    let deployment: string;
    try {
      deployment = decodeURIComponent(azure[1] as string);
    } catch {
      return { kind: 'not_found', dialect: 'azure' };
    }
    return { kind: azure[2] === 'embeddings' ? 'embeddings' : 'chat', dialect: 'azure', deployment };
  }
  return { kind: 'not_found', dialect: dialectOfPath(path) };
}
