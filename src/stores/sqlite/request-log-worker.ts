// Runs in a worker thread: owns the request log's SQLite connection so inserts (synchronous in node:sqlite) never
// block the event loop that serves requests. Each message is one batch; the reply says it is committed.
import { parentPort, workerData } from 'node:worker_threads';
import { openDatabase } from './database.ts';
import { SqliteRequestLogStore } from './request-log-store.ts';
import { decodeRows } from './request-log-wire.ts';

/** `rows`: a JSON array of rows as request-log-wire.ts encodes them. */
export type WorkerRequest = { seq: number; rows: string } | { close: true };
export type WorkerReply = { seq: number; error?: string } | { closed: true };

const port = parentPort!;
const store = new SqliteRequestLogStore(openDatabase((workerData as { path: string }).path));

port.on('message', (msg: WorkerRequest) => {
  if ('close' in msg) {
    void store.close().then(() => port.postMessage({ closed: true } satisfies WorkerReply));
    return;
  }
  Promise.resolve()
    .then(() => store.insertBatch(decodeRows(msg.rows)))
    .then(
    () => port.postMessage({ seq: msg.seq } satisfies WorkerReply),
    (err: unknown) => port.postMessage({ seq: msg.seq, error: String(err) } satisfies WorkerReply),
  );
});
