// GET /v1/models: the models this caller may use, in OpenAI's list shape.
import { authenticate } from '../../pipeline/authenticate.ts';
import { mayUseModel } from '../../auth/principal.ts';
import type { RequestContext } from '../../pipeline/context.ts';
import { sendJson } from '../respond.ts';

const CREATED = Math.floor(Date.now() / 1000);

export async function listModels(ctx: RequestContext): Promise<void> {
  const principal = await authenticate(ctx, 'data-plane');
  const data = [...ctx.runtime.models.keys()]
    .filter((name) => mayUseModel(principal, name) && ctx.runtime.policies.allowsModel(principal, name))
    .map((id) => ({ id, object: 'model', created: CREATED, owned_by: 'archway' }));
  await sendJson(ctx, 200, JSON.stringify({ object: 'list', data }));
}
