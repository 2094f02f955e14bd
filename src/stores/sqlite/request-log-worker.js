// @ts-check
// Runs in a worker thread: owns the request log's SQLite connection so inserts (synchronous in node:sqlite) never
// block the event loop that serves requests. Each message is one batch (a JSON array of row tuples, see
// request-log-wire.ts), and committing it is acknowledged through shared memory (request-log-signal.js): the thread
// sleeps in Atomics.wait and takes its messages with receiveMessageOnPort, so a batch costs no turn of an event loop
// on either side, which on a gateway that shares one core with this thread is most of a commit's latency. Plain
// JavaScript: see request-log-sql.js. The database is migrated by the process that starts this thread.
import { parentPort, receiveMessageOnPort, workerData } from 'node:worker_threads';
import { DatabaseSync } from 'node:sqlite';
import { BUSY_TIMEOUT_MS, CONNECTION_PRAGMAS, insertTuples, prepareStatements } from './request-log-sql.js';
import { ACKED, POSTED } from './request-log-signal.js';

const port = /** @type {import('node:worker_threads').MessagePort} */ (parentPort);
const signal = new Int32Array(/** @type {SharedArrayBuffer} */ (workerData.signal));
const db = new DatabaseSync(workerData.path, { timeout: BUSY_TIMEOUT_MS });
db.exec(CONNECTION_PRAGMAS);
const statements = prepareStatements(db);

/**
 * @param {{ seq: number, rows: string } | { close: true }} msg
 * @returns {boolean} whether the thread is done
 */
function handle(msg) {
  if ('close' in msg) {
    db.close();
    port.postMessage({ closed: true });
    return true;
  }
  try {
    insertTuples(db, statements, JSON.parse(msg.rows));
  } catch (err) {
    // Reported before the acknowledgement, so the batch's failure is logged with the batch still known.
    port.postMessage({ seq: msg.seq, error: String(err) });
  }
  Atomics.store(signal, ACKED, msg.seq);
  Atomics.notify(signal, ACKED);
  return false;
}

// Messages posted before this thread started are already in the port: take them before the first wait.
let seen = Atomics.load(signal, POSTED);
for (;;) {
  let received;
  while ((received = receiveMessageOnPort(port)) !== undefined) if (handle(received.message)) process.exit(0);
  Atomics.wait(signal, POSTED, seen);
  seen = Atomics.load(signal, POSTED);
}
