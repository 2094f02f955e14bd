// The request log as the pipeline sees it. Rows appended during one turn of the event loop go to the worker as one
// batch (group commit): under load one commit serves many requests, and an idle gateway still commits at once.
// append() resolves when the batch is committed, which is what lets the pipeline hold back the last bytes of a
// response until its row is safe.
import { Worker } from 'node:worker_threads';
import type { Logger } from 'pino';
import type { RequestLogRow, RequestLogSink } from '../request-log.ts';
import type { WorkerReply, WorkerRequest } from './request-log-worker.ts';

const MAX_BATCH = 512;

interface Batch {
  seq: number;
  rows: RequestLogRow[];
  resolve: () => void;
  promise: Promise<void>;
}

export class SqliteRequestLogWriter implements RequestLogSink {
  readonly #path: string;
  readonly #log: Logger;
  #worker: Worker;
  #seq = 0;
  #open: Batch | undefined;
  readonly #inFlight = new Map<number, Batch>();
  #closed = false;

  constructor(path: string, log: Logger) {
    this.#path = path;
    this.#log = log;
    this.#worker = this.#spawn();
  }

  append(row: RequestLogRow): Promise<void> {
    if (this.#closed) {
      this.#log.error({ requestId: row.id }, 'request log is closed; row dropped');
      return Promise.resolve();
    }
    let batch = this.#open;
    if (batch === undefined) {
      let resolve!: () => void;
      const promise = new Promise<void>((r) => (resolve = r));
      batch = this.#open = { seq: ++this.#seq, rows: [], resolve, promise };
      setImmediate(() => this.#send(batch!));
    }
    batch.rows.push(row);
    if (batch.rows.length >= MAX_BATCH) this.#send(batch);
    return batch.promise;
  }

  async flush(): Promise<void> {
    if (this.#open) this.#send(this.#open);
    await Promise.all([...this.#inFlight.values()].map((b) => b.promise));
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    await this.flush();
    this.#closed = true;
    const worker = this.#worker;
    await new Promise<void>((resolve) => {
      worker.once('exit', () => resolve());
      worker.on('message', (m: WorkerReply) => {
        if ('closed' in m) void worker.terminate();
      });
      worker.postMessage({ close: true } satisfies WorkerRequest);
    });
  }

  #send(batch: Batch): void {
    if (this.#open === batch) this.#open = undefined;
    if (this.#inFlight.has(batch.seq)) return;
    this.#inFlight.set(batch.seq, batch);
    this.#worker.postMessage({ seq: batch.seq, rows: batch.rows } satisfies WorkerRequest);
  }

  #spawn(): Worker {
    const worker = new Worker(new URL('./request-log-worker.ts', import.meta.url), { workerData: { path: this.#path } });
    worker.on('message', (m: WorkerReply) => {
      if (!('seq' in m)) return;
      const batch = this.#inFlight.get(m.seq);
      if (!batch) return;
      this.#inFlight.delete(m.seq);
      if (m.error) this.#log.error({ err: m.error, rows: batch.rows.length }, 'request log batch failed');
      batch.resolve();
    });
    worker.on('error', (err) => this.#log.error({ err }, 'request log worker failed'));
    worker.on('exit', (code) => {
      if (this.#closed) return;
      // A crashed writer is replaced and the batches it had are sent again (inserts are idempotent by id).
      this.#log.error({ code }, 'request log worker exited; restarting it');
      this.#worker = this.#spawn();
      for (const batch of this.#inFlight.values()) this.#worker.postMessage({ seq: batch.seq, rows: batch.rows } satisfies WorkerRequest);
    });
    worker.unref();
    return worker;
  }
}
