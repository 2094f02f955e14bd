// Checks a parsed body against its endpoint's schema; the first problem becomes a 400 naming the field (`param`).
import { GatewayError } from '../errors.ts';
import type { Operation } from '../providers/adapter.ts';
import { compile, type Validator } from '../validation/compile.ts';
import { ChatRequestSchema, EmbeddingsRequestSchema } from '../validation/request-schemas.ts';

const validators: Readonly<Record<Operation, Validator<Record<string, unknown>>>> = {
  chat: compile(ChatRequestSchema),
  embeddings: compile(EmbeddingsRequestSchema),
};

export function validateRequest(op: Operation, body: Record<string, unknown>): void {
  const validate = validators[op];
  if (validate(body)) return;
  const problems = validate.errors();
  const first = problems[0];
  const message = problems.map((p) => (p.path === '' ? p.message : `${p.path} ${p.message}`)).slice(0, 5).join('; ');
  throw new GatewayError('invalid_request', `invalid request: ${message}`, first?.path ? { param: first.path } : {});
}
