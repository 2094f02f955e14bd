// The gateway process: the HTTP listener, the route table, and the life cycle around them (start, reload on
// SIGHUP, drain on SIGTERM). Requests enter `#onRequest`, get a context, and run their endpoint's pipeline.
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { newRequestId } from './request-id.ts';
import type { AddressInfo } from 'node:net';
import type { DatabaseSync } from 'node:sqlite';
import { GatewayError } from '../errors.ts';
import { loadConfig, type LoadedConfig } from '../config/load.ts';
import { KeyIndex } from '../auth/key-index.ts';
import { createLogger, type Logger } from '../observability/logger.ts';
import { GatewayMetrics } from '../observability/metrics.ts';
import type { RequestContext } from '../pipeline/context.ts';
import { ClientGone } from '../pipeline/client-gone.ts';
import { databasePath, openDatabase } from '../stores/sqlite/database.ts';
import { SqliteKeyStore } from '../stores/sqlite/key-store.ts';
import { SqliteDirectoryStore } from '../stores/sqlite/directory-store.ts';
import { SqliteRequestLogStore } from '../stores/sqlite/request-log-store.ts';
import { SqliteAuditLog } from '../stores/sqlite/audit-log-store.ts';
import { Auditor } from '../audit/auditor.ts';
import { FailedAuthThrottle } from '../auth/failed-auth-throttle.ts';
import { SqliteRequestContentStore } from '../stores/sqlite/request-content-store.ts';
import { ContentRetention } from '../stores/sqlite/content-retention.ts';
import { KeyringError, loadKeyring, type Keyring } from '../security/keyring.ts';
import { ConfigError } from '../config/config-error.ts';
import type { Config } from '../config/schema.ts';
import { journalsInUse, SqliteRequestLogWriter } from '../stores/sqlite/request-log-writer.ts';
import { recoverJournals } from '../stores/sqlite/request-log-journal.js';
import { prepareStatements } from '../stores/sqlite/request-log-sql.js';
import { buildRuntime, retireRuntime, type Runtime } from '../upstream/runtime.ts';
import { completionEndpoint } from './endpoints/completions.ts';
import { listModels } from './endpoints/models.ts';
import { livez, metrics, readyz } from './endpoints/operations.ts';
import { sendError, toGatewayError } from './respond.ts';
import { Router } from './router.ts';
import { checkTlsFiles, createListener, listenerScheme, reloadTls } from './listener.ts';
import { registerAdminRoutes } from './endpoints/admin/routes.ts';
import type { GatewayServices } from './services.ts';
import { ensureAdminKey } from './bootstrap-admin.ts';
import { SqliteUsageStore } from '../stores/sqlite/usage-store.ts';
import { ResponseCaches } from '../cache/response-caches.ts';
import { createQuotaServices, type QuotaServices } from '../quota/quota-services.ts';

export interface GatewayOptions {
  readonly loaded: LoadedConfig;
  /** The file to re-read on reload (undefined: the quickstart). */
  readonly configPath: string | undefined;
  readonly env?: NodeJS.ProcessEnv;
  readonly log?: Logger;
  /** Shown the bootstrap admin key, the one time it exists in clear. */
  readonly announceAdminKey?: (secret: string) => void;
  /** How often the key index follows the store (ms). */
  readonly keyRefreshMs?: number;
}

/** The keys for stored content: required when the config stores content, refused at start when unusable. */
function contentKeyring(config: Config, env: NodeJS.ProcessEnv): Keyring | undefined {
  let keyring: Keyring | undefined;
  try {
    keyring = loadKeyring({ env, keyFile: config.logging.content.key_file });
  } catch (err) {
    if (err instanceof KeyringError) throw new ConfigError('(encryption keys)', [{ path: 'logging.content', message: err.message }]);
    throw err;
  }
  if (config.logging.content.store && keyring === undefined) {
    throw new ConfigError('(encryption keys)', [
      { path: 'logging.content.store', message: 'storing content needs an encryption key: set ARCHWAY_ENCRYPTION_KEY or logging.content.key_file (make one with `archway encryption generate-key`)' },
    ]);
  }
  return keyring;
}

