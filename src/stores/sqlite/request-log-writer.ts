// The request log as the pipeline sees it, with group commit: one batch is being made durable by the writer thread
// at a time (appended to its journal, request-log-journal.js), and rows appended meanwhile gather into the next one,
// sent once the first is acknowledged (held up to 2 ms more while requests in flight have yet to append theirs). An
// idle gateway sends a row at once; a busy one several per round trip, so thread hand-offs (which cost more than the
// appends when the gateway shares a core with its writer) stay fewer than rows.
// append() resolves when the row is durable, which is what lets the pipeline hold back the last bytes of a response
// until its row is safe; flush() when every row appended before it is in the tables too, where readers look.
// Batches and their acknowledgements go through shared memory (request-log-signal.js), not messages.
import { Worker } from 'node:worker_threads';
import type { Logger } from 'pino';
import type { RequestLogRow, RequestLogSink } from '../request-log.ts';

/** The messages of request-log-worker.js, for what shared memory does not carry: a batch too big for the payload
 *  buffer (`line`: its journal line, transferred; `flush`: put every journaled row into the tables before
 *  acknowledging), and close. */
type WorkerRequest = { seq: number; line: ArrayBuffer; flush?: true } | { close: true };
/** What the thread posts back; commits themselves are acknowledged in the signal's ACKED slot. */
type WorkerReply = { seq: number; error: string } | { closed: true };
import { encodeRow } from './request-log-wire.ts';
import { ACKED, BATCH_BYTES, BATCH_FLUSH, BATCH_SEQ, PAYLOAD_BYTES, POSTED, SIGNAL_BYTES } from './request-log-signal.js';
import { newJournalPath } from './request-log-journal.js';

/** The journals this process's writers are using: what recovery at start must leave alone. */
const liveJournals = new Set<string>();
export const journalsInUse: ReadonlySet<string> = liveJournals;

const MIN_BATCH_INTERVAL_MS = 2;

/** Writes a batch's journal line into `into` from its start: the JSON array of its rows (`payload`, the rows encoded
 *  with encodeRow and joined by ",") and a newline. Returns its length. */
function writeLine(into: Buffer, payload: string): number {
  into[0] = 0x5b; // [
  let length = 1 + into.write(payload, 1);
  into[length++] = 0x5d; // ]
  into[length++] = 0x0a; // \n
  return length;
}

interface Batch {
  seq: number;
  /** Rows encoded with encodeRow, joined by ",". */
  payload: string;
  rows: number;
  /** The thread is to put every journaled row into the tables too. */
  flush: boolean;
  resolve: () => void;
  promise: Promise<void>;
}

export class SqliteRequestLogWriter implements RequestLogSink {
  readonly #path: string;
  readonly #journal: string;
  readonly #log: Logger;
  #worker: Worker;
  readonly #signal = new Int32Array(new SharedArrayBuffer(SIGNAL_BYTES));
  readonly #payload = Buffer.from(new SharedArrayBuffer(PAYLOAD_BYTES));
  #seq = 0;
  /** Rows gathering for the next commit. */
  #open: Batch | undefined;
  /** The batch the writer thread is committing now. */
  #inFlight: Batch | undefined;
  #closed = false;
  #lastSent = -Infinity;
  readonly #othersInFlight: (rows: number) => boolean;
  readonly #batchIntervalMs: number;
  #timer: NodeJS.Timeout | undefined;

