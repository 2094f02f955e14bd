// Request ids are UUIDv7: time-ordered, so request-log rows append at the end of the table's index instead of
// landing at random places in it (cheaper inserts, and ids sort by arrival).
import { randomUUID } from 'node:crypto';

// The time part of the last id: a busy gateway makes several ids per millisecond.
let lastMs = -1;
let lastPrefix = '';

export function newRequestId(now: number = Date.now()): string {
  if (now !== lastMs) {
    const ms = now.toString(16).padStart(12, '0');
    lastPrefix = `${ms.slice(0, 8)}-${ms.slice(8, 12)}-7`;
    lastMs = now;
  }
  // xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx: keep its random bits and variant
  return lastPrefix + randomUUID().slice(15);
}


/** The smallest request id of time `ms`: every id made before it sorts lower (ids compare as strings). */
export function firstRequestIdAt(ms: number): string {
  const hex = ms.toString(16).padStart(12, '0');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-0000-0000-000000000000`;
}
