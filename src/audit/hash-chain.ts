// The audit log's hash chain: each entry's hash covers the previous entry's hash and the entry's own content, so an
// edited, removed, reinserted or reordered entry breaks the chain at a place verification can name.
import { createHash } from 'node:crypto';
import type { AuditEntry } from '../stores/audit-log.ts';

export const GENESIS_HASH = '0'.repeat(64);

export type VerifyProblemKind = 'edited' | 'removed' | 'reordered' | 'broken-link';

export type VerifyResult =
  | { ok: true; entries: number; head: string }
  | { ok: false; entries: number; problem: { seq: number; kind: VerifyProblemKind; message: string } };

/** JSON with object keys sorted at every depth: one byte string per value, whatever order it was built in. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const record = value as Record<string, unknown>;
    return `{${Object.keys(record)
      .sort()
      .filter((k) => record[k] !== undefined)
      .map((k) => `${JSON.stringify(k)}:${canonical(record[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

type HashedFields = Pick<AuditEntry, 'seq' | 'ts' | 'actor' | 'action' | 'target' | 'outcome' | 'detail'>;

export function entryHash(prevHash: string, e: HashedFields): string {
  const content = canonical({ seq: e.seq, ts: e.ts, actor: e.actor, action: e.action, target: e.target, outcome: e.outcome, detail: e.detail });
  return createHash('sha256').update(prevHash).update('\n').update(content).digest('hex');
}

/** Walks the entries in the order given (ascending seq) and reports the first break. */
export async function verifyChain(entries: AsyncIterable<AuditEntry> | Iterable<AuditEntry>): Promise<VerifyResult> {
  let prevHash = GENESIS_HASH;
  let prevSeq = 0;
  let count = 0;
  for await (const e of entries) {
    count++;
    const fail = (kind: VerifyProblemKind, message: string): VerifyResult => ({ ok: false, entries: count, problem: { seq: e.seq, kind, message } });
    if (e.seq <= prevSeq) return fail('reordered', `entry ${e.seq} comes after entry ${prevSeq}`);
    if (e.prevHash !== prevHash) {
      // The entry is intact but does not follow its predecessor: something before it was removed, or moved here.
      if (entryHash(e.prevHash, e) === e.hash) {
        return e.seq !== prevSeq + 1
          ? fail('removed', `entries ${prevSeq + 1}..${e.seq - 1} are missing before entry ${e.seq}`)
          : fail('reordered', `entry ${e.seq} does not follow entry ${prevSeq} (reordered or replaced)`);
      }
      return fail('broken-link', `entry ${e.seq} neither matches its content nor follows entry ${prevSeq}`);
    }
    if (entryHash(prevHash, e) !== e.hash) return fail('edited', `entry ${e.seq} was changed after it was written (its hash does not match its content)`);
    if (e.seq !== prevSeq + 1) return fail('removed', `entries ${prevSeq + 1}..${e.seq - 1} are missing before entry ${e.seq}`);
    prevHash = e.hash;
    prevSeq = e.seq;
  }
  return { ok: true, entries: count, head: prevHash };
}