  /**
   * `othersInFlight(rows)`: whether requests other than the `rows` waiting for this commit are in progress, i.e.
   * whether more rows are about to come. `batchIntervalMs`: the spacing of batches while more rows are about to come.
   */
  constructor(path: string, log: Logger, othersInFlight: (rows: number) => boolean = () => false, batchIntervalMs = MIN_BATCH_INTERVAL_MS) {
    this.#path = path;
    this.#journal = newJournalPath(path);
    liveJournals.add(this.#journal);
    this.#log = log;
    this.#othersInFlight = othersInFlight;
    this.#batchIntervalMs = batchIntervalMs;
    this.#worker = this.#spawn();
  }

  append(row: RequestLogRow): Promise<void> {
    if (this.#closed) {
      this.#log.error({ requestId: row.id }, 'request log is closed; row dropped');
      return Promise.resolve();
    }
    let batch = this.#open;
    if (batch === undefined) {
      batch = this.#open = this.#newBatch(encodeRow(row), 1, false);
      if (this.#inFlight === undefined) {
        // Alone in the gateway: send now. Otherwise rows appended in the same turn of the event loop join this batch.
        if (!this.#othersInFlight(1)) this.#sendNext();
        else setImmediate(() => this.#sendNext());
      }
      return batch.promise;
    }
    batch.payload = batch.rows === 0 ? encodeRow(row) : `${batch.payload},${encodeRow(row)}`;
    batch.rows++;
    // The batch was being held for rows still to come: once every request in flight waits on it, none can come.
    if (this.#timer !== undefined && !this.#othersInFlight(batch.rows)) {
      clearTimeout(this.#timer);
      this.#timer = undefined;
      this.#sendNext();
    }
    return batch.promise;
  }

  /** Resolves once every row appended before it is in the tables, not only durable. */
  async flush(): Promise<void> {
    if (this.#closed) return;
    const batch = (this.#open ??= this.#newBatch('', 0, true));
    batch.flush = true;
    // A batch held for rows still to come goes now: a flush waits for nobody.
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#sendNext();
    await batch.promise;
  }

  #newBatch(payload: string, rows: number, flush: boolean): Batch {
    let resolve!: () => void;
    const promise = new Promise<void>((r) => (resolve = r));
    return { seq: ++this.#seq, payload, rows, flush, resolve, promise };
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    // Rows appended while a flush is under way are flushed too.
    do await this.flush();
    while (this.#open !== undefined || this.#inFlight !== undefined);
    this.#closed = true;
    liveJournals.delete(this.#journal);
    const worker = this.#worker;
    await new Promise<void>((resolve) => {
      worker.once('exit', () => resolve());
      worker.on('message', (m: WorkerReply) => {
        if ('closed' in m) void worker.terminate();
      });
      // Holds the process open until the thread has put the last rows in and said so.
      worker.ref();
      worker.postMessage({ close: true } satisfies WorkerRequest);
      this.#wake();
    });
  }

  /** `answering`: rows of the batch just acknowledged, whose requests are still in flight but about to end. */
  #sendNext(answering = 0): void {
    if (this.#inFlight !== undefined || this.#open === undefined || this.#timer !== undefined) return;
    // A batch costs a hand-off to the thread and a write. While other requests are still in flight (their rows are
    // about to come), batches are spaced batchIntervalMs apart so one serves all the rows of that interval.
    // When every request in flight already waits on the log, nobody else's row can come: holding the batch then
    // would only leave the core idle (measured: 5 % idle under load, and as much throughput lost), so it goes now;
    // a lone request likewise waits only for its own row.
    const wait = this.#lastSent + this.#batchIntervalMs - performance.now();
    if (wait > 0 && !this.#open.flush && this.#othersInFlight(this.#open.rows + answering)) {
      this.#timer = setTimeout(() => {
        this.#timer = undefined;
        this.#sendNext();
      }, wait);
      return;
    }
    this.#lastSent = performance.now();
    this.#inFlight = this.#open;
    this.#open = undefined;
    this.#post(this.#inFlight);
  }

  #post(batch: Batch): void {
    let bytes = 0;
    if (batch.rows > 0) {
      // A UTF-16 unit is at most 3 bytes of UTF-8: a batch that surely fits is written without measuring it first.
      const lineBytes = batch.payload.length * 3 + 3 <= PAYLOAD_BYTES ? 0 : Buffer.byteLength(batch.payload) + 3;
      if (lineBytes <= PAYLOAD_BYTES) bytes = writeLine(this.#payload, batch.payload);
      else {
        // Its own memory (not the shared pool's), handed over rather than copied. Made again if it must be sent again.
        const line = Buffer.allocUnsafeSlow(lineBytes);
        writeLine(line, batch.payload);
        const message: WorkerRequest = { seq: batch.seq, line: line.buffer, ...(batch.flush ? { flush: true as const } : {}) };
        this.#worker.postMessage(message, [line.buffer]);
        bytes = -1;
      }
    }
    Atomics.store(this.#signal, BATCH_BYTES, bytes);
    Atomics.store(this.#signal, BATCH_FLUSH, batch.flush ? 1 : 0);
    Atomics.store(this.#signal, BATCH_SEQ, batch.seq); // last: the thread reads the batch once it sees this
    this.#wake();
    // Holds the process open until the batch is acknowledged (the thread itself does not: it is unref'd).
    this.#worker.ref();
    this.#awaitCommit(batch);
  }

  #wake(): void {
    Atomics.add(this.#signal, POSTED, 1);
    Atomics.notify(this.#signal, POSTED);
  }

  /** Resolves the batch once the thread has stored its sequence number in ACKED. */
  #awaitCommit(batch: Batch): void {
    const acked = Atomics.load(this.#signal, ACKED);
    if (acked >= batch.seq) {
      queueMicrotask(() => this.#committed(batch));
      return;
    }
    const wait = Atomics.waitAsync(this.#signal, ACKED, acked);
    if (!wait.async) queueMicrotask(() => this.#awaitCommit(batch));
    else void wait.value.then(() => this.#awaitCommit(batch));
  }

  #committed(batch: Batch): void {
    if (this.#inFlight !== batch) return;
    this.#inFlight = undefined;
    this.#worker.unref();
    batch.resolve();
    this.#sendNext(batch.rows);
  }

  #spawn(): Worker {
    // The writer holds one batch at a time (rows waiting for the tables are in its journal, not its heap), in a small
    // young generation. Its old generation has no cap of its own: a batch holding stored content of
    // large requests can take hundreds of megabytes for a moment, and a heap limit reached there aborts the process.
    const worker = new Worker(new URL('./request-log-worker.js', import.meta.url), {
      workerData: { path: this.#path, journal: this.#journal, signal: this.#signal.buffer, payload: this.#payload.buffer },
      resourceLimits: { maxYoungGenerationSizeMb: 4 },
    });
    worker.on('message', (m: WorkerReply) => {
      if ('error' in m) this.#log.error({ err: m.error, seq: m.seq }, 'request log batch failed');
    });
    worker.on('error', (err) => this.#log.error({ err }, 'request log worker failed'));
    worker.on('exit', (code) => {
      if (this.#closed) return;
      // A crashed writer is replaced (it takes over the journal) and the batch it had is sent again (inserts are
      // idempotent by id).
      this.#log.error({ code }, 'request log worker exited; restarting it');
      this.#worker = this.#spawn();
      if (this.#inFlight) this.#post(this.#inFlight);
    });
    worker.unref();
    return worker;
  }
}
