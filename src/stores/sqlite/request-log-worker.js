// @ts-check
// Runs in a worker thread: owns the request log's SQLite connection so inserts (synchronous in node:sqlite) never
// block the event loop that serves requests. Each message is one batch (a JSON array of row tuples, see
// request-log-wire.ts); the reply says it is committed. Plain JavaScript: see request-log-sql.js. The database is
// migrated by the process that starts this thread.
import { parentPort, workerData } from 'node:worker_threads';
import { DatabaseSync } from 'node:sqlite';
import { BUSY_TIMEOUT_MS, CONNECTION_PRAGMAS, insertTuples, prepareStatements } from './request-log-sql.js';

const port = /** @type {import('node:worker_threads').MessagePort} */ (parentPort);
const db = new DatabaseSync(workerData.path, { timeout: BUSY_TIMEOUT_MS });
db.exec(CONNECTION_PRAGMAS);
const statements = prepareStatements(db);

port.on('message', (/** @type {{ seq: number, rows: string } | { close: true }} */ msg) => {
  if ('close' in msg) {
    db.close();
    port.postMessage({ closed: true });
    return;
  }
  try {
    insertTuples(db, statements, JSON.parse(msg.rows));
    port.postMessage({ seq: msg.seq });
  } catch (err) {
    port.postMessage({ seq: msg.seq, error: String(err) });
  }
});
