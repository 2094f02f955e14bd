// Sealing stored content with AES-256-GCM. A blob is: 1 version byte, 12-byte random IV, 16-byte tag, ciphertext.
// The additional authenticated data binds a blob to its row and field (`<request id>:request`), so a blob copied to
// another row or field fails to open instead of showing one request's content as another's.
//
// IVs: GCM breaks if an IV ever repeats under one key. Random 96-bit IVs keep the chance of any repeat below 2^-32
// for up to 2^32 seals per key (NIST SP 800-38D, 8.3); the collision probability is about n^2 / 2^97. At two seals
// per request, a million requests a day take about 6 years to reach 2^32; a busier gateway should rotate its key
// yearly, since a new key starts a new count.
//
// Pure functions over a Keyring: the request-log writer and the store share them.
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { Keyring } from './keyring.ts';

const VERSION = 1;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const HEADER_BYTES = 1 + IV_BYTES + TAG_BYTES;

/** A blob that cannot be opened: altered, moved, sealed under another key, or under a key not in the keyring. */
export class ContentDecryptError extends Error {
  override name = 'ContentDecryptError';
}

/** The additional data of a stored field: binds the blob to its row and field. */
export const contentAad = (id: string, field: 'request' | 'response'): string => `${id}:${field}`;

export function seal(keyring: Keyring, plaintext: string | Buffer, aad: string): { kid: string; blob: Buffer } {
  const { kid, key } = keyring.current;
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.from(aad, 'utf8'));
  const body = Buffer.concat([typeof plaintext === 'string' ? cipher.update(plaintext, 'utf8') : cipher.update(plaintext), cipher.final()]);
  return { kid, blob: Buffer.concat([Buffer.of(VERSION), iv, cipher.getAuthTag(), body]) };
}

/** `blob`: a Buffer or the Uint8Array SQLite returns. */
export function open(keyring: Keyring, kid: string, blob: Uint8Array, aad: string): Buffer {
  const entry = keyring.get(kid);
  if (entry === undefined) {
    throw new ContentDecryptError(
      `content of ${aad} was sealed with key ${kid}, which is not configured (current key ${keyring.current.kid}): ` +
        'add the key with that id after the current one (logging.content.key_file, or ARCHWAY_ENCRYPTION_OLD_KEYS)',
    );
  }
  const data = Buffer.from(blob.buffer, blob.byteOffset, blob.byteLength);
  if (data.length < HEADER_BYTES) throw new ContentDecryptError(`content of ${aad} is not a sealed blob (${data.length} bytes)`);
  if (data[0] !== VERSION) throw new ContentDecryptError(`content of ${aad} has unknown format version ${data[0]}`);
  try {
    const decipher = createDecipheriv('aes-256-gcm', entry.key, data.subarray(1, 1 + IV_BYTES));
    decipher.setAAD(Buffer.from(aad, 'utf8'));
    decipher.setAuthTag(data.subarray(1 + IV_BYTES, HEADER_BYTES));
    return Buffer.concat([decipher.update(data.subarray(HEADER_BYTES)), decipher.final()]);
  } catch {
    // GCM cannot tell which: any change to the blob, the row it belongs to, or the key fails the same check.
    throw new ContentDecryptError(`content of ${aad} failed authentication under key ${kid}: it was altered, moved from another row, or sealed with a different key`);
  }
}

/** A request's content, sealed: both fields under the current key, each bound to its row and field. */
export interface SealedContentFields {
  kid: string;
  request: Buffer;
  response: Buffer | null;
}

export function sealContent(keyring: Keyring, id: string, request: string, response: string | null): SealedContentFields {
  const sealed = seal(keyring, request, contentAad(id, 'request'));
  return {
    kid: sealed.kid,
    request: sealed.blob,
    response: response === null ? null : seal(keyring, response, contentAad(id, 'response')).blob,
  };
}

export function openContent(
  keyring: Keyring,
  id: string,
  sealed: { kid: string; request: Uint8Array; response: Uint8Array | null },
): { request: string; response: string | null } {
  return {
    request: open(keyring, sealed.kid, sealed.request, contentAad(id, 'request')).toString('utf8'),
    response: sealed.response === null ? null : open(keyring, sealed.kid, sealed.response, contentAad(id, 'response')).toString('utf8'),
  };
}
