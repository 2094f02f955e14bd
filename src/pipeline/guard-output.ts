// Guardrails on a whole (non-streamed) answer. Detectors run on the upstream's JSON text itself: what they look for
// (addresses, numbers, keys, words) never spans a JSON quote or escape, so nothing needs parsing unless something
// is found, and a redaction is a replacement in the same text.
import type { Guardrail } from '../guardrails/guardrail.ts';
import { runGuardrails, runRemoteGuardrails, type Verdict } from '../guardrails/guardrail-policies.ts';
import { blockedError } from './guard-input.ts';
import type { RequestContext } from './context.ts';

function report(ctx: RequestContext, verdict: Verdict): void {
  const found = verdict.findings.map((f) => `${f.guardrail}:${f.type}`);
  ctx.guardrails = [...new Set([...(ctx.guardrails === null ? [] : ctx.guardrails.split(', ')), ...found])].join(', ');
}

/** The answer's generated text, for remote guardrails (they judge the words, not the JSON around them). */
function answerText(body: Buffer): string {
  try {
    const parsed = JSON.parse(body.toString('utf8')) as { choices?: { message?: { content?: unknown } }[] };
    return (parsed.choices ?? []).map((c) => (typeof c.message?.content === 'string' ? c.message.content : '')).join('\n\n');
  } catch {
    return '';
  }
}

export async function guardOutput(ctx: RequestContext, guardrails: readonly Guardrail[], body: Buffer): Promise<Buffer> {
  if (!guardrails.some((g) => g.stages.has('output'))) return body;
  let out = body;
  const verdict = runGuardrails(guardrails, 'output', body.toString('utf8'));
  if (verdict.action === 'block') throw blockedError('answer', verdict);
  if (verdict.action !== 'pass') {
    report(ctx, verdict);
    if (verdict.action === 'redact') out = Buffer.from(verdict.text);
  }
  if (guardrails.some((g) => g.remote && g.stages.has('output'))) {
    const text = answerText(out);
    const remote = text === '' ? undefined : await runRemoteGuardrails(guardrails, 'output', text);
    if (remote?.action === 'block') throw blockedError('answer', remote);
    if (remote !== undefined && remote.action !== 'pass') report(ctx, remote);
  }
  return out;
}
