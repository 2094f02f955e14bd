// @ts-check
// Runs in a worker thread: owns the request log's journal and SQLite connection, so neither the appends nor the
// inserts (synchronous in node:sqlite) block the event loop that serves requests. Each message is a batch of rows
// (a JSON array of row tuples, see request-log-wire.ts), a request to flush, or close. A batch is appended to the
// journal (request-log-journal.js), which makes it durable, and acknowledged; the journaled rows are inserted into the
// tables together, once INGEST_BYTES of them wait or the oldest has waited INGEST_MS, and on a flush. While the tables
// refuse them (a lock another connection keeps), batches are still journaled and acknowledged: a try at the tables
// gives up after INGEST_BUSY_MS, and rows past PENDING_LIMIT wait in the journal alone, read back in chunks later.
// Acknowledgements go through shared memory (request-log-signal.js): the thread sleeps in Atomics.wait and takes its
// messages with receiveMessageOnPort, so a batch costs no turn of an event loop on either side, which on a gateway
// that shares one core with this thread is much of a batch's latency. Plain JavaScript: see request-log-sql.js. The
// database is migrated by the process that starts this thread.
import { parentPort, receiveMessageOnPort, workerData } from 'node:worker_threads';
import { DatabaseSync } from 'node:sqlite';
import { closeSync, fstatSync, ftruncateSync, openSync, rmSync, statSync, writeSync } from 'node:fs';
import { BUSY_TIMEOUT_MS, CONNECTION_PRAGMAS, insertTuples, prepareStatements } from './request-log-sql.js';
import { journalChunks, parseJournal } from './request-log-journal.js';
import { ACKED, POSTED } from './request-log-signal.js';

/** Journaled text that makes a transaction worth it at once (some 800 rows). */
const INGEST_BYTES = 256 * 1024;
/** The longest a journaled row waits to be in the tables (what readers in other processes may lag). */
const INGEST_MS = 100;
/** How long an ingest waits for a lock another connection holds before it gives up until the next try: while it
 *  waits, no batch is acknowledged, and responses wait for those acknowledgements. */
const INGEST_BUSY_MS = 50;
/** Journaled rows kept in memory for the next ingest, at most: past this (the tables have refused rows for a while)
 *  they are read back from the journal, so a long outage costs disk, not this thread's small heap. */
const PENDING_LIMIT = 4 * INGEST_BYTES;
/** A failing ingest is tried every INGEST_MS; it is reported once per this interval, not on every try. */
const REPORT_EVERY_MS = 10_000;

const port = /** @type {import('node:worker_threads').MessagePort} */ (parentPort);
const signal = new Int32Array(/** @type {SharedArrayBuffer} */ (workerData.signal));
const db = new DatabaseSync(workerData.path, { timeout: INGEST_BUSY_MS });
db.exec(CONNECTION_PRAGMAS);
const statements = prepareStatements(db);

function report(/** @type {number} */ seq, /** @type {unknown} */ err) {
  port.postMessage({ seq, error: String(err) });
}

const journalFile = /** @type {string} */ (workerData.journal);
/** Journaled batches not yet in the tables, as their JSON texts (unless `backlog`). */
let pending = /** @type {string[]} */ ([]);
let pendingBytes = 0;
/** The rows not yet in the tables are the journal's from `ingestedTo` on, read from there (not kept in memory):
 *  past PENDING_LIMIT, and when this thread takes over the journal of one that died. */
let backlog = false;
/** Where, in the journal, the rows not yet in the tables start (in a backlog: chunks ingested before a failure). */
let ingestedTo = 0;
/** When the oldest pending batch was journaled (or its last failed ingest was tried). */
let pendingSince = 0;
/** The journal's descriptor; -1 if it cannot be opened, and then each batch is committed to the tables directly. */
let journal = -1;
/** The journal's length: a write cut short (a full disk) is cut back to it, so the file holds whole lines only. */
let journalBytes = 0;
try {
  backlog = statSync(journalFile).size > 0;
} catch {
  // No journal yet: nothing to take over.
}
try {
  journal = openSync(journalFile, 'a');
  journalBytes = fstatSync(journal).size;
} catch (err) {
  report(0, `the request log's journal cannot be opened (${String(err)}); rows are committed one batch at a time`);
}

