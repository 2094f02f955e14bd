// Structured JSON logs (pino). Secrets never reach a log line: the fields that could carry one are redacted by path.
import { pino, type Logger } from 'pino';

export type { Logger } from 'pino';

export function createLogger(level: string, destination: pino.DestinationStream | undefined = undefined): Logger {
  const options: pino.LoggerOptions = {
    level,
    base: { service: 'archway' },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: { paths: ['apiKey', 'api_key', '*.api_key', 'authorization', '*.authorization', 'headers.authorization', 'headers["api-key"]'], censor: '[redacted]' },
  };
  // Asynchronous stdout: a log line must never make a request wait for the terminal or a pipe.
  return pino(options, destination ?? pino.destination({ dest: 1, sync: false }));
}
