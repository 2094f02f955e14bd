// Guardrails on a whole (non-streamed) answer. Detectors run on the upstream's JSON text itself: what they look for
// (addresses, numbers, keys, words) never spans a JSON quote or escape, so nothing needs parsing unless something
// is found, and a redaction is a replacement in the same text.
import type { Guardrail } from '../guardrails/guardrail.ts';
import { runGuardrails, runRemoteGuardrails, type Verdict } from '../guardrails/guardrail-policies.ts';
import { blockedError } from './guard-input.ts';
import type { AnswerContext } from '../guardrails/answer-checks.ts';
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

function answerContext(body: Record<string, unknown>): AnswerContext {
  const messages = Array.isArray(body.messages) ? (body.messages as { role?: unknown; content?: unknown }[]) : [];
  const system = messages.filter((m) => (m.role === 'system' || m.role === 'developer') && typeof m.content === 'string').map((m) => m.content as string);
  const format = body.response_format as { type?: unknown; json_schema?: { schema?: unknown } } | undefined;
  const schema = format?.type === 'json_schema' && typeof format.json_schema?.schema === 'object' && format.json_schema.schema !== null ? format.json_schema.schema : undefined;
  return { systemPrompt: system.length > 0 ? system.join('\n') : undefined, jsonSchema: schema as object | undefined };
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
  const answerLevel = guardrails.filter((g) => g.judgesAnswers && g.stages.has('output'));
  if (answerLevel.length > 0) {
    const text = answerText(out);
    const context = answerContext(ctx.body!);
    const verdict: Verdict = { action: 'pass', findings: [], text, blockedBy: undefined };
    for (const g of answerLevel) {
      const found = g.checkAnswer(text, context);
      if (found.length === 0) continue;
      verdict.findings.push(...found);
      if (g.action === 'flag') verdict.action = verdict.action === 'pass' ? 'flag' : verdict.action;
      else {
        // There is nothing to mask in a structure or an echo: anything but flag refuses the answer.
        verdict.action = 'block';
        verdict.blockedBy ??= g.name;
      }
    }
    if (verdict.action === 'block') throw blockedError('answer', verdict);
    if (verdict.action === 'flag') report(ctx, verdict);
  }
  if (guardrails.some((g) => g.remote && g.stages.has('output'))) {
    const text = answerText(out);
    const remote = text === '' ? undefined : await runRemoteGuardrails(guardrails, 'output', text);
    if (remote?.action === 'block') throw blockedError('answer', remote);
    if (remote !== undefined && remote.action !== 'pass') report(ctx, remote);
  }
  return out;
}
