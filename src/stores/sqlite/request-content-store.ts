// Stored request and response content in SQLite, sealed with AES-256-GCM (src/security/content-cipher.ts): the
// database holds key ids and ciphertext, never the text. The gateway's request-log writer inserts rows with their log
// row; this store reads them back, writes them directly (put), and re-encrypts them when keys rotate.
import type { DatabaseSync, StatementSync } from 'node:sqlite';
import { ContentDecryptError, contentAad, open, openContent, seal, sealContent } from '../../security/content-cipher.ts';
import type { Keyring } from '../../security/keyring.ts';

interface ContentRow {
  id: string;
  kid: string;
  request: Uint8Array;
  response: Uint8Array | null;
}

/** Rows re-encrypted per transaction: small enough that a running gateway's writer waits milliseconds, not seconds. */
const ROTATE_BATCH = 250;

export class SqliteRequestContentStore {
  readonly #db: DatabaseSync;
  readonly #keyring: Keyring;
  readonly #get: StatementSync;
  readonly #put: StatementSync;

  constructor(db: DatabaseSync, keyring: Keyring) {
    this.#db = db;
    this.#keyring = keyring;
    this.#get = db.prepare('SELECT id, kid, request, response FROM request_content WHERE id = ?');
    this.#put = db.prepare('INSERT OR REPLACE INTO request_content (id, kid, request, response) VALUES (?, ?, ?, ?)');
  }

  /** Seals both fields under the current key and stores them under the request id (replacing what was there). */
  put(id: string, request: string, response: string | null): void {
    const sealed = sealContent(this.#keyring, id, request, response);
    this.#put.run(id, sealed.kid, sealed.request, sealed.response);
  }

  /** The decrypted content, or undefined when none was stored; ContentDecryptError when it cannot be opened. */
  get(id: string): { request: string; response: string | null } | undefined {
    const row = this.#get.get(id) as ContentRow | undefined;
    return row === undefined ? undefined : openContent(this.#keyring, id, row);
  }

  /**
   * Re-encrypts under the current key every record sealed under another, a batch per transaction, walking the table in
   * id order so each row is read once. Safe to stop and run again, and to run beside a gateway (whose new rows are
   * current already, provided it was started with the new key first). A record that cannot be opened (unknown key,
   * altered) stops it with an error; the batches before it stay committed.
   */
  rotate(onProgress?: (rotated: number) => void): { rotated: number; alreadyCurrent: number } {
    const current = this.#keyring.current.kid;
    const first = this.#db.prepare('SELECT id, kid, request, response FROM request_content WHERE kid != ? ORDER BY id LIMIT ?');
    const next = this.#db.prepare('SELECT id, kid, request, response FROM request_content WHERE id > ? AND kid != ? ORDER BY id LIMIT ?');
    const update = this.#db.prepare('UPDATE request_content SET kid = ?, request = ?, response = ? WHERE id = ? AND kid = ?');
    let rotated = 0;
    let after: string | undefined;
    for (;;) {
      // Read inside the write transaction, so no row can change between reading and rewriting it.
      this.#db.exec('BEGIN IMMEDIATE');
      let rows: ContentRow[];
      try {
        rows = (after === undefined ? first.all(current, ROTATE_BATCH) : next.all(after, current, ROTATE_BATCH)) as unknown as ContentRow[];
        for (const row of rows) {
          const response = row.response === null ? null : this.#reseal(row, 'response', row.response);
          update.run(current, this.#reseal(row, 'request', row.request), response, row.id, row.kid);
        }
        this.#db.exec('COMMIT');
      } catch (err) {
        this.#db.exec('ROLLBACK');
        throw err;
      }
      rotated += rows.length;
      if (rows.length > 0) onProgress?.(rotated);
      if (rows.length < ROTATE_BATCH) break;
      after = rows[rows.length - 1]!.id;
    }
    const { n } = this.#db.prepare('SELECT COUNT(*) AS n FROM request_content WHERE kid = ?').get(current) as { n: number | bigint };
    return { rotated, alreadyCurrent: Number(n) - rotated };
  }

  #reseal(row: ContentRow, field: 'request' | 'response', blob: Uint8Array): Buffer {
    const aad = contentAad(row.id, field);
    try {
      return seal(this.#keyring, open(this.#keyring, row.kid, blob, aad), aad).blob;
    } catch (err) {
      if (err instanceof ContentDecryptError) throw new ContentDecryptError(`rotation stopped at record ${row.id}: ${err.message}`);
      throw err;
    }
  }
}
