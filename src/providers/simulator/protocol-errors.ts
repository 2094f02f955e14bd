// Error bodies in the shape each real upstream uses, so a client (or the gateway's adapters) sees exactly what it
// would see from OpenAI, Azure OpenAI or Anthropic: the simulator is only useful if its failures are realistic too.

export type Dialect = 'openai' | 'azure' | 'anthropic';

/** Thrown inside a request handler; the server turns it into `status` with the dialect's error body. */
export class SimulatorHttpError extends Error {
  readonly status: number;
  readonly param: string | null;

  constructor(status: number, message: string, param: string | null = null) {
    super(message);
    this.name = 'SimulatorHttpError';
    this.status = status;
    this.param = param;
  }
}

function openaiType(status: number): string {
  if (status === 401) return 'authentication_error';
  if (status === 403) return 'permission_error';
  if (status === 404) return 'not_found_error';
  if (status === 429) return 'rate_limit_error';
  if (status >= 500) return 'server_error';
  return 'invalid_request_error';
}

function openaiCode(status: number): string | null {
  if (status === 401) return 'invalid_api_key';
  if (status === 429) return 'rate_limit_exceeded';
  return null;
}

function anthropicType(status: number): string {
  if (status === 401) return 'authentication_error';
  if (status === 403) return 'permission_error';
  if (status === 404) return 'not_found_error';
  if (status === 413) return 'request_too_large';
  if (status === 429) return 'rate_limit_error';
  if (status === 503 || status === 529) return 'overloaded_error';
  if (status >= 500) return 'api_error';
  return 'invalid_request_error';
}

/** The JSON error body `dialect` sends with `status`. */
export function errorBody(dialect: Dialect, status: number, message: string, param: string | null = null): string {
  switch (dialect) {
    case 'openai':
      return JSON.stringify({ error: { message, type: openaiType(status), param, code: openaiCode(status) } });
    case 'azure':
      // Azure's data plane answers `{error:{code,message}}` with the status (or a symbolic code) as the code.
      return JSON.stringify({ error: { code: azureCode(status), message } });
    case 'anthropic':
      return JSON.stringify({ type: 'error', error: { type: anthropicType(status), message } });
  }
}

function azureCode(status: number): string {
  if (status === 400) return 'BadRequest';
  return String(status);
}

/** The dialect a path speaks, so even a 404 for an unknown path comes in the shape its client expects. */
export function dialectOfPath(path: string): Dialect {
  if (path.startsWith('/openai/')) return 'azure';
  if (path === '/v1/messages' || path.startsWith('/v1/messages/')) return 'anthropic';
  return 'openai';
}