/** Backends without a price meter no cost, so no budget can bound them: said once per start or reload. */
function warnUnpriced(runtime: Runtime, log: Logger): void {
  const unpriced = runtime.backends.filter((b) => b.price === undefined).map((b) => b.id);
  if (unpriced.length > 0) {
    log.warn({ backends: unpriced }, 'no price for these backends: their requests cost nothing in the metering, and budgets cannot bound them; add the model under pricing: (USD per million tokens)');
  }
}

export class Gateway {
  readonly server: Server;
  readonly services: GatewayServices;
  #runtime: Runtime;
  readonly #options: GatewayOptions;
  readonly #db: DatabaseSync;
  readonly router: Router;
  #inFlight = 0;
  #draining = false;
  #shutdown: Promise<void> | undefined;
  #retentionTimer: NodeJS.Timeout | undefined;
  readonly #quotaServices: QuotaServices;

  private constructor(options: GatewayOptions, runtime: Runtime, services: GatewayServices, db: DatabaseSync, quotaServices: QuotaServices) {
    this.#options = options;
    this.#quotaServices = quotaServices;
    // A 429's cool-down seen by any replica (this one included) cools that backend here too.
    quotaServices.coolDowns.subscribe((backendId, until) => this.#runtime.backendsById.get(backendId)?.breaker.coolDown(until));
    this.#runtime = runtime;
    this.services = services;
    this.#db = db;
    this.router = new Router()
      .add('GET', '/livez', livez)
      .add('GET', '/readyz', readyz({ ready: () => !this.#draining }))
      .add('GET', '/metrics', metrics)
      .add('GET', '/v1/models', listModels)
      .add('POST', '/v1/chat/completions', completionEndpoint('chat'))
      .add('POST', '/v1/embeddings', completionEndpoint('embeddings'));
    registerAdminRoutes(this.router);
    const { server: s } = runtime.config;
    this.server = createListener(s.tls, { keepAliveTimeout: s.keep_alive_timeout_ms, headersTimeout: 30_000 }, (req, res) => this.#onRequest(req, res));
  }

  static async start(options: GatewayOptions): Promise<Gateway> {
    const { config } = options.loaded;
    const env = options.env ?? process.env;
    const log = options.log ?? createLogger(config.logging.level);
    // Unusable TLS files or encryption keys stop the start before anything (database, simulators) is opened.
    const tlsProblems = config.server.tls ? checkTlsFiles(config.server.tls) : [];
    if (tlsProblems.length > 0) throw new ConfigError(options.loaded.source, tlsProblems);
    const keyring = contentKeyring(config, env);
    const db = openDatabase(databasePath(config.data_dir));
    // Rows a gateway on this data directory made durable but had not put into the tables when it died: in first, so
    // budgets and usage resume from them.
    const recovered = recoverJournals(db, prepareStatements(db), databasePath(config.data_dir), journalsInUse);
    if (recovered.rows > 0) log.info({ rows: recovered.rows }, 'request log: rows recovered from a journal');
    if (recovered.skipped > 0) log.warn({ lines: recovered.skipped }, 'request log: unreadable journal lines skipped');
    const keyStore = new SqliteKeyStore(db);
    const directory = new SqliteDirectoryStore(db);
    await ensureAdminKey(keyStore, env.ARCHWAY_ADMIN_KEY, options.announceAdminKey ?? (() => {}), log);
    const keys = new KeyIndex(keyStore, directory, log, env.ARCHWAY_ADMIN_KEY);
    await keys.start(options.keyRefreshMs ?? 1_000);
    const runtime = await buildRuntime(config);
    let gateway: Gateway | undefined;
    const metrics = new GatewayMetrics(() => gateway?.runtime.backends ?? runtime.backends);
    const usage = new SqliteUsageStore(db);
    const quotaServices = await createQuotaServices(config, usage, log, metrics);
    const services: GatewayServices = {
      log,
      metrics,
      requestLog: new SqliteRequestLogWriter(databasePath(config.data_dir), log, (rows) => (gateway?.inFlight ?? 0) > rows),
      requestLogs: new SqliteRequestLogStore(db),
      keys,
      keyStore,
      directory,
      // The JWT library is loaded only for a config that accepts identity-provider tokens.
      identities: config.auth.oidc ? new (await import('../auth/oidc-identities.ts')).OidcIdentities(config.auth.oidc, keys) : undefined,
      authThrottle: new FailedAuthThrottle(config.auth.brute_force),
      audit: new Auditor(new SqliteAuditLog(db), log),
      keyring,
      content: keyring ? new SqliteRequestContentStore(db, keyring) : undefined,
      logRequests: config.logging.requests,
      usage,
      quotas: quotaServices.gate,
      coolDowns: quotaServices.coolDowns,
      caches: await ResponseCaches.create(config.cache, config.state, log),
    };
    gateway = new Gateway(options, runtime, services, db, quotaServices);
    await new Promise<void>((resolve, reject) => {
      gateway.server.once('error', reject);
      gateway.server.listen(config.server.port, config.server.host, () => resolve());
    });
    gateway.#startRetention(db);
    log.info({ url: gateway.url, config: options.loaded.source, models: [...runtime.models.keys()] }, 'archway listening');
    warnUnpriced(runtime, log);
    return gateway;
  }

  /** Deletes stored content past `logging.content.retention_days`, at start and every hour (read from the live config). */
  #startRetention(db: DatabaseSync): void {
    const retention = new ContentRetention(db);
    const sweep = (): void => {
      const days = this.#runtime.config.logging.content.retention_days;
      if (days === undefined) return;
      try {
        const deleted = retention.sweep(days);
        if (deleted > 0) this.services.log.info({ deleted, days }, 'stored content past its retention deleted');
      } catch (err) {
        this.services.log.error({ err }, 'retention sweep failed');
      }
    };
    sweep();
    this.#retentionTimer = setInterval(sweep, 3_600_000).unref();
  }

  /** Requests being served now. */
  get inFlight(): number {
    return this.#inFlight;
  }

  get runtime(): Runtime {
    return this.#runtime;
  }

  get url(): string {
    const address = this.server.address() as AddressInfo;
    const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
    return `${listenerScheme(this.server)}://${host}:${address.port}`;
  }

  /** Re-reads the config and swaps it in; requests in flight finish on the config they started with. */
  async reload(): Promise<void> {
    const { log } = this.services;
    let loaded: LoadedConfig;
    try {
      loaded = await loadConfig(this.#options.configPath, this.#options.env ?? process.env);
    } catch (err) {
      log.error({ err: (err as Error).message }, 'reload refused: the new config is invalid; still serving the old one');
      throw err;
    }
    const old = this.#runtime;
    try {
      reloadTls(this.server, loaded.config.server.tls);
    } catch (err) {
      log.error({ err: (err as Error).message }, 'reload refused: the TLS files are unusable; still serving the old ones');
      throw err;
    }
    if (JSON.stringify({ ...loaded.config.server, tls: undefined }) !== JSON.stringify({ ...old.config.server, tls: undefined }) || loaded.config.data_dir !== old.config.data_dir) {
      log.warn('server and data_dir settings change only with a restart');
    }
    this.#runtime = await buildRuntime(loaded.config, old);
    this.#retireWhenIdle(old);
    log.info({ config: loaded.source, models: [...this.#runtime.models.keys()] }, 'config reloaded');
    warnUnpriced(this.#runtime, log);
  }

  /** Stops accepting, lets requests in flight finish (bounded), then stores what must be stored. */
  shutdown(): Promise<void> {
    this.#shutdown ??= this.#drainAndClose();
    return this.#shutdown;
  }

  async #drainAndClose(): Promise<void> {
    const { log } = this.services;
    this.#draining = true;
    const timeoutMs = this.#runtime.config.server.shutdown_timeout_ms;
    log.info({ inFlight: this.#inFlight, timeoutMs }, 'shutting down: draining requests in flight');
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    const deadline = Date.now() + timeoutMs;
    while (this.#inFlight > 0 && Date.now() < deadline) {
      this.server.closeIdleConnections();
      await new Promise((r) => setTimeout(r, 25));
    }
    if (this.#inFlight > 0) log.warn({ inFlight: this.#inFlight }, 'drain timed out; closing the remaining connections');
    this.server.closeAllConnections();
    await closed;
    this.services.keys.stop();
    clearInterval(this.#retentionTimer);
    await this.services.requestLog.close();
    await this.#quotaServices.close();
    await this.services.caches.close();
    await retireRuntime(this.#runtime, undefined);
    this.#db.close();
    log.info('shut down');
    log.flush();
  }

  #retireWhenIdle(old: Runtime): void {
    const check = (): void => {
      if (old.active > 0) {
        setTimeout(check, 100).unref();
        return;
      }
      retireRuntime(old, this.#runtime).catch((err: unknown) => this.services.log.error({ err }, 'closing the old config failed'));
    };
    check();
  }

  #onRequest(req: IncomingMessage, res: ServerResponse): void {
    const runtime = this.#runtime;
    runtime.active++;
    this.#inFlight++;
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const path = q < 0 ? url : url.slice(0, q);
    const match = this.router.match(path);
    const ctx: RequestContext = {
      id: newRequestId(),
      receivedAt: Date.now(),
      start: performance.now(),
      req,
      res,
      runtime,
      services: this.services,
      clientGone: new ClientGone(),
      // Unknown paths share one name: the endpoint is a metric label and must stay a bounded set.
      endpoint: match?.pattern ?? 'unmatched',
      params: match?.params ?? {},
      principal: undefined,
      body: undefined,
      model: null,
      stream: false,
      backend: null,
      attempts: 0,
      upstreamMs: 0,
      ttftMs: null,
      usage: undefined,
      price: undefined,
      cache: null,
      savedUsd: null,
      quota: null,
      extraHeaders: null,
      cachePlan: null,
      overheadUsd: 0,
      responseBody: null,
      guardrails: null,
      vault: null,
      status: 0,
      error: null,
      recorded: false,
    };
    res.on('close', () => {
      if (!res.writableFinished) ctx.clientGone.fire();
    });
    if (this.#draining) res.shouldKeepAlive = false;
    const methods = match?.methods;
    const handler = methods?.get(req.method ?? 'GET');
    const recorded = path.startsWith('/v1/');
    if (methods && !handler) res.setHeader('allow', [...methods.keys()].join(', '));
    const run = handler
      ? handler(ctx)
      : Promise.reject(
          methods
            ? new GatewayError('method_not_allowed', `${req.method} is not allowed on ${path}; use ${[...methods.keys()].join(' or ')}`)
            : new GatewayError('route_not_found', `no route ${req.method} ${path}; the API is under /v1 (chat/completions, embeddings, models)`),
        );
    run
      .catch((err: unknown) => {
        const error = toGatewayError(err);
        if (error.code === 'internal_error') this.services.log.error({ err, requestId: ctx.id }, 'unhandled error');
        // Every refusal of an authenticated caller is audited (refused credentials are, where they are counted).
        if (error.status === 403) this.services.audit.refused(ctx, ctx.principal, error.message);
        return sendError(ctx, error, recorded);
      })
      .catch((err: unknown) => this.services.log.error({ err, requestId: ctx.id }, 'failed to send an error response'))
      .finally(() => {
        runtime.active--;
        this.#inFlight--;
      });
  }
}
