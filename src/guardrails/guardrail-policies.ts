// Which guardrails a request meets, and what they decide. A policy is a list of guardrails; `attach` picks one by
// model, team and key (the first match), else the policy named "default". Every guardrail of the stage runs (they
// are local and synchronous; all of them together stay well under a millisecond for a typical prompt); a single
// `block` decides, otherwise `redact` findings are masked and `flag` findings only reported.
import type { GuardrailsConfig } from '../config/guardrails-schema.ts';
import type { Principal } from '../auth/principal.ts';
import type { Finding } from './finding.ts';
import { Guardrail, type Action, type Stage } from './guardrail.ts';
import { placeholder, redact } from './redact.ts';
import type { RedactionVault } from './vault.ts';
import type { AnswerContext } from './answer-checks.ts';

export interface Verdict {
  /** The strongest outcome: block > redact > flag > pass. */
  action: Action | 'pass';
  findings: Finding[];
  /** The text with `redact` findings masked (the input when nothing was redacted). */
  text: string;
  /** The guardrail that blocked, when one did. */
  blockedBy: string | undefined;
}

const RANK: Readonly<Record<Verdict['action'], number>> = { pass: 0, flag: 1, redact: 2, block: 3 };

const newVerdict = (text: string): Verdict => ({ action: 'pass', findings: [], text, blockedBy: undefined });

/** A guardrail that failed: under fail-closed, a blocking finding that says why; under fail-open, nothing. */
function failure(g: Guardrail, err: unknown): Finding[] {
  if (g.failOpen) return [];
  return [{ guardrail: g.name, type: 'guardrail_error', text: String((err as Error)?.message ?? err).slice(0, 200), start: 0, end: 0, score: 1 }];
}

/** Adds one guardrail's findings to the verdict, acting as `action` (a failure always blocks). */
function record(verdict: Verdict, g: Guardrail, found: readonly Finding[], action: Action): void {
  if (found.length === 0) return;
  if (found[0]!.type === 'guardrail_error') action = 'block';
  verdict.findings.push(...found);
  if (RANK[action] > RANK[verdict.action]) verdict.action = action;
  if (action === 'block') verdict.blockedBy ??= g.name;
}

/** `vault`: where reversible guardrails keep what they mask (input only). */
export function runGuardrails(guardrails: readonly Guardrail[], stage: Stage, text: string, role?: string, vault?: RedactionVault): Verdict {
  const verdict = newVerdict(text);
  let toRedact: Finding[] | undefined;
  for (const g of guardrails) {
    if (!g.stages.has(stage) || (role === 'system' && g.skipsSystem)) continue;
    let found: Finding[];
    try {
      found = g.check(text);
    } catch (err) {
      found = failure(g, err);
    }
    record(verdict, g, found, g.action);
    if (g.action === 'redact' && found.length > 0 && found[0]!.type !== 'guardrail_error') (toRedact ??= []).push(...found);
  }
  if (toRedact !== undefined) {
    const reversible = vault === undefined ? undefined : new Set(guardrails.filter((g) => g.reversible).map((g) => g.name));
    verdict.text =
      reversible === undefined || reversible.size === 0
        ? redact(text, toRedact)
        : redact(text, toRedact, (f, original) => (reversible.has(f.guardrail) ? vault!.mask(f.type, original) : placeholder(f.type)));
  }
  return verdict;
}

// Remote and answer-level guardrails judge a whole text: there is nothing to mask in place, so any action but
// `flag` refuses it.
const wholeTextAction = (g: Guardrail): Action => (g.action === 'flag' ? 'flag' : 'block');

/** The remote guardrails of the stage, all at once (each within its own timeout). */
export async function runRemoteGuardrails(guardrails: readonly Guardrail[], stage: Stage, text: string): Promise<Verdict> {
  const verdict = newVerdict(text);
  const remote = guardrails.filter((g) => g.remote && g.stages.has(stage));
  const outcomes = await Promise.allSettled(remote.map((g) => g.checkRemote(text)));
  outcomes.forEach((outcome, i) => {
    const g = remote[i]!;
    record(verdict, g, outcome.status === 'fulfilled' ? outcome.value : failure(g, outcome.reason), wholeTextAction(g));
  });
  return verdict;
}

/** The answer-level guardrails (system-prompt echo, JSON schema) on a whole answer. */
export function runAnswerGuardrails(guardrails: readonly Guardrail[], text: string, context: AnswerContext): Verdict {
  const verdict = newVerdict(text);
  for (const g of guardrails) {
    if (g.judgesAnswers && g.stages.has('output')) record(verdict, g, g.checkAnswer(text, context), wholeTextAction(g));
  }
  return verdict;
}

export class GuardrailPolicies {
  readonly #config: GuardrailsConfig;
  readonly #byPolicy = new Map<string, readonly Guardrail[]>();
  readonly #cache = new WeakMap<Principal, Map<string, readonly Guardrail[]>>();

  constructor(config: GuardrailsConfig) {
    this.#config = config;
    const built = new Map(Object.entries(config.definitions).map(([name, c]) => [name, new Guardrail(name, c)]));
    for (const [policy, names] of Object.entries(config.policies)) {
      this.#byPolicy.set(policy, names.map((n) => built.get(n)).filter((g): g is Guardrail => g !== undefined));
    }
  }

  /** A policy's guardrails by name (the CLI's `--policy`); undefined for an unknown name. */
  named(policy: string): readonly Guardrail[] | undefined {
    return this.#byPolicy.get(policy);
  }

  get policyNames(): string[] {
    return [...this.#byPolicy.keys()];
  }

  for(principal: Principal, model: string): readonly Guardrail[] {
    let perModel = this.#cache.get(principal);
    if (perModel === undefined) this.#cache.set(principal, (perModel = new Map()));
    let guardrails = perModel.get(model);
    if (guardrails === undefined) perModel.set(model, (guardrails = this.#pick(principal, model)));
    return guardrails;
  }

  #pick(principal: Principal, model: string): readonly Guardrail[] {
    for (const a of this.#config.attach) {
      if (a.models !== undefined && !a.models.includes(model)) continue;
      if (a.teams !== undefined && (principal.teamName === null || !a.teams.includes(principal.teamName))) continue;
      if (a.keys !== undefined && !a.keys.includes(principal.keyId)) continue;
      return this.#byPolicy.get(a.policy) ?? [];
    }
    return this.#byPolicy.get('default') ?? [];
  }
}
