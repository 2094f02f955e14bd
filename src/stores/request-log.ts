// The request log: one row per request, written off the hot path but durable before the client receives the end of
// a successful response, so a crash (even SIGKILL) never loses the row of a response a client got in full.
export interface RequestLogRow {
  /** The x-request-id the client got. */
  id: string;
  /** Epoch ms when the request arrived. */
  ts: number;
  keyId: string | null;
  /** The caller's team: logs are read per team. */
  teamId: string | null;
  endpoint: string;
  model: string | null;
  backend: string | null;
  attempts: number;
  stream: boolean;
  status: number;
  latencyMs: number;
  ttftMs: number | null;
  promptTokens: number | null;
  completionTokens: number | null;
  /** Prompt tokens the provider read from its prompt cache (billed at the cached rate). */
  cachedTokens: number | null;
  /** Completion tokens spent on reasoning (part of completionTokens). */
  reasoningTokens: number | null;
  /** USD, from the price of the backend that served it; null when that model has no price. */
  costUsd: number | null;
  /** Which of the gateway's caches answered, if one did. */
  cache: 'exact' | 'semantic' | null;
  /** For a cache hit: what the answer cost when it was made, saved this time. */
  savedUsd: number | null;
  error: string | null;
  /** Request and response sealed for storage (config logging.content.store), absent otherwise. */
  content?: SealedContent;
}

export interface SealedContent {
  kid: string;
  request: Buffer;
  response: Buffer | null;
}

export interface RequestLogQuery {
  /** Only rows at or after this epoch ms. */
  since?: number;
  keyId?: string;
  teamId?: string;
  model?: string;
  /** Only rows before this epoch ms: the next page of a listing. */
  until?: number;
  limit?: number;
}

/** The storage behind the log; every implementation passes test/conformance/request-log-store.ts. */
export interface RequestLogStore {
  insertBatch(rows: readonly RequestLogRow[]): Promise<void>;
  /** Newest first. */
  query(query: RequestLogQuery): Promise<RequestLogRow[]>;
  get(id: string): Promise<RequestLogRow | undefined>;
  count(): Promise<number>;
  close(): Promise<void>;
}

/** What the pipeline writes to: resolves once the row is durable. Never rejects (a storage fault is logged). */
export interface RequestLogSink {
  append(row: RequestLogRow): Promise<void>;
  /** Waits for every row appended before it to be in the tables, where readers look (not only durable). */
  flush(): Promise<void>;
  close(): Promise<void>;
}
