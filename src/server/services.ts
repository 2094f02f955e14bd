// What the pipeline stages share for the life of the process (a reload swaps the Runtime, not these).
import type { KeyIndex } from '../auth/key-index.ts';
import type { Logger } from '../observability/logger.ts';
import type { GatewayMetrics } from '../observability/metrics.ts';
import type { RequestLogSink } from '../stores/request-log.ts';

export interface GatewayServices {
  readonly log: Logger;
  readonly metrics: GatewayMetrics;
  readonly requestLog: RequestLogSink;
  readonly keys: KeyIndex;
  /** One log line per request, besides the request-log row. */
  readonly logRequests: boolean;
}
