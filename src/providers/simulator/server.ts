// The simulator: a real HTTP server speaking the OpenAI, Azure OpenAI and Anthropic protocols with configurable
// latency, pacing and faults. It is the upstream of demos, load tests and the project's own tests, so it must be
// cheap per request, never crash on bad input, and close promptly even with requests deliberately left hanging.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { Value } from '@sinclair/typebox/value';
import { SimulatorSchema, type SimulatorFaults, type SimulatorSettings } from '../../config/schema.ts';
import { createServer } from '../../server/http-builtin.ts';
import { handleMessages } from './anthropic-protocol.ts';
import { authFailureMessage, hasApiKey } from './auth.ts';
import { FAULT_HEADER, mergeFaults, parseForcedFault, type ForcedFault } from './faults.ts';
import { parseJsonObject, readBody, sendJson } from './http-io.ts';
import { handleChatCompletion, handleEmbeddings, MODELS_BODY } from './openai-protocol.ts';
import { errorBody, SimulatorHttpError, type Dialect } from './protocol-errors.ts';
import { createContext } from './request-context.ts';
import { matchRoute, type Endpoint } from './routes.ts';

export interface SimulatorOptions {
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 0: any free port. */
  port?: number;
  /** When set, model endpoints require it in the protocol's own header. */
  apiKey?: string;
}

export interface SimulatorStats {
  requests: number;
  byPath: Record<string, number>;
}

export interface SimulatorHandle {
  /** The origin, e.g. http://127.0.0.1:40123. */
  readonly url: string;
  readonly port: number;
  setFaults(faults: Partial<SimulatorFaults>): void;
  faults(): SimulatorFaults;
  stats(): SimulatorStats;
  /** Stops listening and destroys every connection, hung requests included. */
  close(): Promise<void>;
}

type ModelEndpoint = Extract<Endpoint, { kind: 'chat' | 'embeddings' | 'messages' | 'models' }>;

export async function startSimulator(settings: SimulatorSettings, options: SimulatorOptions = {}): Promise<SimulatorHandle> {
  if (!Value.Check(SimulatorSchema, settings)) {
    const first = Value.Errors(SimulatorSchema, settings).First();
    throw new RangeError(`invalid simulator settings: ${first?.path ?? ''} ${first?.message ?? ''}`.trim());
  }
  const host = options.host ?? '127.0.0.1';
  const apiKey = options.apiKey;
  let faults: SimulatorFaults = { ...settings.faults };
  const stats: SimulatorStats = { requests: 0, byPath: {} };
  // Ids only need to be unique within a run: a start stamp plus a counter is cheaper than random bytes.
  const idPrefix = Date.now().toString(36);
  let sequence = 0;

  async function serveModel(req: IncomingMessage, res: ServerResponse, endpoint: ModelEndpoint, query: string): Promise<void> {
    const dialect = endpoint.dialect;
    if (apiKey !== undefined && !hasApiKey(dialect, req.headers, apiKey)) throw new SimulatorHttpError(401, authFailureMessage(dialect));
    if (dialect === 'azure' && !new URLSearchParams(query).get('api-version')) {
      throw new SimulatorHttpError(400, 'The api-version query parameter (?api-version=) is required for all requests.');
    }
    if (dialect === 'anthropic' && !req.headers['anthropic-version']) {
      throw new SimulatorHttpError(400, 'anthropic-version: header is required');
    }
    if (endpoint.kind === 'models') {
      sendJson(res, 200, MODELS_BODY);
      return;
    }
    let forced: ForcedFault | undefined;
    try {
      forced = parseForcedFault(req.headers[FAULT_HEADER]);
    } catch (err) {
      throw new SimulatorHttpError(400, (err as Error).message);
    }
    const body = parseJsonObject(await readBody(req));
    // Fires when the response ends, the client leaves, or close() destroys the socket: every wait stops then.
    const aborter = new AbortController();
    res.once('close', () => aborter.abort());
    const id = `${idPrefix}${(sequence++).toString(36)}`;
    const ctx = createContext(req, res, aborter.signal, dialect, { settings, faults: () => faults, forced, id });
    if (endpoint.kind === 'messages') await handleMessages(ctx, body);
    else if (endpoint.kind === 'chat') await handleChatCompletion(ctx, body, endpoint.deployment);
    else await handleEmbeddings(ctx, body, endpoint.deployment);
  }

  async function serveFaults(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (req.method === 'PUT') {
      try {
        faults = mergeFaults(faults, parseJsonObject(await readBody(req)));
      } catch (err) {
        if (err instanceof RangeError) throw new SimulatorHttpError(400, err.message);
        throw err;
      }
    }
    sendJson(res, 200, JSON.stringify(faults));
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const path = q === -1 ? url : url.slice(0, q);
    const query = q === -1 ? '' : url.slice(q + 1);
    // Control traffic is left out so a test reading the stats does not change them.
    if (!path.startsWith('/_simulator/')) {
      stats.requests++;
      stats.byPath[path] = (stats.byPath[path] ?? 0) + 1;
    }
    const endpoint = matchRoute(req.method ?? 'GET', path);
    let dialect: Dialect = 'openai';
    try {
      switch (endpoint.kind) {
        case 'health':
          res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
          return;
        case 'faults':
          return await serveFaults(req, res);
        case 'stats':
          sendJson(res, 200, JSON.stringify(stats));
          return;
        case 'not_found':
          dialect = endpoint.dialect;
          throw new SimulatorHttpError(404, `Unknown request URL: ${req.method ?? ''} ${path}.`);
        case 'method_not_allowed':
          dialect = endpoint.dialect;
          res.setHeader('allow', endpoint.allow);
          throw new SimulatorHttpError(405, `Method ${req.method ?? ''} not allowed on ${path}.`);
        default:
          dialect = endpoint.dialect;
          return await serveModel(req, res, endpoint, query);
      }
    } catch (err) {
      if (res.headersSent || res.destroyed) {
        res.destroy();
      } else if (err instanceof SimulatorHttpError) {
        sendJson(res, err.status, errorBody(dialect, err.status, err.message, err.param));
      } else if (!req.complete) {
        // The client left while sending its body: nobody to answer.
        res.destroy();
      } else {
        sendJson(res, 500, errorBody(dialect, 500, 'simulator internal error'));
      }
    }
  }

  const sockets = new Set<Socket>();
  const server = createServer((req, res) => {
    handle(req, res).catch(() => res.destroy());
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  let closing: Promise<void> | undefined;

  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    port,
    setFaults(patch) {
      faults = mergeFaults(faults, patch);
    },
    faults: () => ({ ...faults }),
    stats: () => ({ requests: stats.requests, byPath: { ...stats.byPath } }),
    close() {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
      });
      return closing;
    },
  };
}
