// What the pipeline stages share for the life of the process (a reload swaps the Runtime, not these).
import type { Auditor } from '../audit/auditor.ts';
import type { FailedAuthThrottle } from '../auth/failed-auth-throttle.ts';
import type { KeyIndex } from '../auth/key-index.ts';
import type { Keyring } from '../security/keyring.ts';
import type { Principal } from '../auth/principal.ts';
import type { Logger } from '../observability/logger.ts';
import type { GatewayMetrics } from '../observability/metrics.ts';
import type { DirectoryStore } from '../stores/directory-store.ts';
import type { KeyStore } from '../stores/key-store.ts';
import type { RequestLogSink, RequestLogStore } from '../stores/request-log.ts';
import type { QuotaGate } from '../quota/quota-gate.ts';
import type { UsageStore } from '../stores/usage-store.ts';
import type { CoolDownBus } from '../stores/quota-store.ts';
import type { ResponseCaches } from '../cache/response-caches.ts';

/** Credentials other than API keys (JWTs of an identity provider). */
export interface IdentityProvider {
  /** Whether the credential is of this kind (cheap: no verification). */
  accepts(credential: string): boolean;
  /** The caller, or a 401 GatewayError. */
  principalFor(credential: string): Promise<Principal>;
}

/** Stored request content, decrypted (only when the config keeps content). */
export interface ContentReader {
  get(id: string): { request: string; response: string | null } | undefined;
}

export interface GatewayServices {
  readonly log: Logger;
  readonly metrics: GatewayMetrics;
  readonly requestLog: RequestLogSink;
  /** Reads of the request log (the admin API). */
  readonly requestLogs: RequestLogStore;
  readonly keys: KeyIndex;
  readonly keyStore: KeyStore;
  readonly directory: DirectoryStore;
  readonly identities: IdentityProvider | undefined;
  readonly authThrottle: FailedAuthThrottle;
  readonly audit: Auditor;
  /** Keys to seal stored content; content is stored only when the config says so. */
  readonly keyring: Keyring | undefined;
  readonly content: ContentReader | undefined;
  /** Usage sums per day, key, team and model (the admin API). */
  readonly usage: UsageStore;
  /** Budgets and rate limits: admission and settlement. */
  readonly quotas: QuotaGate;
  /** Answers kept by the exact and semantic caches. */
  readonly caches: ResponseCaches;
  /** Tells every replica about a backend's cool-down (a 429 with Retry-After). */
  readonly coolDowns: CoolDownBus;
  /** One log line per request, besides the request-log row. */
  readonly logRequests: boolean;
}
