// The seam between the gateway and a provider's protocol. An adapter is a pure translator: it turns the client's
// OpenAI-shaped request into the upstream's HTTP request and the upstream's answer back into OpenAI's shape. It does
// no I/O; connections, timeouts, retries and breakers live in the router, so every provider gets them alike.
import type { SseEvent } from '../streaming/sse-event.ts';

export type Operation = 'chat' | 'embeddings';

export interface Usage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
  /** Prompt tokens the provider served from its own prompt cache. */
  cached_tokens?: number;
  reasoning_tokens?: number;
}

/** What an adapter needs to know about the backend it addresses. */
export interface BackendTarget {
  /** The upstream's model name (Azure: the deployment name). */
  readonly upstreamModel: string;
  /** The base URL's path without a trailing slash, e.g. "/v1" ("" for a bare origin). */
  readonly basePath: string;
  readonly apiKey: string | undefined;
  readonly apiVersion: string | undefined;
  /** Extra headers from the config, sent on every request. */
  readonly headers: Readonly<Record<string, string>> | undefined;
}

export interface UpstreamCall {
  /** Path and query, appended to the backend's origin. */
  readonly path: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

export interface TranslatedBody {
  /** The OpenAI-shaped JSON body for the client. */
  readonly body: string | Buffer;
  readonly usage: Usage | undefined;
}

export interface StreamOptions {
  /** The client asked for `stream_options.include_usage`: send it the usage chunk. Otherwise usage is still read
   *  (the gateway asks the upstream for it to meter the request) but not forwarded. */
  readonly clientWantsUsage: boolean;
  /** Keep the generated text, so the gateway can count tokens itself: set for upstreams known to omit usage. */
  readonly keepText?: boolean;
}

/**
 * Turns an upstream's SSE events into OpenAI `chat.completion.chunk` frames, one event at a time, so chunks are
 * forwarded as they arrive. Stateful: one per stream.
 */
export interface StreamTranslator {
  /**
   * One upstream event in; the OpenAI SSE frames to forward ("data: …\n\n", several concatenated) or undefined for
   * none. Never emits the terminal `data: [DONE]`: the gateway sends that itself once the request is recorded.
   */
  push(event: SseEvent): string | undefined;
  /** The upstream ended the stream properly (OpenAI `[DONE]`, Anthropic `message_stop`). */
  readonly done: boolean;
  /** True once a frame with generated content (text, tool call, refusal) has been emitted: time to first token. */
  readonly sawContent: boolean;
  /** Usage, once the upstream has reported it. */
  readonly usage: Usage | undefined;
  /** An upstream error event, reported here so the gateway can log it. */
  readonly upstreamError: string | undefined;
  /** The generated text, when StreamOptions.keepText asked for it. */
  readonly text?: string | undefined;
}

export interface ProviderAdapter {
  readonly kind: string;
  supports(op: Operation): boolean;
  /**
   * The upstream request for one attempt. `body` is the client's validated request; it must not be mutated (the
   * next attempt may go to another backend). For chat streams the adapter asks the upstream for usage.
   */
  buildRequest(op: Operation, body: Readonly<Record<string, unknown>>, target: BackendTarget): UpstreamCall;
  /** A 2xx non-streamed upstream body → the OpenAI body for the client, and the usage it reports. */
  translateResponse(op: Operation, raw: Buffer): TranslatedBody;
  createStreamTranslator(options: StreamOptions): StreamTranslator;
  /** The human-readable message of an upstream error body (any status), for the client and the log. */
  errorMessage(status: number, raw: Buffer): string;
}
