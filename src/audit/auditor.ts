// What the gateway writes to the audit log, in one place: control-plane changes, refused uses of a credential, and
// reads of stored content. Recording never fails a request: a storage fault is logged loudly instead.
import type { Logger } from '../observability/logger.ts';
import type { AuditLog, AuditOutcome } from '../stores/audit-log.ts';
import { actorOf, type Principal } from '../auth/principal.ts';
import type { RequestContext } from '../pipeline/context.ts';

export class Auditor {
  readonly #log: AuditLog;
  readonly #logger: Logger;

  constructor(log: AuditLog, logger: Logger) {
    this.#log = log;
    this.#logger = logger;
  }

  get store(): AuditLog {
    return this.#log;
  }

  /** An act of `actor` (see actorOf) on `target`; detail never holds secrets. */
  record(actor: string, action: string, target: string | null, outcome: AuditOutcome, detail: Record<string, unknown> | null = null): Promise<void> {
    return this.#log.append({ actor, action, target, outcome, detail }).then(
      () => undefined,
      (err: unknown) => this.#logger.error({ err, action, target }, 'audit log write failed'),
    );
  }

  /** What a caller did through the API. */
  act(ctx: RequestContext, action: string, target: string | null, detail: Record<string, unknown> | null = null): Promise<void> {
    return this.record(actorOf(ctx.principal!), action, target, 'ok', { ...detail, request_id: ctx.id });
  }

  /** A credential refused (401) or a caller refused an action (403). The credential itself is never recorded. */
  refused(ctx: RequestContext, principal: Principal | undefined, reason: string): void {
    const actor = principal ? actorOf(principal) : `ip:${ctx.req.socket.remoteAddress ?? 'unknown'}`;
    void this.record(actor, 'access.refused', `${ctx.req.method} ${ctx.endpoint}`, 'refused', { reason, request_id: ctx.id });
  }
}
