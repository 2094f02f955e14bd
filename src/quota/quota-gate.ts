// Admission against budgets and rate limits, and settlement afterwards. The counters live in a QuotaStore: the
// process's own, or Redis shared by every replica. When Redis cannot answer, `state.on_unavailable` decides:
// fail-open counts in this process until Redis is back (limits then hold per replica, not in total), fail-closed
// refuses limited requests with a 503. Unlimited requests never touch a store.
import { GatewayError } from '../errors.ts';
import type { Logger } from '../observability/logger.ts';
import { QuotaStoreUnavailable, type AdmitResult, type CounterState, type QuotaAdjustment, type QuotaStore } from '../stores/quota-store.ts';
import { alertAt, budgetPeriod, MICRO_USD, type PlannedCharge } from './quota-plan.ts';

export type UnavailablePolicy = 'fail-open' | 'fail-closed';

/** What a request was charged, to be settled once its real usage is known. */
export interface QuotaTicket {
  readonly store: QuotaStore;
  readonly charges: readonly PlannedCharge[];
  readonly chargedAt: number;
  /** The counters after the charge, in the order of `charges`. */
  readonly states: readonly CounterState[];
}

export interface QuotaEvents {
  refused(charge: PlannedCharge): void;
  alert(charge: PlannedCharge, state: CounterState): void;
}

export interface QuotaGateStatus {
  readonly store: string;
  readonly healthy: boolean;
  readonly on_unavailable: UnavailablePolicy;
  /** Whether limits are being counted in this process only, while the shared store is unreachable. */
  readonly counting_locally: boolean;
}

const usd = (micro: number): string => `$${(micro / MICRO_USD).toFixed(micro < 10 * MICRO_USD ? 4 : 2)}`;

export class QuotaGate {
  readonly #shared: QuotaStore | undefined;
  readonly #local: QuotaStore;
  readonly #policy: UnavailablePolicy;
  readonly #log: Logger;
  readonly #events: QuotaEvents;
  /** Budget counters (with their period) that have already alerted in this process. */
  readonly #alerted = new Set<string>();
  #countingLocally = false;

  /** `shared`: Redis when the config has `state`; `local`: the process's own store (the only one without `state`). */
  constructor(options: { shared: QuotaStore | undefined; local: QuotaStore; policy: UnavailablePolicy; log: Logger; events: QuotaEvents }) {
    this.#shared = options.shared;
    this.#local = options.local;
    this.#policy = options.policy;
    this.#log = options.log;
    this.#events = options.events;
  }

  status(): QuotaGateStatus {
    const store = this.#shared ?? this.#local;
    return { store: store.kind, healthy: store.healthy, on_unavailable: this.#policy, counting_locally: this.#shared !== undefined && this.#countingLocally };
  }

  /** Charges every counter or none; a refusal is a 429 (or 400 for a request that could never fit, 503 fail-closed). */
  async admit(charges: readonly PlannedCharge[], now: number): Promise<QuotaTicket> {
    const store = this.#shared ?? this.#local;
    let result: AdmitResult;
    let used = store;
    try {
      result = await store.admit(charges, now);
      if (this.#countingLocally && used === this.#shared) {
        this.#countingLocally = false;
        this.#log.info('shared quota state is reachable again: counting there');
      }
    } catch (err) {
      if (!(err instanceof QuotaStoreUnavailable) || store === this.#local) throw err;
      if (this.#policy === 'fail-closed') {
        throw new GatewayError('quota_state_unavailable', 'budgets and rate limits cannot be checked: the shared state store (Redis) does not answer, and state.on_unavailable is fail-closed; retry shortly', { retryAfterS: 1 });
      }
      if (!this.#countingLocally) this.#log.warn({ err: err.message }, 'shared quota state unreachable: counting in this process until it is back (state.on_unavailable: fail-open)');
      this.#countingLocally = true;
      used = this.#local;
      result = await this.#local.admit(charges, now);
    }
    if (!result.admitted) {
      const charge = charges[result.refused]!;
      this.#events.refused(charge);
      throw refusal(charge, result.states[result.refused]!, now);
    }
    for (let i = 0; i < charges.length; i++) {
      const charge = charges[i]!;
      if (charge.limitKind === 'budget') this.#checkAlert(charge, result.states[i]!);
    }
    return { store: used, charges, chargedAt: now, states: result.states };
  }

  /** The counters' state without charging them (the shared store's; it may reject when that does not answer). */
  peek(charges: readonly PlannedCharge[], now: number): Promise<readonly CounterState[]> {
    return (this.#shared ?? this.#local).peek(charges, now);
  }

  /** Replaces the reserved tokens and cost with the real ones. Never throws: a failure is logged. */
  settle(ticket: QuotaTicket, tokens: number, microUsd: number): void {
    const adjustments: QuotaAdjustment[] = [];
    for (const c of ticket.charges) {
      const real = c.limitKind === 'tokens' ? tokens : c.limitKind === 'budget' ? microUsd : c.amount;
      if (real !== c.amount) adjustments.push({ key: c.key, window: c.window, delta: real - c.amount, chargedAt: ticket.chargedAt });
    }
    if (adjustments.length === 0) return;
    ticket.store.adjust(adjustments).catch((err: unknown) => this.#log.warn({ err: (err as Error).message }, 'settling a quota charge failed; the reservation stands'));
  }

  #checkAlert(charge: PlannedCharge, state: CounterState): void {
    if (state.used < alertAt(charge.subject.quota) * state.limit) return;
    const id = `${charge.key}@${state.resetAt}`;
    if (this.#alerted.has(id)) return;
    if (this.#alerted.size > 10_000) this.#alerted.clear();
    this.#alerted.add(id);
    this.#events.alert(charge, state);
  }
}

function refusal(charge: PlannedCharge, state: CounterState, now: number): GatewayError {
  const { subject, limitKind, amount, limit } = charge;
  const retryAt = state.retryAt ?? state.resetAt;
  const retryAfterS = Math.max(1, Math.ceil((retryAt - now) / 1000));
  if (limitKind === 'budget') {
    const period = budgetPeriod(subject.quota);
    const resets = new Date(state.resetAt).toISOString();
    const why =
      amount > limit
        ? `this request alone may cost up to ${usd(amount)} (its prompt and max_tokens at the model's price), more than the budget of ${usd(limit)} per ${period}; ask for fewer max_tokens`
        : `the budget of ${usd(limit)} per ${period} of ${subject.label} is spent (${usd(state.used)} used; this request may cost up to ${usd(amount)})`;
    return new GatewayError('budget_exceeded', `${why}; it resets at ${resets}`, {
      retryAfterS,
      // The OpenAI SDKs retry a 429 unless told not to: waiting for a budget's next period is not a retry.
      headers: { 'x-should-retry': 'false', 'x-archway-budget-reset': resets },
    });
  }
  const unit = limitKind === 'requests' ? 'requests' : 'tokens';
  if (amount > limit) {
    return new GatewayError('limit_exceeded', `this request alone takes ${amount} tokens (prompt plus max_tokens), more than the ${limit} tokens per minute of ${subject.label}; lower max_tokens or shorten the prompt`, { param: 'max_tokens' });
  }
  return new GatewayError('rate_limited', `rate limit of ${limit} ${unit} per minute of ${subject.label} reached (${state.used} used${limitKind === 'tokens' ? `, this request needs ${amount}` : ''}); retry in ${retryAfterS} s`, { retryAfterS });
}
