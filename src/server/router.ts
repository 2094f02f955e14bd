// The route table: exact paths in a Map (the data plane's routes, one lookup per request) and parameterised ones
// (`/admin/keys/:id`) tried in order after. `routes()` lists everything registered, which is how a test proves that
// no route answers without credentials.
import type { RequestContext } from '../pipeline/context.ts';

export type Handler = (ctx: RequestContext) => Promise<void>;

export interface RouteMatch {
  readonly methods: ReadonlyMap<string, Handler>;
  readonly params: Readonly<Record<string, string>>;
  /** The registered pattern: a bounded metric label, unlike the path. */
  readonly pattern: string;
}

interface PatternRoute {
  readonly pattern: string;
  readonly regex: RegExp;
  readonly names: readonly string[];
  readonly methods: Map<string, Handler>;
}

const NO_PARAMS: Readonly<Record<string, string>> = Object.freeze({});

export class Router {
  readonly #exact = new Map<string, { methods: Map<string, Handler>; match: RouteMatch }>();
  readonly #patterns: PatternRoute[] = [];

  add(method: string, pattern: string, handler: Handler): this {
    if (!pattern.includes('/:')) {
      let entry = this.#exact.get(pattern);
      if (entry === undefined) {
        const methods = new Map<string, Handler>();
        entry = { methods, match: { methods, params: NO_PARAMS, pattern } };
        this.#exact.set(pattern, entry);
      }
      entry.methods.set(method, handler);
      return this;
    }
    let route = this.#patterns.find((r) => r.pattern === pattern);
    if (route === undefined) {
      const names: string[] = [];
      const source = pattern.replace(/:([a-z_]+)/g, (_, name: string) => {
        names.push(name);
        return '([^/]+)';
      });
      route = { pattern, regex: new RegExp(`^${source}$`), names, methods: new Map() };
      this.#patterns.push(route);
    }
    route.methods.set(method, handler);
    return this;
  }

  match(path: string): RouteMatch | undefined {
    const exact = this.#exact.get(path);
    if (exact !== undefined) return exact.match;
    for (const route of this.#patterns) {
      const m = route.regex.exec(path);
      if (m === null) continue;
      const params: Record<string, string> = {};
      for (let i = 0; i < route.names.length; i++) {
        try {
          params[route.names[i]!] = decodeURIComponent(m[i + 1]!);
        } catch {
          return undefined; // a malformed %-escape names nothing: a 404, not a crash
        }
      }
      return { methods: route.methods, params, pattern: route.pattern };
    }
    return undefined;
  }

  /** Every method and pattern registered. */
  routes(): { method: string; pattern: string }[] {
    const all: { method: string; pattern: string }[] = [];
    for (const [pattern, { methods }] of this.#exact) for (const method of methods.keys()) all.push({ method, pattern });
    for (const route of this.#patterns) for (const method of route.methods.keys()) all.push({ method, pattern: route.pattern });
    return all;
  }
}
