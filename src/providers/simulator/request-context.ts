// What a protocol handler gets for one request: the exchange, a signal that fires when the client goes away (or the
// server closes), and `gate`, the single place where faults and the first-byte latency are applied, so the
// OpenAI, Azure and Anthropic handlers fail and wait exactly alike.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { SimulatorFaults, SimulatorSettings } from '../../config/schema.ts';
import { rollFault, type ForcedFault } from './faults.ts';
import { delay, resetConnection, sendJson } from './http-io.ts';
import { errorBody, type Dialect } from './protocol-errors.ts';

/** After the gate: answer normally, answer but cut the stream half-way, or nothing more to do. */
export type GateOutcome = 'go' | 'cut' | 'done';

export interface RequestContext {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly signal: AbortSignal;
  readonly settings: Readonly<SimulatorSettings>;
  readonly dialect: Dialect;
  /** Short unique id for `chatcmpl-…` / `msg_…` ids. */
  readonly id: string;
  /** Rolls this request's fault and waits `latency_ms`; on 'done' the handler must not touch the response. */
  gate(stream: boolean): Promise<GateOutcome>;
  /** Answers an error in this request's dialect. */
  fail(status: number, message: string, headers?: Record<string, string>): void;
}

export interface ContextDeps {
  readonly settings: Readonly<SimulatorSettings>;
  readonly faults: () => SimulatorFaults;
  readonly forced: ForcedFault | undefined;
  readonly id: string;
}

export function createContext(
  req: IncomingMessage,
  res: ServerResponse,
  signal: AbortSignal,
  dialect: Dialect,
  deps: ContextDeps,
): RequestContext {
  const fail = (status: number, message: string, headers: Record<string, string> = {}): void => {
    sendJson(res, status, errorBody(dialect, status, message), headers);
  };

  const gate = async (stream: boolean): Promise<GateOutcome> => {
    const fault = rollFault(deps.faults(), deps.forced, stream);
    if (fault.kind === 'reset') {
      resetConnection(req);
      return 'done';
    }
    // A hung request is simply never answered; it ends when the client gives up or close() destroys the socket.
    if (fault.kind === 'hang') return 'done';
    // Errors wait like answers do: an upstream that is slow to say 429 is the realistic (and harder) case.
    if (!(await delay(deps.settings.latency_ms, signal))) return 'done';
    if (fault.kind === 'rate_limit') {
      fail(429, 'Rate limit reached for requests (simulated).', {
        'retry-after': String(Math.ceil(fault.retryAfterS)),
        'retry-after-ms': String(Math.round(fault.retryAfterS * 1000)),
      });
      return 'done';
    }
    if (fault.kind === 'error') {
      fail(fault.status, `The server had an error while processing your request (simulated ${fault.status}).`);
      return 'done';
    }
    return fault.kind === 'cut' ? 'cut' : 'go';
  };

  return { req, res, signal, settings: deps.settings, dialect, id: deps.id, gate, fail };
}
