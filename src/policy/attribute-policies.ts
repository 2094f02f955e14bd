// Attribute-based rules on top of roles. A policy applies to callers whose attributes (their team's, overridden by
// their key's or user's; plus the pseudo-attributes `team` and `role`) match its `when`; it may restrict them to some
// models and to the backends whose attributes match its `backends`. Every applicable policy holds at once. The
// router only ever sees the backends that remain, so failover can never leave them: a confidential EU team's request
// goes to an EU backend or fails. Decisions are cached per caller and model (callers are stable objects between key
// refreshes; a config reload builds a new engine), so the hot path pays one map lookup.
import { GatewayError } from '../errors.ts';
import type { AttributeMatch, Policy } from '../config/security-schema.ts';
import type { Principal } from '../auth/principal.ts';
import type { Operation } from '../providers/adapter.ts';
import type { Backend } from '../upstream/backend.ts';
import type { ModelRoute } from '../upstream/runtime.ts';

function valueOf(principal: Principal, name: string): string | undefined {
  const own = principal.attributes[name];
  if (own !== undefined) return own;
  if (name === 'team') return principal.teamName ?? undefined;
  if (name === 'role') return principal.role;
  return undefined;
}

function matches(match: AttributeMatch, get: (name: string) => string | undefined): boolean {
  for (const [name, want] of Object.entries(match)) {
    const value = get(name);
    if (value === undefined) return false;
    if (typeof want === 'string' ? value !== want : !want.includes(value)) return false;
  }
  return true;
}

function describe(match: AttributeMatch): string {
  return Object.entries(match)
    .map(([k, v]) => `${k} ${typeof v === 'string' ? `= ${v}` : `in [${v.join(', ')}]`}`)
    .join(' and ');
}

export class AttributePolicies {
  readonly #policies: readonly Policy[];
  readonly #decisions = new WeakMap<Principal, Map<ModelRoute, ModelRoute | GatewayError>>();

  constructor(policies: readonly Policy[]) {
    this.#policies = policies;
  }

  /** The policies that hold for this caller, in config order. */
  applicable(principal: Principal): Policy[] {
    return this.#policies.filter((p) => p.when === undefined || matches(p.when, (name) => valueOf(principal, name)));
  }

  /** Whether this caller may use the model at all (for listings). */
  allowsModel(principal: Principal, model: string): boolean {
    return this.applicable(principal).every((p) => p.models === undefined || p.models.includes(model));
  }

  /** The route as this caller may use it (only the backends it may reach), or a 403 naming the rule. */
  routeFor(principal: Principal, route: ModelRoute): ModelRoute {
    if (this.#policies.length === 0) return route;
    let perCaller = this.#decisions.get(principal);
    if (perCaller === undefined) this.#decisions.set(principal, (perCaller = new Map()));
    let decision = perCaller.get(route);
    if (decision === undefined) perCaller.set(route, (decision = this.#decide(principal, route)));
    if (decision instanceof GatewayError) throw decision;
    return decision;
  }

  #decide(principal: Principal, route: ModelRoute): ModelRoute | GatewayError {
    let backends: readonly Backend[] = route.backends;
    let narrowed = false;
    for (const policy of this.applicable(principal)) {
      if (policy.models !== undefined && !policy.models.includes(route.name)) {
        return new GatewayError('policy_denied', `policy "${policy.name}" refuses the model "${route.name}" to this caller; it allows: ${policy.models.join(', ')}`, {
          param: 'model',
        });
      }
      if (policy.backends !== undefined) {
        const match = policy.backends;
        backends = backends.filter((b) => matches(match, (name) => b.attributes[name]));
        narrowed = true;
        if (backends.length === 0) {
          return new GatewayError('policy_denied', `policy "${policy.name}" allows this caller only backends with ${describe(match)}, and the model "${route.name}" has none`, {
            param: 'model',
          });
        }
      }
    }
    if (!narrowed || backends.length === route.backends.length) return route;
    const allowed = new Set(backends);
    const only = (list: readonly Backend[]): Backend[] => list.filter((b) => allowed.has(b));
    const backendsFor: Record<Operation, readonly Backend[]> = { chat: only(route.backendsFor.chat), embeddings: only(route.backendsFor.embeddings) };
    return { ...route, backends, backendsFor };
  }
}
