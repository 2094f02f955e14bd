// Retention of stored content: rows older than the configured number of days are deleted. Request ids are UUIDv7,
// so "older than" is a range of the primary key, deleted in small batches that never hold the database for long.
import type { DatabaseSync, StatementSync } from 'node:sqlite';
import { firstRequestIdAt } from '../../server/request-id.ts';

const BATCH = 1_000;
const DAY_MS = 86_400_000;

export class ContentRetention {
  readonly #delete: StatementSync;

  constructor(db: DatabaseSync) {
    this.#delete = db.prepare('DELETE FROM request_content WHERE id IN (SELECT id FROM request_content WHERE id < ? LIMIT ?)');
  }

  /** Deletes content older than `days`; returns how many rows went. */
  sweep(days: number, now: number = Date.now()): number {
    const before = firstRequestIdAt(now - days * DAY_MS);
    let deleted = 0;
    for (;;) {
      const n = Number(this.#delete.run(before, BATCH).changes);
      deleted += n;
      if (n < BATCH) return deleted;
    }
  }
}
