// The operator's keys for content stored at rest: AES-256 keys from ARCHWAY_ENCRYPTION_KEY (plus
// ARCHWAY_ENCRYPTION_OLD_KEYS while rotating) or from a key file (one base64 key per line, the current one first).
// A key's id is derived from the key itself, so records name the key that sealed them without any registry.
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { inspect } from 'node:util';

export interface ContentKey {
  readonly kid: string;
  readonly key: Buffer;
}

export class KeyringError extends Error {}

export function keyId(key: Buffer): string {
  return createHash('sha256').update('archway-kid').update(key).digest('hex').slice(0, 16);
}

export function generateKey(): string {
  return randomBytes(32).toString('base64');
}

function parseKey(text: string, where: string): ContentKey {
  const key = Buffer.from(text.trim(), 'base64');
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(text.trim()) || key.length !== 32) {
    throw new KeyringError(`${where}: not a base64 32-byte key (got ${key.length} bytes); make one with \`openssl rand -base64 32\` or \`archway encryption generate-key\``);
  }
  return { kid: keyId(key), key };
}

export class Keyring {
  readonly current: ContentKey;
  readonly #byKid: Map<string, ContentKey>;

  constructor(keys: readonly ContentKey[]) {
    if (keys.length === 0) throw new KeyringError('no encryption key');
    this.current = keys[0]!;
    this.#byKid = new Map(keys.map((k) => [k.kid, k]));
  }

  get(kid: string): ContentKey | undefined {
    return this.#byKid.get(kid);
  }

  get kids(): string[] {
    return [...this.#byKid.keys()];
  }

  // Key material never reaches a log line or a JSON dump: only the ids do.
  toJSON(): { kids: string[] } {
    return { kids: this.kids };
  }

  [inspect.custom](): string {
    return `Keyring { current: ${this.current.kid}, kids: [${this.kids.join(', ')}] }`;
  }
}

/** Undefined when no key is configured anywhere. */
export function loadKeyring(options: { env: NodeJS.ProcessEnv; keyFile?: string }): Keyring | undefined {
  if (options.keyFile !== undefined) {
    let text: string;
    try {
      text = readFileSync(options.keyFile, 'utf8');
    } catch (err) {
      throw new KeyringError(`logging.content.key_file: cannot read ${options.keyFile} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
    }
    const keys: ContentKey[] = [];
    text.split('\n').forEach((line, i) => {
      if (line.trim() === '' || line.trim().startsWith('#')) return;
      keys.push(parseKey(line, `logging.content.key_file line ${i + 1}`));
    });
    if (keys.length === 0) throw new KeyringError(`logging.content.key_file: ${options.keyFile} holds no key`);
    return new Keyring(keys);
  }
  const current = options.env.ARCHWAY_ENCRYPTION_KEY;
  if (current === undefined || current === '') return undefined;
  const keys = [parseKey(current, 'ARCHWAY_ENCRYPTION_KEY')];
  (options.env.ARCHWAY_ENCRYPTION_OLD_KEYS ?? '')
    .split(',')
    .filter((k) => k.trim() !== '')
    .forEach((k, i) => keys.push(parseKey(k, `ARCHWAY_ENCRYPTION_OLD_KEYS item ${i + 1}`)));
  return new Keyring(keys);
}
