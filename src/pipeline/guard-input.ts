// Guardrails on the way in: every text of the request (each message's content and text parts, or the inputs of an
// embeddings call) goes through the guardrails of the caller's policy. A block is a 400 naming the guardrail; a
// redaction changes the body sent upstream; flags are reported in `x-archway-guardrails`.
import { GatewayError } from '../errors.ts';
import type { Guardrail } from '../guardrails/guardrail.ts';
import { runGuardrails, runRemoteGuardrails, type Verdict } from '../guardrails/guardrail-policies.ts';
import { TextMemo } from '../text-memo.ts';
import { RedactionVault } from '../guardrails/vault.ts';
import type { Operation } from '../providers/adapter.ts';
import type { RequestContext } from './context.ts';

/** Verdicts per guardrail list, kept apart for system messages (some guardrails skip those) and the rest. */
const caches = new WeakMap<readonly Guardrail[], { system: TextMemo<Verdict>; other: TextMemo<Verdict> }>();

function verdictOn(guardrails: readonly Guardrail[], text: string, role: string | undefined, vault: RedactionVault | undefined): Verdict {
  // Reversible masks are numbered per request: nothing to reuse from another one.
  if (vault !== undefined) return runGuardrails(guardrails, 'input', text, role, vault);
  let memos = caches.get(guardrails);
  if (memos === undefined) caches.set(guardrails, (memos = { system: new TextMemo(), other: new TextMemo() }));
  const memo = role === 'system' ? memos.system : memos.other;
  let verdict = memo.get(text);
  if (verdict === undefined) memo.set(text, (verdict = runGuardrails(guardrails, 'input', text, role)));
  return verdict;
}

/** Applies a verdict to the request: a block throws the 400, anything found is reported in `x-archway-guardrails`. */
export function applyVerdict(ctx: RequestContext, what: 'request' | 'answer', verdict: Verdict): void {
  if (verdict.action === 'pass') return;
  if (verdict.action === 'block') throw blockedError(what, verdict);
  ctx.guardrails ??= new Set();
  for (const f of verdict.findings) ctx.guardrails.add(`${f.guardrail}:${f.type}`);
}

/** The 400 of a blocking verdict, its code naming the guardrail. */
export function blockedError(what: 'request' | 'answer', verdict: Verdict): GatewayError {
  const reasons = [...new Set(verdict.findings.filter((f) => f.guardrail === verdict.blockedBy).map((f) => f.type))];
  return new GatewayError('guardrail_blocked', `the ${what} was blocked by the guardrail "${verdict.blockedBy}" (${reasons.join(', ')})`, {
    bodyCode: `guardrail_blocked:${verdict.blockedBy}`,
  });
}

/**
 * Local guardrails per text, then the remote ones (if the policy has any) on the caller's texts together. Only the
 * remote ones make it wait: the returned promise is theirs, and there is none without them.
 */
export function guardInput(ctx: RequestContext, op: Operation, guardrails: readonly Guardrail[]): Promise<void> | undefined {
  if (guardrails.length === 0) return undefined;
  const body = ctx.body!;
  const vault = guardrails.some((g) => g.reversible && g.stages.has('input')) ? new RedactionVault() : undefined;
  /** What the caller wrote (not the application's system prompt), after redaction: what remote guardrails judge. */
  const callerTexts: string[] = [];
  const checked = (text: string, role: string | undefined): string => {
    const verdict = verdictOn(guardrails, text, role, vault);
    applyVerdict(ctx, 'request', verdict);
    if (role !== 'system') callerTexts.push(verdict.text);
    return verdict.text;
  };
  if (op === 'chat') {
    for (const message of body.messages as { role?: string; content?: unknown }[]) {
      const content = message.content;
      if (typeof content === 'string') message.content = checked(content, message.role);
      else if (Array.isArray(content)) {
        for (const part of content as { type?: string; text?: unknown }[]) {
          if (part.type === 'text' && typeof part.text === 'string') part.text = checked(part.text, message.role);
        }
      }
    }
  } else if (typeof body.input === 'string') {
    body.input = checked(body.input, 'user');
  } else if (Array.isArray(body.input)) {
    body.input = body.input.map((item: unknown) => (typeof item === 'string' ? checked(item, 'user') : item));
  }
  if (vault !== undefined && vault.size > 0) ctx.vault = vault;
  if (guardrails.some((g) => g.remote && g.stages.has('input')) && callerTexts.length > 0) {
    return runRemoteGuardrails(guardrails, 'input', callerTexts.join('\n\n')).then((verdict) => applyVerdict(ctx, 'request', verdict));
  }
  return undefined;
}
