// How request-log rows cross to the writer thread: one JSON text per batch, of one array per row. Posting a single
// string is a copy; posting objects runs the structured-clone algorithm over every field of every row, which
// measured as the largest single cost of the request path.
import type { RequestLogRow } from '../request-log.ts';
import type { RowTuple } from './request-log-sql.js';


/** A row as an array in the table's column order (request-log-sql.js). */
export function rowToTuple(r: RequestLogRow): RowTuple {
  const tuple: RowTuple = [r.id, r.ts, r.keyId, r.endpoint, r.model, r.backend, r.attempts, r.stream, r.status, r.latencyMs, r.ttftMs, r.promptTokens, r.completionTokens, r.error, r.teamId, r.cachedTokens, r.reasoningTokens, r.costUsd, r.cache, r.savedUsd];
  if (r.content === undefined) return tuple;
  const c = r.content;
  return [...tuple, c.kid, c.request.toString('base64'), c.response === null ? null : c.response.toString('base64')] as unknown as RowTuple;
}

export function encodeRow(r: RequestLogRow): string {
  return JSON.stringify(rowToTuple(r));
}

/** The inverse of joining encodeRow outputs with "," inside "[…]". */
export function decodeRows(payload: string): RequestLogRow[] {
  return (JSON.parse(payload) as RowTuple[]).map((t) => ({
    id: t[0],
    ts: t[1],
    keyId: t[2],
    endpoint: t[3],
    model: t[4],
    backend: t[5],
    attempts: t[6],
    stream: t[7],
    status: t[8],
    latencyMs: t[9],
    ttftMs: t[10],
    promptTokens: t[11],
    completionTokens: t[12],
    error: t[13],
    teamId: t[14],
    cachedTokens: t[15],
    reasoningTokens: t[16],
    costUsd: t[17],
    cache: t[18] as RequestLogRow['cache'],
    savedUsd: t[19],
    ...(t[20] ? { content: { kid: t[20], request: Buffer.from(t[21]!, 'base64'), response: t[22] ? Buffer.from(t[22], 'base64') : null } } : {}),
  }));
}
