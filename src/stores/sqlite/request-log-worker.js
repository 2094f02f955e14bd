// @ts-check
// Runs in a worker thread: owns the request log's journal and SQLite connection, so neither the appends nor the
// inserts (synchronous in node:sqlite) block the event loop that serves requests. Each batch is its journal line (a
// JSON array of row tuples, see request-log-wire.ts, and a newline) in shared memory, or in a message when too big
// for it, and may ask for a flush; the one other message is close. A batch is appended to the
// journal (request-log-journal.js), which makes it durable, and acknowledged; the journaled rows are inserted into the
// tables together, once INGEST_BYTES of them wait or the oldest has waited INGEST_MS, and on a flush. While the tables
// refuse them (a lock another connection keeps), batches are still journaled and acknowledged: a try at the tables
// gives up after INGEST_BUSY_MS, and the rows wait in the journal, which is where every ingest reads them from.
// Batches and acknowledgements go through shared memory (request-log-signal.js): the thread sleeps in Atomics.wait
// and takes messages with receiveMessageOnPort, so a batch costs no turn of an event loop on either side, which on a
// gateway that shares one core with this thread is much of a batch's latency. Plain JavaScript: see request-log-sql.js. The
// database is migrated by the process that starts this thread.
import { parentPort, receiveMessageOnPort, workerData } from 'node:worker_threads';
import { DatabaseSync } from 'node:sqlite';
import { closeSync, ftruncateSync, openSync, rmSync, statSync, writeSync } from 'node:fs';
import { BUSY_TIMEOUT_MS, CONNECTION_PRAGMAS, insertTuples, prepareStatements } from './request-log-sql.js';
import { journalChunks, parseJournal } from './request-log-journal.js';
import { ACKED, BATCH_BYTES, BATCH_FLUSH, BATCH_SEQ, POSTED } from './request-log-signal.js';

/** Journaled text that makes a transaction worth it at once (some 800 rows). */
const INGEST_BYTES = 256 * 1024;
/** The longest a journaled row waits to be in the tables (what readers in other processes may lag). */
const INGEST_MS = 100;
/** How long an ingest waits for a lock another connection holds before it gives up until the next try: while it
 *  waits, no batch is acknowledged, and responses wait for those acknowledgements. */
const INGEST_BUSY_MS = 50;
/** A failing ingest is tried every INGEST_MS; it is reported once per this interval, not on every try. */
const REPORT_EVERY_MS = 10_000;

const port = /** @type {import('node:worker_threads').MessagePort} */ (parentPort);
const signal = new Int32Array(/** @type {SharedArrayBuffer} */ (workerData.signal));
const payload = Buffer.from(/** @type {SharedArrayBuffer} */ (workerData.payload));
const db = new DatabaseSync(workerData.path, { timeout: INGEST_BUSY_MS });
db.exec(CONNECTION_PRAGMAS);
const statements = prepareStatements(db);

function report(/** @type {number} */ seq, /** @type {unknown} */ err) {
  port.postMessage({ seq, error: String(err) });
}

const journalFile = /** @type {string} */ (workerData.journal);
/** The journal's descriptor; -1 if it cannot be opened, and then each batch is committed to the tables directly. */
let journal = -1;
/** The journal's length: a write cut short (a full disk) is cut back to it, so the file holds whole lines only. A
 *  thread that replaces one that died takes over its journal: what that holds is pending from the start. */
let journalBytes = 0;
try {
  journalBytes = statSync(journalFile).size;
} catch {
  // No journal yet: nothing to take over.
}
try {
  journal = openSync(journalFile, 'a');
} catch (err) {
  report(0, `the request log's journal cannot be opened (${String(err)}); rows are committed one batch at a time`);
}
/** The rows not yet in the tables are the journal's from this offset on. They are read back from the journal (from
 *  the page cache) rather than kept in memory: however long the tables refuse them, they cost disk, not heap. */
