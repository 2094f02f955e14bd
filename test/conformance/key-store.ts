// The contract of a KeyStore, run against every implementation: each gets it with one line, e.g.
//   keyStoreConformance('postgres', () => openPostgresKeyHarness(url));
// `open` must return a new, empty store each time; the suite closes every harness it opens.
import { describe, it, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { hashKey, type KeyStore } from '../../src/stores/key-store.ts';

export interface KeyStoreHarness {
  readonly store: KeyStore;
  /**
   * Everything the implementation has persisted, as bytes: for an embedded database its files, for a database
   * server a dump of its tables. The suite checks that no secret is among them.
   */
  persisted(): Promise<Buffer>;
  close(): Promise<void>;
}

export function keyStoreConformance(name: string, open: () => Promise<KeyStoreHarness>): void {
  describe(`KeyStore conformance: ${name}`, () => {
    let harness: KeyStoreHarness;
    let store: KeyStore;
    beforeEach(async () => {
      harness = await open();
      store = harness.store;
    });
    afterEach(async () => {
      await harness.close();
    });

    it('starts empty', async () => {
      assert.deepEqual(await store.list(), []);
    });

    it('create returns the secret once, with a record of its hash and prefix', async () => {
      const before = Date.now();
      const { record, secret } = await store.create({ name: 'ci' });
      const after = Date.now();
      assert.match(secret, /^sk-archway-[A-Za-z0-9_-]{32}$/);
      assert.equal(record.hash, hashKey(secret));
      assert.ok(secret.startsWith(record.prefix) && record.prefix.length < secret.length - 16, `prefix ${record.prefix}`);
      assert.deepEqual(
        { name: record.name, role: record.role, teamId: record.teamId, models: record.models, expiresAt: record.expiresAt, revokedAt: record.revokedAt },
        { name: 'ci', role: 'app', teamId: null, models: null, expiresAt: null, revokedAt: null },
      );
      assert.ok(record.createdAt >= before && record.createdAt <= after);
      assert.ok(!JSON.stringify(await store.list()).includes(secret), 'list() does not return the secret');
    });

    it('persists the hash, never the secret', async () => {
      const created = await Promise.all([store.create({ name: 'a' }), store.create({ name: 'b', role: 'admin' })]);
      const bytes = await harness.persisted();
      for (const { record, secret } of created) {
        assert.ok(bytes.includes(record.hash), 'the hash is stored (so the search looked in the right place)');
        assert.ok(!bytes.includes(secret), 'the secret is not stored');
        // Nor the part of the secret that is not shown as the prefix.
        assert.ok(!bytes.includes(secret.slice(record.prefix.length)), 'the hidden part of the secret is not stored');
      }
    });

    it('gives every key its own id and secret', async () => {
      const made = await Promise.all(Array.from({ length: 20 }, (_, i) => store.create({ name: `k${i}` })));
      assert.equal(new Set(made.map((m) => m.record.id)).size, 20);
      assert.equal(new Set(made.map((m) => m.secret)).size, 20);
    });

    it('keeps every field it was given', async () => {
      const { record } = await store.create({ name: 'scoped', role: 'developer', teamId: 'team_1', models: ['gpt-4o-mini', 'x/y'], expiresAt: 1_900_000_000_000 });
      assert.deepEqual([record.role, record.teamId, record.models, record.expiresAt], ['developer', 'team_1', ['gpt-4o-mini', 'x/y'], 1_900_000_000_000]);
      assert.deepEqual(await store.list(), [record]);
    });

    it('lists keys in creation order, as created', async () => {
      const a = await store.create({ name: 'a' });
      const b = await store.create({ name: 'b', models: [] });
      const c = await store.create({ name: 'c', role: 'auditor' });
      const listed = await store.list();
      assert.deepEqual(
        listed.map((r) => r.name),
        ['a', 'b', 'c'],
      );
      assert.deepEqual(listed, [a.record, b.record, c.record]);
    });

    it('revokes by id, once, leaving other keys alone', async () => {
      const a = await store.create({ name: 'a' });
      const b = await store.create({ name: 'b' });
      const before = Date.now();
      assert.equal(await store.revoke(a.record.id), true);
      const [ra, rb] = await store.list();
      assert.ok(ra!.revokedAt !== null && ra!.revokedAt >= before, 'revokedAt is set');
      assert.equal(rb!.id, b.record.id);
      assert.equal(rb!.revokedAt, null);
      assert.equal(await store.revoke(a.record.id), false, 'already revoked');
      assert.equal((await store.list())[0]!.revokedAt, ra!.revokedAt, 'a second revoke does not move revokedAt');
    });

    it('revokes by prefix', async () => {
      const a = await store.create({ name: 'a' });
      assert.equal(await store.revoke(a.record.prefix), true);
      assert.notEqual((await store.list())[0]!.revokedAt, null);
    });

    it('revoking something unknown matches nothing', async () => {
      const a = await store.create({ name: 'a' });
      assert.equal(await store.revoke('key_0000000000000000'), false);
      assert.equal(await store.revoke('sk-archway-'), false);
      assert.equal(await store.revoke(''), false);
      assert.equal(await store.revoke(a.secret), false, 'a full secret is neither an id nor a prefix');
      assert.equal((await store.list())[0]!.revokedAt, null);
    });

    it('version changes on every change, and only then', async () => {
      const v0 = await store.version();
      assert.equal(typeof v0, 'number');
      const a = await store.create({ name: 'a' });
      const v1 = await store.version();
      assert.notEqual(v1, v0);
      await store.create({ name: 'b' });
      const v2 = await store.version();
      assert.ok(v2 !== v1 && v2 !== v0);
      await store.list();
      assert.equal(await store.revoke('nothing-like-this'), false);
      assert.equal(await store.version(), v2, 'reads and no-op revokes leave it');
      await store.revoke(a.record.id);
      const v3 = await store.version();
      assert.ok(![v0, v1, v2].includes(v3));
    });
  });
}
