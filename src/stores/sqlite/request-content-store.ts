// Stored request and response content in SQLite, sealed with AES-256-GCM (src/security/content-cipher.ts). Rows are
// written by the request-log writer with their log row; this reads them back, and re-encrypts them when keys rotate.
import type { DatabaseSync, StatementSync } from 'node:sqlite';
import { contentAad, open, seal } from '../../security/content-cipher.ts';
import type { Keyring } from '../../security/keyring.ts';

interface ContentRow {
  id: string;
  kid: string;
  request: Uint8Array;
  response: Uint8Array | null;
}

const ROTATE_BATCH = 500;

export class SqliteRequestContentStore {
  readonly #db: DatabaseSync;
  readonly #keyring: Keyring;
  readonly #get: StatementSync;

  constructor(db: DatabaseSync, keyring: Keyring) {
    this.#db = db;
    this.#keyring = keyring;
    this.#get = db.prepare('SELECT * FROM request_content WHERE id = ?');
  }

  get(id: string): { request: string; response: string | null } | undefined {
    const row = this.#get.get(id) as ContentRow | undefined;
    if (row === undefined) return undefined;
    return {
      request: open(this.#keyring, row.kid, row.request, contentAad(id, 'request')).toString('utf8'),
      response: row.response === null ? null : open(this.#keyring, row.kid, row.response, contentAad(id, 'response')).toString('utf8'),
    };
  }

  /** Re-encrypts every record not sealed under the current key; safe to run again (and beside a running gateway). */
  rotate(): { rotated: number; alreadyCurrent: number } {
    const current = this.#keyring.current.kid;
    const select = this.#db.prepare('SELECT * FROM request_content WHERE kid != ? LIMIT ?');
    const update = this.#db.prepare('UPDATE request_content SET kid = ?, request = ?, response = ? WHERE id = ? AND kid = ?');
    let rotated = 0;
    for (;;) {
      const rows = select.all(current, ROTATE_BATCH) as unknown as ContentRow[];
      if (rows.length === 0) break;
      this.#db.exec('BEGIN IMMEDIATE');
      try {
        for (const row of rows) {
          const request = seal(this.#keyring, open(this.#keyring, row.kid, row.request, contentAad(row.id, 'request')), contentAad(row.id, 'request'));
          const response = row.response === null ? null : seal(this.#keyring, open(this.#keyring, row.kid, row.response, contentAad(row.id, 'response')), contentAad(row.id, 'response')).blob;
          update.run(current, request.blob, response, row.id, row.kid);
          rotated++;
        }
        this.#db.exec('COMMIT');
      } catch (err) {
        this.#db.exec('ROLLBACK');
        throw err;
      }
    }
    const { n } = this.#db.prepare('SELECT COUNT(*) AS n FROM request_content').get() as { n: number };
    return { rotated, alreadyCurrent: Number(n) - rotated };
  }
}
