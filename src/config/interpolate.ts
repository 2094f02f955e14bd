// `${VAR}` and `${VAR:-default}` in the config's string values, so secrets stay in the environment. Interpolation
// runs on parsed values, not on the YAML text, so an environment value can never change the file's structure.
// `$${` stands for a literal `${`.
import { readablePath } from '../validation/compile.ts';

export class InterpolationError extends Error {
  readonly path: string;
  constructor(path: string, message: string) {
    super(message);
    this.path = path;
  }
}

const PLACEHOLDER = /\$\$\{|\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;

function interpolateString(value: string, env: NodeJS.ProcessEnv, pointer: string): string {
  if (!value.includes('${')) return value;
  return value.replace(PLACEHOLDER, (match, name: string | undefined, fallback: string | undefined) => {
    if (match === '$${') return '${';
    const found = env[name!];
    if (found !== undefined && found !== '') return found;
    if (fallback !== undefined) return fallback;
    throw new InterpolationError(readablePath(pointer), `refers to \${${name}}, which is not set in the environment`);
  });
}

export function interpolate(value: unknown, env: NodeJS.ProcessEnv, pointer = ''): unknown {
  if (typeof value === 'string') return interpolateString(value, env, pointer);
  if (Array.isArray(value)) return value.map((item, i) => interpolate(item, env, `${pointer}/${i}`));
  if (typeof value === 'object' && value !== null) {
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) out[key] = interpolate(item, env, `${pointer}/${key.replace(/~/g, '~0').replace(/\//g, '~1')}`);
    return out;
  }
  return value;
}
