// @ts-check
// The shared memory between the request log's writer (request-log-writer.ts) and its thread (request-log-worker.js).
// The writer bumps POSTED after each batch or message it posts, to wake the thread; the thread stores in ACKED the
// sequence number of each batch it has made durable, to wake the writer. A batch travels in shared memory too: the
// writer puts its journal line (a JSON array of rows and a newline) in the payload buffer and describes it in
// BATCH_SEQ, BATCH_BYTES and BATCH_FLUSH, so that neither side pays for a message (a copy, a structured clone and a
// system call to wake a loop the thread does not run). Only one batch is in flight at a time, so the writer fills the
// buffer again only after the thread has acknowledged what was in it. A batch too big for it goes as a message.
export const POSTED = 0;
export const ACKED = 1;
/** The sequence number of the batch described below. */
export const BATCH_SEQ = 2;
/** The length of its line in the payload buffer; 0 for a batch without rows; -1 when its rows came as a message. */
export const BATCH_BYTES = 3;
/** 1 when the batch asks for every journaled row to be put into the tables before it is acknowledged. */
export const BATCH_FLUSH = 4;
export const SIGNAL_BYTES = 5 * Int32Array.BYTES_PER_ELEMENT;
/** The payload buffer: some thousand rows (batches under load measured from one or two rows to a few tens). */
export const PAYLOAD_BYTES = 256 * 1024;
