// Sealing stored content with AES-256-GCM. A blob is: version byte, 12-byte random IV, 16-byte tag, ciphertext.
// The additional data binds a blob to its row and field (`<request id>:request`), so blobs cannot be swapped between
// rows unnoticed. Random 96-bit IVs are safe for up to 2^32 messages per key (NIST SP 800-38D): rotate well before.
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { Keyring } from './keyring.ts';

const VERSION = 1;
const IV_BYTES = 12;
const TAG_BYTES = 16;

export class ContentDecryptError extends Error {}

/** The additional data of a stored field: binds the blob to its row and field. */
export const contentAad = (id: string, field: 'request' | 'response'): string => `${id}:${field}`;

export function seal(keyring: Keyring, plaintext: string | Buffer, aad: string): { kid: string; blob: Buffer } {
  const { kid, key } = keyring.current;
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.from(aad));
  const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return { kid, blob: Buffer.concat([Buffer.of(VERSION), iv, cipher.getAuthTag(), body]) };
}

export function open(keyring: Keyring, kid: string, blob: Uint8Array, aad: string): Buffer {
  const entry = keyring.get(kid);
  if (entry === undefined) throw new ContentDecryptError(`content sealed with key ${kid}, which is not configured: add that key (after the current one) to decrypt it`);
  const data = Buffer.from(blob.buffer, blob.byteOffset, blob.byteLength);
  if (data.length < 1 + IV_BYTES + TAG_BYTES || data[0] !== VERSION) throw new ContentDecryptError('not a sealed content blob');
  try {
    const decipher = createDecipheriv('aes-256-gcm', entry.key, data.subarray(1, 1 + IV_BYTES));
    decipher.setAAD(Buffer.from(aad));
    decipher.setAuthTag(data.subarray(1 + IV_BYTES, 1 + IV_BYTES + TAG_BYTES));
    return Buffer.concat([decipher.update(data.subarray(1 + IV_BYTES + TAG_BYTES)), decipher.final()]);
  } catch {
    throw new ContentDecryptError(`content of ${aad} failed authentication: it was altered, or sealed under another key`);
  }
}
