// @ts-check
// The request log's journal: where a row becomes durable. The writer thread appends each batch to it as one line (a
// JSON array of row tuples, see request-log-wire.ts) with a single write(), which survives the process being killed,
// and acknowledges the batch; the rows reach the tables later, many batches to a transaction (request-log-sql.js),
// and the journal is emptied. A response thus waits for one small append instead of a B-tree commit on three tables,
// which is most of what the row cost a lone request. Each writer has its own journal, named by its process (two
// gateways may share a data directory); what a journal still holds when a gateway starts (its process died with rows
// in it) is ingested then.
// Plain JavaScript, like request-log-sql.js, so the writer thread needs no TypeScript.
import { randomUUID } from 'node:crypto';
import { closeSync, openSync, readdirSync, readSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { insertTuples } from './request-log-sql.js';

const PREFIX = 'request-log.';
const SUFFIX = '.journal';

/**
 * A new journal's path, for a writer of this process on the database at `databasePath`.
 * @param {string} databasePath
 */
export function newJournalPath(databasePath) {
  return join(dirname(databasePath), `${PREFIX}${process.pid}.${randomUUID().slice(0, 8)}${SUFFIX}`);
}

/**
 * The row tuples of a journal's lines. A line that does not parse is skipped and counted (a journal is only ever
 * appended whole lines, so this is damage from outside, never a row of ours cut short).
 * @param {readonly string[]} lines
 * @returns {{ tuples: import('./request-log-sql.js').RowTuple[], skipped: number }}
 */
export function parseJournal(lines) {
  /** @type {import('./request-log-sql.js').RowTuple[]} */
  const tuples = [];
  let skipped = 0;
  for (const line of lines) {
    try {
      for (const tuple of JSON.parse(line)) tuples.push(tuple);
    } catch {
      skipped++;
    }
  }
  return { tuples, skipped };
}

/** @param {number} pid */
function isRunning(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return /** @type {NodeJS.ErrnoException} */ (err).code === 'EPERM';
  }
}

/**
 * A journal's whole lines from byte `from` on, a chunk at a time (a chunk ends at a line's end: about `chunkBytes`,
 * more for a longer line), each with the offset just past it. A journal can hold an outage's worth of rows, so it is
 * never read into memory at once. A last line without its newline is not a whole batch and is left out.
 * @param {string} path
 * @param {number} from
 * @param {number} chunkBytes
 * @returns {Generator<{ lines: string[], end: number }>}
 */
export function* journalChunks(path, from = 0, chunkBytes = 256 * 1024) {
  let fd;
  try {
    fd = openSync(path, 'r');
  } catch (err) {
    if (/** @type {NodeJS.ErrnoException} */ (err).code === 'ENOENT') return;
    throw err;
  }
  try {
    let start = from;
    /** What was read from `start` on without a newline: a line longer than a chunk, gathered whole before it is cut. */
    let parts = /** @type {Buffer[]} */ ([]);
    let partsBytes = 0;
    for (;;) {
      const chunk = Buffer.allocUnsafe(chunkBytes);
      const read = readSync(fd, chunk, 0, chunkBytes, start + partsBytes);
      if (read === 0) return;
      const data = chunk.subarray(0, read);
      const end = data.lastIndexOf(10 /* \n */);
      if (end < 0) {
        parts.push(data);
        partsBytes += read;
        continue;
      }
      const whole = parts.length === 0 ? data.subarray(0, end) : Buffer.concat([...parts, data.subarray(0, end)]);
      const lines = whole.toString('utf8').split('\n').filter((line) => line !== '');
      // What follows the last newline is read again with the next chunk.
      start += partsBytes + end + 1;
      parts = [];
      partsBytes = 0;
      yield { lines, end: start };
    }
  } finally {
    closeSync(fd);
  }
}

/**
 * Ingests, then deletes, the journals no writer is using: those of processes that are gone, and this process's own
 * but for `live` (its writers' journals, in use). Called at start, before anything reads the tables.
 * @param {import('node:sqlite').DatabaseSync} db
 * @param {import('./request-log-sql.js').Statements} statements
 * @param {string} databasePath
 * @param {ReadonlySet<string>} live
 * @returns {{ rows: number, skipped: number }}
 */
export function recoverJournals(db, statements, databasePath, live) {
  const dir = dirname(databasePath);
  let rows = 0;
  let skipped = 0;
  let names;
  try {
    names = readdirSync(dir);
  } catch {
    return { rows, skipped };
  }
  for (const name of names) {
    if (!name.startsWith(PREFIX) || !name.endsWith(SUFFIX)) continue;
    const pid = Number(name.slice(PREFIX.length).split('.')[0]);
    const path = join(dir, name);
    if (!Number.isInteger(pid) || live.has(path) || (pid !== process.pid && isRunning(pid))) continue;
    // Inserts ignore rows already stored, and the daily roll-up counts only new rows: ingesting twice counts once.
    for (const { lines } of journalChunks(path)) {
      const parsed = parseJournal(lines);
      insertTuples(db, statements, parsed.tuples);
      rows += parsed.tuples.length;
      skipped += parsed.skipped;
    }
    rmSync(path, { force: true });
  }
  return { rows, skipped };
}
