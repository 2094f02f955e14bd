// Guardrails on a whole (non-streamed) answer. Detectors run on the upstream's JSON text itself: what they look for
// (addresses, numbers, keys, words) never spans a JSON quote or escape, so nothing needs parsing unless something
// is found, and a redaction is a replacement in the same text.
import { GatewayError } from '../errors.ts';
import type { Guardrail } from '../guardrails/guardrail.ts';
import { runGuardrails } from '../guardrails/guardrail-policies.ts';
import type { RequestContext } from './context.ts';

export function guardOutput(ctx: RequestContext, guardrails: readonly Guardrail[], body: Buffer): Buffer {
  if (!guardrails.some((g) => g.stages.has('output'))) return body;
  const text = body.toString('utf8');
  const verdict = runGuardrails(guardrails, 'output', text);
  if (verdict.action === 'pass') return body;
  if (verdict.action === 'block') {
    const types = [...new Set(verdict.findings.filter((f) => f.guardrail === verdict.blockedBy).map((f) => f.type))];
    throw new GatewayError('guardrail_blocked', `the answer was blocked by the guardrail "${verdict.blockedBy}" (${types.join(', ')})`, {
      bodyCode: `guardrail_blocked:${verdict.blockedBy}`,
    });
  }
  const report = verdict.findings.map((f) => `${f.guardrail}:${f.type}`);
  ctx.guardrails = [...new Set([...(ctx.guardrails === null ? [] : ctx.guardrails.split(', ')), ...report])].join(', ');
  return verdict.action === 'redact' ? Buffer.from(verdict.text) : body;
}