let ingestedTo = 0;
/** When the oldest pending batch was journaled (or its last failed ingest was tried). */
let pendingSince = 0;
/** When a failed ingest was last reported (-Infinity: the last ingest went in). */
let lastIngestReport = -Infinity;

const pendingBytes = () => journalBytes - ingestedTo;

/** Inserts the journal's pending rows, one transaction per chunk, then empties it. On failure (a lock held by another
 *  connection) they stay in the journal and are tried again INGEST_MS later, after the chunks that did go in. */
function ingest(/** @type {number} */ seq) {
  if (pendingBytes() === 0) return;
  try {
    for (const { lines, end } of journalChunks(journalFile, ingestedTo, Math.min(INGEST_BYTES, pendingBytes()))) {
      insertTuples(db, statements, parseJournal(lines).tuples);
      ingestedTo = end;
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
  ingestedTo = 0;
}

/** Appends a batch's line (it ends with its newline) to the journal, which makes it durable. */
function journalLine(/** @type {Buffer} */ line, /** @type {number} */ length) {
  // Positioned at the end: the journal is only ever appended to, and emptied by ftruncate.
  const written = writeSync(journal, line, 0, length);
  if (written !== length) {
    ftruncateSync(journal, journalBytes);
    throw new Error(`the journal took ${written} of ${length} bytes`);
  }
  if (pendingBytes() === 0) pendingSince = Date.now();
  journalBytes += written;
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

/** Makes a batch durable (its `length` bytes of `line` journaled, or else inserted), flushes when asked, and
 *  acknowledges it. */
function handleBatch(/** @type {number} */ seq, /** @type {Buffer} */ line, /** @type {number} */ length, /** @type {boolean} */ flush) {
  if (length > 0) {
    try {
      journalLine(line, length);
    } catch (err) {
      // No journal (disk full, say): the rows go straight into the tables (the line without its newline), or the
      // failure is reported.
      try {
        insertDirectly(line.toString('utf8', 0, length - 1));
      } catch {
        report(seq, err);
      }
    }
  }
  if (flush) ingest(seq);
  Atomics.store(signal, ACKED, seq);
  Atomics.notify(signal, ACKED);
}

/**
 * @param {{ seq: number, line: ArrayBuffer, flush?: boolean } | { close: true }} msg
 * @returns {boolean} whether the thread is done
 */
function handle(msg) {
  if ('close' in msg) {
    ingest(0);
    db.close();
    if (journal >= 0) closeSync(journal);
    // Emptied: nothing for the next start to recover. Not emptied (the tables were locked): the next start ingests it.
    if (pendingBytes() === 0) rmSync(journalFile, { force: true });
    port.postMessage({ closed: true });
    return true;
  }
  // A batch too big for shared memory: its line came in the message.
  const line = Buffer.from(msg.line);
  handleBatch(msg.seq, line, line.length, msg.flush === true);
  return false;
}

/** The batch described in shared memory, unless it is acknowledged already (by this thread, or by one that died
 *  before this one took over) or came as a message (handled with its message). */
function handleShared() {
  const seq = Atomics.load(signal, BATCH_SEQ);
  if (seq <= Atomics.load(signal, ACKED)) return;
  const bytes = Atomics.load(signal, BATCH_BYTES);
  if (bytes < 0) return;
  handleBatch(seq, payload, bytes, Atomics.load(signal, BATCH_FLUSH) === 1);
}

// Messages posted before this thread started are already in the port: take them before the first wait.
let seen = Atomics.load(signal, POSTED);
for (;;) {
  let received;
  while ((received = receiveMessageOnPort(port)) !== undefined) if (handle(received.message)) process.exit(0);
  handleShared();
  const pending = pendingBytes();
  if (pending > 0 && (pending >= INGEST_BYTES || Date.now() - pendingSince >= INGEST_MS)) ingest(0);
  Atomics.wait(signal, POSTED, seen, pendingBytes() > 0 ? Math.max(0, pendingSince + INGEST_MS - Date.now()) : undefined);
  seen = Atomics.load(signal, POSTED);
}
