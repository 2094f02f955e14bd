// @ts-check
// Runs in a worker thread: owns the request log's journal and SQLite connection, so neither the appends nor the
// inserts (synchronous in node:sqlite) block the event loop that serves requests. Each message is a batch of rows
// (a JSON array of row tuples, see request-log-wire.ts), a request to flush, or close. A batch is appended to the
// journal (request-log-journal.js), which makes it durable, and acknowledged; the journaled rows are inserted into the
// tables together, once INGEST_BYTES of them wait or the oldest has waited INGEST_MS, and on a flush.
// Acknowledgements go through shared memory (request-log-signal.js): the thread sleeps in Atomics.wait and takes its
// messages with receiveMessageOnPort, so a batch costs no turn of an event loop on either side, which on a gateway
// that shares one core with this thread is much of a batch's latency. Plain JavaScript: see request-log-sql.js. The
// database is migrated by the process that starts this thread.
import { parentPort, receiveMessageOnPort, workerData } from 'node:worker_threads';
import { DatabaseSync } from 'node:sqlite';
import { closeSync, fstatSync, ftruncateSync, openSync, rmSync, writeSync } from 'node:fs';
import { BUSY_TIMEOUT_MS, CONNECTION_PRAGMAS, insertTuples, prepareStatements } from './request-log-sql.js';
import { journalLines, parseJournal } from './request-log-journal.js';
import { ACKED, POSTED } from './request-log-signal.js';

/** Journaled text that makes a transaction worth it at once (some 800 rows), and bounds what waits in memory: a row
 *  with stored content can be megabytes, and this thread's heap is small. */
const INGEST_BYTES = 256 * 1024;
/** The longest a journaled row waits to be in the tables (what readers in other processes may lag). */
const INGEST_MS = 100;

const port = /** @type {import('node:worker_threads').MessagePort} */ (parentPort);
const signal = new Int32Array(/** @type {SharedArrayBuffer} */ (workerData.signal));
const db = new DatabaseSync(workerData.path, { timeout: BUSY_TIMEOUT_MS });
db.exec(CONNECTION_PRAGMAS);
const statements = prepareStatements(db);

function report(/** @type {number} */ seq, /** @type {unknown} */ err) {
  port.postMessage({ seq, error: String(err) });
}

const journalFile = /** @type {string} */ (workerData.journal);
/** Journaled batches not yet in the tables, as their JSON texts. A thread that replaces one that died takes over
 *  its journal: what that holds is pending from the start. */
let pending = journalLines(journalFile);
let pendingBytes = pending.reduce((n, line) => n + line.length, 0);
/** When the oldest pending batch was journaled (or its last failed ingest was tried). */
let pendingSince = 0;
/** The journal's descriptor; -1 if it cannot be opened, and then each batch is committed to the tables directly. */
let journal = -1;
/** The journal's length: a write cut short (a full disk) is cut back to it, so the file holds whole lines only. */
let journalBytes = 0;
try {
  journal = openSync(journalFile, 'a');
  journalBytes = fstatSync(journal).size;
} catch (err) {
  report(0, `the request log's journal cannot be opened (${String(err)}); rows are committed one batch at a time`);
}

/** Inserts the pending rows in one transaction, then empties the journal. On failure (a lock held too long by
 *  another process) they stay pending, in memory and in the journal, and are tried again INGEST_MS later. */
function ingest(/** @type {number} */ seq) {
  if (pending.length === 0) return;
  try {
    insertTuples(db, statements, parseJournal(pending).tuples);
  } catch (err) {
    report(seq, err);
    pendingSince = Date.now();
    return;
  }
  if (journal >= 0) ftruncateSync(journal, 0);
  journalBytes = 0;
  pending = [];
  pendingBytes = 0;
}

/**
 * @param {{ seq: number, rows?: string, flush?: boolean } | { close: true }} msg
 * @returns {boolean} whether the thread is done
 */
function handle(msg) {
  if ('close' in msg) {
    ingest(0);
    db.close();
    if (journal >= 0) closeSync(journal);
    // Emptied: nothing for the next start to recover. Not emptied (the tables were locked): the next start ingests it.
    if (pending.length === 0) rmSync(journalFile, { force: true });
    port.postMessage({ closed: true });
    return true;
  }
  if (msg.rows !== undefined) {
    try {
      // Positioned at the end: the journal is only ever appended to, and emptied by ftruncate.
      const line = Buffer.from(`${msg.rows}\n`);
      const written = writeSync(journal, line);
      if (written !== line.length) {
        ftruncateSync(journal, journalBytes);
        throw new Error(`the journal took ${written} of ${line.length} bytes`);
      }
      journalBytes += written;
      if (pending.length === 0) pendingSince = Date.now();
      pending.push(msg.rows);
      pendingBytes += msg.rows.length;
    } catch (err) {
      // No journal (disk full, say): the rows go straight into the tables, or the failure is reported.
      try {
        insertTuples(db, statements, JSON.parse(msg.rows));
      } catch {
        report(msg.seq, err);
      }
    }
  }
  if (msg.flush) ingest(msg.seq);
  Atomics.store(signal, ACKED, msg.seq);
  Atomics.notify(signal, ACKED);
  return false;
}

// Messages posted before this thread started are already in the port: take them before the first wait.
let seen = Atomics.load(signal, POSTED);
for (;;) {
  let received;
  while ((received = receiveMessageOnPort(port)) !== undefined) if (handle(received.message)) process.exit(0);
  if (pending.length > 0 && (pendingBytes >= INGEST_BYTES || Date.now() - pendingSince >= INGEST_MS)) ingest(0);
  Atomics.wait(signal, POSTED, seen, pending.length === 0 ? undefined : Math.max(0, pendingSince + INGEST_MS - Date.now()));
  seen = Atomics.load(signal, POSTED);
}
