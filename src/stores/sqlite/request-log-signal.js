// @ts-check
// The shared memory between the request log's writer (request-log-writer.ts) and its thread (request-log-worker.js):
// two Int32 slots. The writer bumps POSTED after each message it posts, to wake the thread; the thread stores in
// ACKED the sequence number of each batch it has committed, to wake the writer.
export const POSTED = 0;
export const ACKED = 1;
export const SIGNAL_BYTES = 2 * Int32Array.BYTES_PER_ELEMENT;
