// The one registry of errors a client can see. Every code maps to an HTTP status and an OpenAI error `type`, so
// the official SDKs raise the class they would raise against OpenAI (401 → AuthenticationError, 429 →
// RateLimitError, …). Handlers throw `GatewayError`; the server turns it into `{"error":{message,type,code,param}}`.

export type OpenAIErrorType =
  | 'invalid_request_error'
  | 'authentication_error'
  | 'permission_error'
  | 'not_found_error'
  | 'rate_limit_error'
  | 'insufficient_quota'
  | 'server_error'
  | 'service_unavailable';

interface ErrorSpec {
  readonly status: number;
  readonly type: OpenAIErrorType;
}

export const ERRORS = {
  invalid_json: { status: 400, type: 'invalid_request_error' },
  invalid_request: { status: 400, type: 'invalid_request_error' },
  unsupported_media_type: { status: 415, type: 'invalid_request_error' },
  body_too_large: { status: 413, type: 'invalid_request_error' },
  operation_not_supported: { status: 400, type: 'invalid_request_error' },
  missing_api_key: { status: 401, type: 'authentication_error' },
  invalid_api_key: { status: 401, type: 'authentication_error' },
  model_not_allowed: { status: 403, type: 'permission_error' },
  permission_denied: { status: 403, type: 'permission_error' },
  /** An attribute policy of the config refused the request; the message names the policy. */
  policy_denied: { status: 403, type: 'permission_error' },
  /** A parameter, a max_tokens or a size beyond what the caller's key or team allows. */
  limit_exceeded: { status: 400, type: 'invalid_request_error' },
  /** Too many failed authentications from one client address. */
  too_many_auth_failures: { status: 429, type: 'rate_limit_error' },
  /** The identity provider's signing keys could not be fetched, so no token can be checked. */
  identity_provider_unavailable: { status: 503, type: 'service_unavailable' },
  conflict: { status: 409, type: 'invalid_request_error' },
  /** A guardrail with action `block` found something; the code sent is `guardrail_blocked:<guardrail name>`. */
  guardrail_blocked: { status: 400, type: 'invalid_request_error' },
  not_found: { status: 404, type: 'not_found_error' },
  model_not_found: { status: 404, type: 'invalid_request_error' },
  route_not_found: { status: 404, type: 'not_found_error' },
  method_not_allowed: { status: 405, type: 'invalid_request_error' },
  backend_busy: { status: 429, type: 'rate_limit_error' },
  /** A key's, team's or model's requests or tokens per minute are used up. */
  rate_limited: { status: 429, type: 'rate_limit_error' },
  /** A hard budget is spent until its period ends (OpenAI's type for an exhausted quota). */
  budget_exceeded: { status: 429, type: 'insufficient_quota' },
  /** Redis, which holds shared budgets and rate limits, does not answer, and the config says fail-closed. */
  quota_state_unavailable: { status: 503, type: 'service_unavailable' },
  upstream_rate_limited: { status: 429, type: 'rate_limit_error' },
  upstream_rejected: { status: 400, type: 'invalid_request_error' },
  upstream_error: { status: 502, type: 'server_error' },
  upstream_unavailable: { status: 503, type: 'service_unavailable' },
  stream_interrupted: { status: 502, type: 'server_error' },
  /** nginx's 499: only ever in the request log and metrics, as nobody is left to receive it. */
  client_closed_request: { status: 499, type: 'invalid_request_error' },
  internal_error: { status: 500, type: 'server_error' },
} as const satisfies Record<string, ErrorSpec>;

export type ErrorCode = keyof typeof ERRORS;

/** How the messages of `backend_busy` and `upstream_rate_limited` begin ("every backend of the model is full or rate
 *  limited"): the utilization report finds a model's throttled requests in the request log by it. */
export const MODEL_SATURATED = 'every backend of model ';

export interface GatewayErrorOptions {
  /** The request field at fault, as OpenAI's `param`. */
  param?: string;
  /** Seconds the client should wait; sent as `Retry-After`. */
  retryAfterS?: number;
  /** Overrides the registry status: an upstream 4xx relayed as-is keeps its own status. */
  status?: number;
  /** A more specific code for the body than the registry's (e.g. naming the guardrail that blocked). */
  bodyCode?: string;
  /** Headers the response carries besides the usual ones. */
  headers?: Readonly<Record<string, string>>;
  cause?: unknown;
}

export class GatewayError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly type: OpenAIErrorType;
  readonly param: string | null;
  readonly retryAfterS: number | undefined;
  readonly headers: Readonly<Record<string, string>> | undefined;
  readonly #bodyCode: string | undefined;

  constructor(code: ErrorCode, message: string, options: GatewayErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'GatewayError';
    this.code = code;
    this.status = options.status ?? ERRORS[code].status;
    this.type = ERRORS[code].type;
    this.param = options.param ?? null;
    this.retryAfterS = options.retryAfterS;
    this.headers = options.headers;
    this.#bodyCode = options.bodyCode;
  }

  /** The OpenAI error body. */
  toJSON(): { error: { message: string; type: string; code: string; param: string | null } } {
    return { error: { message: this.message, type: this.type, code: this.#bodyCode ?? this.code, param: this.param } };
  }
}