/** When a failed ingest was last reported (-Infinity: the last ingest went in). */
let lastIngestReport = -Infinity;

const hasPending = () => backlog || pending.length > 0;

/** Inserts the pending rows (one transaction per chunk of a backlog), then empties the journal. On failure (a lock
 *  held by another connection) they stay pending, in the journal and perhaps in memory, and are tried again
 *  INGEST_MS later; a backlog resumes after the chunks that did go in. */
function ingest(/** @type {number} */ seq) {
  if (!hasPending()) return;
  try {
    if (backlog) {
      for (const { lines, end } of journalChunks(journalFile, ingestedTo, INGEST_BYTES)) {
        insertTuples(db, statements, parseJournal(lines).tuples);
        ingestedTo = end;
      }
    } else {
      insertTuples(db, statements, parseJournal(pending).tuples);
    }
  } catch (err) {
    pendingSince = Date.now();
    if (pendingSince - lastIngestReport >= REPORT_EVERY_MS) {
      lastIngestReport = pendingSince;
      report(seq, `${String(err)} (the rows wait in the journal; trying again every ${INGEST_MS} ms)`);
    }
    return;
  }
  lastIngestReport = -Infinity;
  if (journal >= 0) ftruncateSync(journal, 0);
  journalBytes = 0;
  pending = [];
  pendingBytes = 0;
  backlog = false;
  ingestedTo = 0;
}

/** Puts rows straight into the tables, when the journal cannot take them: then the wait for a lock is as long as the
 *  gateway's other writers allow, since the rows have nowhere else to go. */
function insertDirectly(/** @type {string} */ rows) {
  db.exec(`PRAGMA busy_timeout = ${BUSY_TIMEOUT_MS}`);
  try {
    insertTuples(db, statements, JSON.parse(rows));
  } finally {
    db.exec(`PRAGMA busy_timeout = ${INGEST_BUSY_MS}`);
  }
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
    if (!hasPending()) rmSync(journalFile, { force: true });
    port.postMessage({ closed: true });
    return true;
  }
  if (msg.rows !== undefined) {
    try {
      // Positioned at the end: the journal is only ever appended to, and emptied by ftruncate.
      // The newline is put in the buffer, not added to the text: a batch can be megabytes of stored content.
      const line = Buffer.allocUnsafe(Buffer.byteLength(msg.rows) + 1);
      line[line.write(msg.rows)] = 10;
      const written = writeSync(journal, line);
      if (written !== line.length) {
        ftruncateSync(journal, journalBytes);
        throw new Error(`the journal took ${written} of ${line.length} bytes`);
      }
      journalBytes += written;
      if (!hasPending()) pendingSince = Date.now();
      if (backlog) {
        // Already read back from the journal when the tables take rows again.
      } else if (pendingBytes + msg.rows.length > PENDING_LIMIT) {
        backlog = true;
        pending = [];
        pendingBytes = 0;
      } else {
        pending.push(msg.rows);
        pendingBytes += msg.rows.length;
      }
    } catch (err) {
      // No journal (disk full, say): the rows go straight into the tables, or the failure is reported.
      try {
        insertDirectly(msg.rows);
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
  if (hasPending() && (pendingBytes >= INGEST_BYTES || Date.now() - pendingSince >= INGEST_MS)) ingest(0);
  Atomics.wait(signal, POSTED, seen, hasPending() ? Math.max(0, pendingSince + INGEST_MS - Date.now()) : undefined);
  seen = Atomics.load(signal, POSTED);
}
