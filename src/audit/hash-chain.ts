// The audit log's hash chain: each entry's hash covers the previous entry's hash and the entry's own content, so an
// edited, removed, reinserted or reordered entry breaks the chain at a place verification can name.
//
// For an auditor re-verifying an export offline, the whole rule is:
//   hash = sha256_hex(prevHash + "\n" + canonical({seq, ts, actor, action, target, outcome, detail}))
// where canonical is JSON without whitespace and with object keys sorted at every depth, the first entry's prevHash
// is 64 zeros, and each later entry's prevHash is the hash of the entry before it.
import { createHash } from 'node:crypto';
import type { AuditEntry } from '../stores/audit-log.ts';
import { canonicalJson } from '../canonical-json.ts';

export const GENESIS_HASH = '0'.repeat(64);

export type VerifyProblemKind = 'edited' | 'removed' | 'reordered' | 'broken-link';

export interface VerifyProblem {
  seq: number;
  kind: VerifyProblemKind;
  message: string;
}

export type VerifyResult = { ok: true; entries: number; head: string } | { ok: false; entries: number; problem: VerifyProblem };

export type HashedFields = Pick<AuditEntry, 'seq' | 'ts' | 'actor' | 'action' | 'target' | 'outcome' | 'detail'>;

export function entryHash(prevHash: string, e: HashedFields): string {
  const content = canonicalJson({ seq: e.seq, ts: e.ts, actor: e.actor, action: e.action, target: e.target, outcome: e.outcome, detail: e.detail });
  return createHash('sha256').update(prevHash).update('\n').update(content).digest('hex');
}

/**
 * Walks the entries in the order given (ascending seq, as a store lists them) and reports the first break. It keeps
 * only the previous entry's hash and at most one suspect entry, so a log of any length can be streamed through it.
 */
export async function verifyChain(entries: AsyncIterable<AuditEntry> | Iterable<AuditEntry>): Promise<VerifyResult> {
  let prevHash = GENESIS_HASH;
  let prevSeq = 0;
  let count = 0;
  // An entry that neither matches its content nor links to its predecessor. The next entry tells which it is: if
  // that one links to the suspect's predecessor, it belongs in the suspect's place and the two were swapped.
  let suspect: { seq: number; count: number; prevSeq: number; expectedPrev: string } | undefined;
  const failure = (seq: number, entries: number, kind: VerifyProblemKind, message: string): VerifyResult => ({ ok: false, entries, problem: { seq, kind, message } });
  const missing = (from: number, to: number, before: number): string =>
    `${from === to ? `entry ${from} is` : `entries ${from}..${to} are`} missing before entry ${before}`;
  const judgeSuspect = (s: NonNullable<typeof suspect>, next: AuditEntry | undefined): VerifyResult =>
    next !== undefined && next.prevHash === s.expectedPrev
      ? failure(s.seq, s.count, 'reordered', `entry ${s.seq} was swapped with entry ${next.seq}: entry ${next.seq} is the one that follows entry ${s.prevSeq}`)
      : failure(s.seq, s.count, 'broken-link', `entry ${s.seq} neither matches its content nor follows entry ${s.prevSeq}`);

  for await (const e of entries) {
    if (suspect !== undefined) return judgeSuspect(suspect, e);
    count++;
    if (e.seq <= prevSeq) return failure(e.seq, count, 'reordered', `entry ${e.seq} comes after entry ${prevSeq}`);
    const intact = entryHash(e.prevHash, e) === e.hash;
    if (e.prevHash !== prevHash) {
      if (!intact) {
        suspect = { seq: e.seq, count, prevSeq, expectedPrev: prevHash };
        continue;
      }
      // Intact, but linked to something other than its predecessor: what came between was removed, or the
      // predecessor was replaced by an entry whose hash was recomputed.
      if (e.seq !== prevSeq + 1) return failure(e.seq, count, 'removed', missing(prevSeq + 1, e.seq - 1, e.seq));
      return failure(e.seq, count, 'broken-link', `entry ${e.seq} does not link to entry ${prevSeq}: that entry was replaced, or entries were removed and renumbered`);
    }
    if (!intact) return failure(e.seq, count, 'edited', `entry ${e.seq} was changed after it was written (its hash does not match its content)`);
    if (e.seq !== prevSeq + 1) return failure(e.seq, count, 'removed', missing(prevSeq + 1, e.seq - 1, e.seq));
    prevHash = e.hash;
    prevSeq = e.seq;
  }
  if (suspect !== undefined) return judgeSuspect(suspect, undefined);
  return { ok: true, entries: count, head: prevHash };
}
