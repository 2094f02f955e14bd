// Guardrails on a whole (non-streamed) answer. Detectors run on the upstream's JSON text itself: what they look for
// (addresses, numbers, keys, words) never spans a JSON quote or escape, so nothing needs parsing unless something
// is found, and a redaction is a replacement in the same text.
import type { Guardrail } from '../guardrails/guardrail.ts';
import { runAnswerGuardrails, runGuardrails, runRemoteGuardrails } from '../guardrails/guardrail-policies.ts';
import { applyVerdict } from './guard-input.ts';
import type { AnswerContext } from '../guardrails/answer-checks.ts';
import type { RequestContext } from './context.ts';
import { answerText } from './answer-text.ts';


function answerContext(body: Record<string, unknown>): AnswerContext {
  const messages = Array.isArray(body.messages) ? (body.messages as { role?: unknown; content?: unknown }[]) : [];
  const system = messages.filter((m) => (m.role === 'system' || m.role === 'developer') && typeof m.content === 'string').map((m) => m.content as string);
  const format = body.response_format as { type?: unknown; json_schema?: { schema?: unknown } } | undefined;
  const schema = format?.type === 'json_schema' && typeof format.json_schema?.schema === 'object' && format.json_schema.schema !== null ? format.json_schema.schema : undefined;
  return { systemPrompt: system.length > 0 ? system.join('\n') : undefined, jsonSchema: schema as object | undefined };
}

/** The answer as the client may see it; a promise only when a remote guardrail has to judge it. */
export function guardOutput(ctx: RequestContext, guardrails: readonly Guardrail[], body: Buffer): Buffer | Promise<Buffer> {
  if (!guardrails.some((g) => g.stages.has('output'))) return body;
  const verdict = runGuardrails(guardrails, 'output', body.toString('utf8'));
  applyVerdict(ctx, 'answer', verdict);
  const out = verdict.action === 'redact' ? Buffer.from(verdict.text) : body;
  const answerLevel = guardrails.some((g) => g.judgesAnswers && g.stages.has('output'));
  const remote = guardrails.some((g) => g.remote && g.stages.has('output'));
  if (!answerLevel && !remote) return out;
  // These judge the generated words, not the JSON around them: parsed once, for both.
  const text = answerText(out) ?? '';
  if (answerLevel) applyVerdict(ctx, 'answer', runAnswerGuardrails(guardrails, text, answerContext(ctx.body!)));
  if (!remote || text === '') return out;
  return runRemoteGuardrails(guardrails, 'output', text).then((verdict) => {
    applyVerdict(ctx, 'answer', verdict);
    return out;
  });
}
