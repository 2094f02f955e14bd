// Which model the request names, and whether this caller may use it.
import { GatewayError } from '../errors.ts';
import { mayUseModel } from '../auth/principal.ts';
import type { ModelRoute } from '../upstream/runtime.ts';
import type { RequestContext } from './context.ts';

export function resolveModel(ctx: RequestContext): ModelRoute {
  const name = ctx.body!.model as string;
  ctx.model = name;
  const principal = ctx.principal!;
  const route = ctx.runtime.models.get(name);
  if (route === undefined) {
    const usable = [...ctx.runtime.models.keys()].filter((m) => mayUseModel(principal, m));
    throw new GatewayError('model_not_found', `the model "${name}" does not exist on this gateway; models you can use: ${usable.join(', ') || '(none)'}`, { param: 'model' });
  }
  if (!mayUseModel(principal, name)) {
    throw new GatewayError('model_not_allowed', `this API key may not use the model "${name}" (its allowed models: ${[...principal.models!].join(', ')})`, { param: 'model' });
  }
  return route;
}
