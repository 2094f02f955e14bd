// The contract of an AuditLog, run against every implementation: each gets it with one line, e.g.
//   auditLogSuite('postgres', () => openPostgresAuditHarness(url));
// `open` must return a new, empty log each time; the suite closes every harness it opens. The harness also tampers
// with what the log stored, the way someone with write access to the database could, so the suite can check that
// verification catches each kind of tampering and names the entry.
import { describe, it, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { entryHash, GENESIS_HASH, type VerifyProblemKind } from '../../src/audit/hash-chain.ts';
import type { AuditEntry, AuditLog } from '../../src/stores/audit-log.ts';

/** Stored fields an entry can be overwritten with; the hashes are left as they are unless given. */
export type StoredFields = Partial<Omit<AuditEntry, 'seq'>>;

export interface AuditLogTamper {
  /** Overwrites fields of the stored entry `seq`, directly in storage. */
  update(seq: number, fields: StoredFields): Promise<void>;
  /** Deletes the stored entry `seq`. */
  remove(seq: number): Promise<void>;
  /** Exchanges everything but seq between two stored entries. */
  swap(a: number, b: number): Promise<void>;
}

export interface AuditLogHarness {
  readonly log: AuditLog;
  readonly tamper: AuditLogTamper;
  /** Another AuditLog over its own connection to the same storage, as a second process would have one. */
  openAnother(): Promise<AuditLog>;
  /** Closes the log and every one openAnother() returned. */
  close(): Promise<void>;
}

/** n entries from a few actors and actions, each with a detail of its own. */
async function appendMany(log: AuditLog, n: number): Promise<AuditEntry[]> {
  const made: AuditEntry[] = [];
  for (let i = 1; i <= n; i++) {
    made.push(
      await log.append({
        actor: i % 3 === 0 ? 'cli:root@host' : `key:key_${i % 2}`,
        action: i % 2 === 0 ? 'key.create' : 'access.refused',
        target: i % 5 === 0 ? null : `key_${i}`,
        outcome: i % 2 === 0 ? 'ok' : 'refused',
        detail: { n: i, role: 'developer', nested: { z: 1, a: [i, 'x'] } },
      }),
    );
  }
  return made;
}

export function auditLogSuite(name: string, open: () => Promise<AuditLogHarness>): void {
  describe(`AuditLog conformance: ${name}`, () => {
    let harness: AuditLogHarness;
    let log: AuditLog;
    beforeEach(async () => {
      harness = await open();
      log = harness.log;
    });
    afterEach(async () => {
      await harness.close();
    });

    /** Asserts that verification fails at `seq` with `kind`, and returns the message. */
    async function assertProblem(seq: number, kind: VerifyProblemKind): Promise<string> {
      const result = await log.verify();
      assert.equal(result.ok, false, `tampering went unnoticed: ${JSON.stringify(result)}`);
      if (result.ok) throw new Error('unreachable');
      assert.deepEqual({ seq: result.problem.seq, kind: result.problem.kind }, { seq, kind }, result.problem.message);
      assert.match(result.problem.message, new RegExp(`\\bentry ${seq}\\b`), 'the message names the entry');
      return result.problem.message;
    }

    it('starts empty, and an empty log verifies with the genesis hash as its head', async () => {
      assert.deepEqual(await log.list(), []);
      assert.deepEqual(await log.verify(), { ok: true, entries: 0, head: GENESIS_HASH });
    });

    it('append returns increasing seq, each entry linked to the previous hash', async () => {
      const before = Date.now();
      const first = await log.append({ actor: 'user:alice@example.com', action: 'team.create', outcome: 'ok' });
      const second = await log.append({ actor: 'ip:1.2.3.4', action: 'access.refused', target: 'GET /admin/keys', outcome: 'refused', detail: { reason: 'no key' } });
      const after = Date.now();
      assert.deepEqual([first.seq, second.seq], [1, 2]);
      assert.equal(first.prevHash, GENESIS_HASH);
      assert.equal(second.prevHash, first.hash);
      assert.equal(first.hash, entryHash(GENESIS_HASH, first));
      assert.equal(second.hash, entryHash(first.hash, second));
      assert.match(second.hash, /^[0-9a-f]{64}$/);
      assert.deepEqual([first.target, first.detail], [null, null], 'left-out target and detail are null');
      assert.ok(first.ts >= before && second.ts >= first.ts && second.ts <= after, 'ts is the time of the append');
    });

    it('stores every field as appended, and the hash does not depend on the order of detail keys', async () => {
      const a = await log.append({ actor: 'key:key_ab12', action: 'content.read', target: 'req_1', outcome: 'ok', detail: { b: 1, a: { y: [1, { d: 2, c: 3 }], x: null } } });
      const b = await log.append({ actor: 'key:key_ab12', action: 'content.read', target: 'req_2', outcome: 'failed', detail: {} });
      assert.deepEqual(await log.list(), [a, b]);
      assert.equal(entryHash(a.prevHash, { ...a, detail: { a: { x: null, y: [1, { c: 3, d: 2 }] }, b: 1 } }), a.hash);
      assert.notEqual(entryHash(a.prevHash, { ...a, detail: { a: { x: null, y: [{ c: 3, d: 2 }, 1] }, b: 1 } }), a.hash, 'array order counts');
      assert.deepEqual(await log.verify(), { ok: true, entries: 2, head: b.hash });
    });

    it('list filters by afterSeq, actor, action, since and until, and limits', async () => {
      const early = await appendMany(log, 6);
      await sleep(5); // so that some entries have a later ts than others, and since/until have something to split
      const late = await appendMany(log, 6);
      const all = [...early, ...late];
      assert.deepEqual(await log.list(), all);
      assert.deepEqual(await log.list({ afterSeq: 9 }), all.slice(9));
      assert.deepEqual(await log.list({ actor: 'cli:root@host' }), all.filter((e) => e.actor === 'cli:root@host'));
      assert.deepEqual(await log.list({ action: 'key.create', actor: 'key:key_0' }), all.filter((e) => e.action === 'key.create' && e.actor === 'key:key_0'));
      const split = late[0]!.ts;
      const since = all.filter((e) => e.ts >= split);
      assert.ok(since.length > 0 && since.length < all.length);
      assert.deepEqual(await log.list({ since: split }), since);
      assert.deepEqual(await log.list({ until: split }), all.filter((e) => e.ts < split), 'until is exclusive');
      assert.deepEqual(await log.list({ limit: 4, afterSeq: 2 }), all.slice(2, 6));
      assert.deepEqual(await log.list({ action: 'nothing.like.this' }), []);
    });

    it('a log of many entries lists in pages, streams in order, and verifies', async () => {
      const made = await appendMany(log, 2_500);
      const firstPage = await log.list();
      assert.equal(firstPage.length, 1_000, 'the default limit');
      assert.equal((await log.list({ limit: 5_000 })).length, 2_500);
      const streamed: AuditEntry[] = [];
      for await (const e of log.entries()) streamed.push(e);
      assert.deepEqual(streamed, made);
      assert.deepEqual(await log.verify(), { ok: true, entries: 2_500, head: made.at(-1)!.hash });
    });

    it('verify detects an edited detail', async () => {
      const made = await appendMany(log, 6);
      await harness.tamper.update(3, { detail: { ...made[2]!.detail, role: 'admin' } });
      await assertProblem(3, 'edited');
    });

    it('verify detects an edited actor', async () => {
      await appendMany(log, 6);
      await harness.tamper.update(5, { actor: 'user:mallory@example.com' });
      await assertProblem(5, 'edited');
    });

    it('verify detects an edited ts, target and outcome', async () => {
      const made = await appendMany(log, 6);
      await harness.tamper.update(2, { ts: made[1]!.ts + 1 });
      await assertProblem(2, 'edited');
      await harness.tamper.update(2, { ts: made[1]!.ts, outcome: 'refused' });
      await assertProblem(2, 'edited');
      await harness.tamper.update(2, { outcome: made[1]!.outcome, target: null });
      await assertProblem(2, 'edited');
      await harness.tamper.update(2, { target: made[1]!.target });
      assert.equal((await log.verify()).ok, true, 'restoring the fields restores the chain');
    });

    it('verify detects a deleted middle entry, naming the one after it and the one missing', async () => {
      await appendMany(log, 6);
      await harness.tamper.remove(4);
      const message = await assertProblem(5, 'removed');
      assert.match(message, /entry 4 is missing/);
    });

    it('verify detects a deleted first entry', async () => {
      await appendMany(log, 4);
      await harness.tamper.remove(1);
      const message = await assertProblem(2, 'removed');
      assert.match(message, /entry 1 is missing/);
    });

    it('verify detects two entries whose contents were swapped, naming the first', async () => {
      await appendMany(log, 6);
      await harness.tamper.swap(3, 4);
      await assertProblem(3, 'reordered');
    });

    it('verify detects swapped entries that are not neighbours', async () => {
      await appendMany(log, 8);
      await harness.tamper.swap(2, 6);
      await assertProblem(2, 'broken-link');
    });

    it('verify detects an entry copied over another (a replay)', async () => {
      const made = await appendMany(log, 6);
      const { seq: _seq, ...second } = made[1]!;
      await harness.tamper.update(4, second);
      await assertProblem(4, 'broken-link');
    });

    it('verify detects an entry forged with a recomputed hash at the entry after it', async () => {
      const made = await appendMany(log, 6);
      const forged = { ...made[2]!, actor: 'user:mallory@example.com' };
      await harness.tamper.update(3, { actor: forged.actor, hash: entryHash(forged.prevHash, forged) });
      await assertProblem(4, 'broken-link');
    });

    it('a truncated tail still verifies, but with another head: compare it with a head recorded earlier', async () => {
      const made = await appendMany(log, 5);
      await harness.tamper.remove(5);
      assert.deepEqual(await log.verify(), { ok: true, entries: 4, head: made[3]!.hash });
    });

    it('two logs on two connections to the same storage, appending in turn, build one chain', async () => {
      const other = await harness.openAnother();
      const made: AuditEntry[] = [];
      for (let i = 0; i < 20; i++) {
        made.push(await log.append({ actor: 'key:key_gateway', action: 'access.refused', outcome: 'refused', detail: { i } }));
        made.push(await other.append({ actor: 'cli:root@host', action: 'key.create', target: `key_${i}`, outcome: 'ok' }));
      }
      // And both at once, as far as the implementation lets them overlap.
      made.push(...(await Promise.all(Array.from({ length: 10 }, (_, i) => (i % 2 === 0 ? log : other).append({ actor: 'cli:root@host', action: 'team.create', outcome: 'ok', detail: { i } })))));
      assert.deepEqual(made.map((e) => e.seq).sort((a, b) => a - b), Array.from({ length: 50 }, (_, i) => i + 1));
      const head = made.reduce((a, b) => (b.seq > a.seq ? b : a)).hash;
      assert.deepEqual(await log.verify(), { ok: true, entries: 50, head });
      assert.deepEqual(await other.verify(), { ok: true, entries: 50, head });
      assert.deepEqual(await other.list({ limit: 10_000 }), await log.list({ limit: 10_000 }));
    });
  });
}
