// One JSON Schema validator for the whole gateway (Ajv, compiled to code once at start): the config file and every
// request body go through it, and its errors are turned into messages that name the path and the reason.
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';

// `optimize: false`: Ajv's optimiser counts the generated code's variable names in plain objects, one key per name
// (data0…data400, err0…, _errs0…), and V8 keeps every first key ever added to an empty object as a transition of one
// shared map. Compiling the config schema used up all 1,536 of them, and from then on every object in the process
// that is built key by key (Node's own tick objects and headers, ours) got a shape of its own: its property
// accesses went megamorphic, which cost the request path about a seventh of its instructions. The unoptimised code
// validates a chat request as fast (the optimiser only drops unused variables).
const AJV_OPTIONS = { allErrors: true, useDefaults: true, strict: false, allowUnionTypes: true, code: { optimize: false } } as const;
const ajv = new Ajv({ ...AJV_OPTIONS, coerceTypes: false });
// The config's values may come from `${ENV}` placeholders, which are strings: there "8080" may stand for a number.
// Request bodies are never coerced: a client sending "0.7" for temperature gets told.
const coercingAjv = new Ajv({ ...AJV_OPTIONS, coerceTypes: true });

export interface Validator<T> {
  /** Checks (and fills in schema defaults, in place); returns the problems, or an empty list. */
  (value: unknown): value is T;
  errors(): ValidationProblem[];
}

export interface ValidationProblem {
  /** A readable path: `models.gpt-4o-mini.backends[0].provider`, `messages[2].role`. Empty for the root. */
  path: string;
  message: string;
}

/**
 * `coerceScalars`: accept "8080" for a number (the config). `transient`: a schema that came with a request, not one of
 * ours: Ajv forgets it once compiled, or its registry would grow with every distinct schema clients send (and refuse
 * a second one that reuses an `$id`).
 */
export function compile<T>(schema: object, options: { coerceScalars?: boolean; transient?: boolean } = {}): Validator<T> {
  const instance = options.coerceScalars ? coercingAjv : ajv;
  const validate: ValidateFunction = instance.compile(schema);
  if (options.transient) instance.removeSchema(schema);
  const check = ((value: unknown) => validate(value)) as Validator<T>;
  check.errors = () => describe(validate.errors ?? []);
  return check;
}

/** `/models/a.b/backends/0/provider` → `models["a.b"].backends[0].provider` */
export function readablePath(pointer: string): string {
  if (pointer === '') return '';
  let out = '';
  for (const raw of pointer.slice(1).split('/')) {
    const part = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (/^\d+$/.test(part)) out += `[${part}]`;
    else if (/^[A-Za-z_$][\w$-]*$/.test(part)) out += out === '' ? part : `.${part}`;
    else out += `[${JSON.stringify(part)}]`;
  }
  return out;
}

/** The readable path of a property below a JSON pointer. */
function child(pointer: string, key: unknown): string {
  return readablePath(`${pointer}/${String(key).replace(/~/g, '~0').replace(/\//g, '~1')}`);
}

function describeOne(e: ErrorObject): ValidationProblem {
  const path = readablePath(e.instancePath);
  const p = e.params as Record<string, unknown>;
  switch (e.keyword) {
    case 'required':
      return { path: child(e.instancePath, p.missingProperty), message: 'is required' };
    case 'additionalProperties':
      return { path: child(e.instancePath, p.additionalProperty), message: 'is not a known field (check the spelling)' };
    case 'enum':
      return { path, message: `must be one of: ${(p.allowedValues as unknown[]).map(String).join(', ')}` };
    case 'type':
      return { path, message: `must be ${String(p.type).replace(',', ' or ')}` };
    default:
      return { path, message: e.message ?? 'is invalid' };
  }
}

// With allErrors, a union reports every branch; the most specific problems (deepest path) say the most, and
// anyOf/oneOf summaries are dropped when a branch explains itself.
function describe(errors: ErrorObject[]): ValidationProblem[] {
  const specific = errors.filter((e) => e.keyword !== 'anyOf' && e.keyword !== 'oneOf' && e.keyword !== 'if');
  const chosen = specific.length > 0 ? specific : errors;
  // "must be number" and "must be null" from two branches of one union read better as one line.
  const typesAt = new Map<string, string[]>();
  for (const e of chosen) {
    if (e.keyword !== 'type') continue;
    const list = typesAt.get(e.instancePath) ?? [];
    list.push(String((e.params as { type: unknown }).type));
    typesAt.set(e.instancePath, list);
  }
  const seen = new Set<string>();
  const out: ValidationProblem[] = [];
  for (const e of chosen) {
    const types = e.keyword === 'type' ? typesAt.get(e.instancePath) : undefined;
    const problem = types ? { path: readablePath(e.instancePath), message: `must be ${types.join(' or ').replaceAll(',', ' or ')}` } : describeOne(e);
    const key = `${problem.path}\u0000${problem.message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(problem);
  }
  return out;
}
