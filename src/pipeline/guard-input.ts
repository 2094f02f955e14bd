// Guardrails on the way in: every text of the request (each message's content and text parts, or the inputs of an
// embeddings call) goes through the guardrails of the caller's policy. A block is a 400 naming the guardrail; a
// redaction changes the body sent upstream; flags are reported in `x-archway-guardrails`.
import { GatewayError } from '../errors.ts';
import type { Guardrail } from '../guardrails/guardrail.ts';
import { runGuardrails } from '../guardrails/guardrail-policies.ts';
import type { Finding } from '../guardrails/finding.ts';
import { VerdictCache } from '../guardrails/verdict-cache.ts';
import type { Operation } from '../providers/adapter.ts';
import type { RequestContext } from './context.ts';

interface Collected {
  findings: Finding[];
  actions: Set<string>;
}

const caches = new WeakMap<readonly Guardrail[], VerdictCache>();

function check(guardrails: readonly Guardrail[], text: string, role: string | undefined, collected: Collected): string {
  let cache = caches.get(guardrails);
  if (cache === undefined) caches.set(guardrails, (cache = new VerdictCache()));
  // System messages skip some guardrails, so their verdicts are kept apart.
  const key = role === 'system' ? `\u0001${text}` : text;
  let verdict = cache.get(key);
  if (verdict === undefined) cache.set(key, (verdict = runGuardrails(guardrails, 'input', text, role)));
  if (verdict.action === 'pass') return text;
  if (verdict.action === 'block') {
    const reasons = verdict.findings.filter((f) => f.guardrail === verdict.blockedBy).map((f) => f.type);
    throw new GatewayError('guardrail_blocked', `the request was blocked by the guardrail "${verdict.blockedBy}" (${[...new Set(reasons)].join(', ')})`, {
      bodyCode: `guardrail_blocked:${verdict.blockedBy}`,
    });
  }
  collected.findings.push(...verdict.findings);
  for (const f of verdict.findings) collected.actions.add(`${f.guardrail}:${f.type}`);
  return verdict.text;
}

export function guardInput(ctx: RequestContext, op: Operation, guardrails: readonly Guardrail[]): void {
  if (guardrails.length === 0) return;
  const body = ctx.body!;
  const collected: Collected = { findings: [], actions: new Set() };
  if (op === 'chat') {
    for (const message of body.messages as { role?: string; content?: unknown }[]) {
      const content = message.content;
      if (typeof content === 'string') message.content = check(guardrails, content, message.role, collected);
      else if (Array.isArray(content)) {
        for (const part of content as { type?: string; text?: unknown }[]) {
          if (part.type === 'text' && typeof part.text === 'string') part.text = check(guardrails, part.text, message.role, collected);
        }
      }
    }
  } else if (typeof body.input === 'string') {
    body.input = check(guardrails, body.input, 'user', collected);
  } else if (Array.isArray(body.input)) {
    body.input = body.input.map((item: unknown) => (typeof item === 'string' ? check(guardrails, item, 'user', collected) : item));
  }
  if (collected.actions.size > 0) ctx.guardrails = [...collected.actions].join(', ');
}
