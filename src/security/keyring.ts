// The operator's keys for content stored at rest: AES-256 keys from a key file (one base64 key per line, the current
// one first, older ones after it for reading records not yet rotated) or from ARCHWAY_ENCRYPTION_KEY, plus
// ARCHWAY_ENCRYPTION_OLD_KEYS while rotating. A key's id is derived from the key itself, so every record names the key
// that sealed it without a registry of ids to keep in step, and an id reveals nothing useful about its key.
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { inspect } from 'node:util';

const KEY_BYTES = 32;
const MAKE_ONE = 'make one with `openssl rand -base64 32` or `archway encryption generate-key`';

export class KeyringError extends Error {
  override name = 'KeyringError';
}

/** The key id: the first 16 hex characters of SHA-256("archway-kid" + key). */
export function keyId(key: Buffer): string {
  return createHash('sha256').update('archway-kid').update(key).digest('hex').slice(0, 16);
}

/** A new key, as the base64 text that goes in a key file or ARCHWAY_ENCRYPTION_KEY. */
export function generateKey(): string {
  return randomBytes(KEY_BYTES).toString('base64');
}

/** One key and its id. Printing or serialising it shows the id only: keys end up in logs by accident, never on purpose. */
export class ContentKey {
  readonly kid: string;
  readonly key: Buffer;

  constructor(kid: string, key: Buffer) {
    if (key.length !== KEY_BYTES) throw new KeyringError(`key ${kid}: AES-256 needs ${KEY_BYTES} bytes, got ${key.length}`);
    this.kid = kid;
    this.key = key;
  }

  toJSON(): { kid: string } {
    return { kid: this.kid };
  }

  [inspect.custom](): string {
    return `ContentKey { kid: ${this.kid} }`;
  }
}

export class Keyring {
  /** The key new content is sealed with. */
  readonly current: ContentKey;
  readonly #byKid: Map<string, ContentKey>;

  /** The first key is the current one. Ids are normally keyId(key); tests may name their own. */
  constructor(keys: ReadonlyArray<{ kid: string; key: Buffer }>) {
    if (keys.length === 0) throw new KeyringError('no encryption key');
    const entries = keys.map((k) => new ContentKey(k.kid, k.key));
    this.current = entries[0]!;
    // The first occurrence wins, so a key listed twice keeps its place as current.
    this.#byKid = new Map();
    for (const entry of entries) if (!this.#byKid.has(entry.kid)) this.#byKid.set(entry.kid, entry);
  }

  get(kid: string): ContentKey | undefined {
    return this.#byKid.get(kid);
  }

  get kids(): string[] {
    return [...this.#byKid.keys()];
  }

  // Key material never reaches a log line, an error report or a JSON dump: only the ids do.
  toJSON(): { current: string; kids: string[] } {
    return { current: this.current.kid, kids: this.kids };
  }

  [inspect.custom](): string {
    return `Keyring { current: ${this.current.kid}, kids: [${this.kids.join(', ')}] }`;
  }
}

/** A base64 32-byte key, or an error naming where it came from (never echoing the text: it may be a real key). */
function parseKey(text: string, where: string): ContentKey {
  const trimmed = text.trim();
  // Node's base64 decoder skips characters it does not know; check first, so a typo is not a silently shorter key.
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(trimmed)) {
    throw new KeyringError(`${where}: not a base64 32-byte key (it has characters outside A-Z a-z 0-9 + / =); ${MAKE_ONE}`);
  }
  const key = Buffer.from(trimmed, 'base64');
  if (key.length !== KEY_BYTES) throw new KeyringError(`${where}: not a base64 32-byte key (got ${key.length} bytes); ${MAKE_ONE}`);
  return new ContentKey(keyId(key), key);
}

/** The keys of a key file: one per line, the current first; blank lines and `#` comments (whole or trailing) skipped. */
export function parseKeyFile(text: string, name = 'logging.content.key_file'): Keyring {
  const keys: ContentKey[] = [];
  text.split('\n').forEach((line, i) => {
    const content = line.replace(/#.*/, '').trim();
    if (content !== '') keys.push(parseKey(content, `${name} line ${i + 1}`));
  });
  if (keys.length === 0) throw new KeyringError(`${name}: holds no key (one base64 key per line, the current one first); ${MAKE_ONE}`);
  return new Keyring(keys);
}

/**
 * The configured keys: the key file when the config names one, else the environment. Undefined when neither holds a
 * key (the caller decides whether that is an error: it is when content storage is on).
 */
export function loadKeyring(options: { env: NodeJS.ProcessEnv; keyFile?: string }): Keyring | undefined {
  if (options.keyFile !== undefined) {
    let text: string;
    try {
      text = readFileSync(options.keyFile, 'utf8');
    } catch (err) {
      throw new KeyringError(`logging.content.key_file: cannot read ${options.keyFile} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
    }
    return parseKeyFile(text);
  }
  const current = options.env.ARCHWAY_ENCRYPTION_KEY ?? '';
  const old = (options.env.ARCHWAY_ENCRYPTION_OLD_KEYS ?? '').split(',').filter((k) => k.trim() !== '');
  if (current.trim() === '') {
    if (old.length > 0) throw new KeyringError('ARCHWAY_ENCRYPTION_OLD_KEYS is set but ARCHWAY_ENCRYPTION_KEY is not: the current key is needed too');
    return undefined;
  }
  return new Keyring([
    parseKey(current, 'ARCHWAY_ENCRYPTION_KEY'),
    ...old.map((k, i) => parseKey(k, `ARCHWAY_ENCRYPTION_OLD_KEYS item ${i + 1}`)),
  ]);
}
