// Stored content on a real SQLite file: it reads back, its plaintext is in no byte SQLite wrote, rows cannot be swapped,
// and rotation moves every record to the new key in batches, idempotently, stopping on a key it does not have.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DatabaseSync } from 'node:sqlite';
import { ContentDecryptError } from '../../src/security/content-cipher.ts';
import { generateKey, type Keyring, parseKeyFile } from '../../src/security/keyring.ts';
import { databasePath, openDatabase } from '../../src/stores/sqlite/database.ts';
import { SqliteRequestContentStore } from '../../src/stores/sqlite/request-content-store.ts';

const KEY_A = generateKey();
const KEY_B = generateKey();
const KEY_C = generateKey();
const ring = (...keys: string[]): Keyring => parseKeyFile(keys.join('\n'));

const dirs: string[] = [];
after(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

function freshDatabase(): { dir: string; db: DatabaseSync } {
  const dir = mkdtempSync(join(tmpdir(), 'archway-content-'));
  dirs.push(dir);
  return { dir, db: openDatabase(databasePath(dir)) };
}

/** Every byte SQLite has written: the database file, its WAL and its shared-memory index. */
function databaseBytes(dir: string): Buffer {
  const files = readdirSync(dir).filter((f) => f.startsWith('archway.db'));
  assert.ok(files.includes('archway.db-wal'), 'the WAL is searched too');
  return Buffer.concat(files.map((f) => readFileSync(join(dir, f))));
}

const kidsInTable = (db: DatabaseSync): Record<string, number> =>
  Object.fromEntries((db.prepare('SELECT kid, COUNT(*) AS n FROM request_content GROUP BY kid').all() as { kid: string; n: number }[]).map((r) => [r.kid, r.n]));

describe('request content in SQLite', () => {
  test('put then get gives back both fields; a missing id is undefined; put replaces', () => {
    const { db } = freshDatabase();
    const store = new SqliteRequestContentStore(db, ring(KEY_A));
    store.put('req_1', '{"messages":[{"role":"user","content":"héllo"}]}', '{"choices":[]}');
    store.put('req_2', '{"stream":true}', null);
    assert.deepEqual(store.get('req_1'), { request: '{"messages":[{"role":"user","content":"héllo"}]}', response: '{"choices":[]}' });
    assert.deepEqual(store.get('req_2'), { request: '{"stream":true}', response: null });
    assert.equal(store.get('req_3'), undefined);
    store.put('req_2', 'again', 'answered');
    assert.deepEqual(store.get('req_2'), { request: 'again', response: 'answered' });
    db.close();
  });

  test('the database and WAL bytes hold no prompt text, while a row stored in clear is found by the same search', () => {
    const { dir, db } = freshDatabase();
    const store = new SqliteRequestContentStore(db, ring(KEY_A));
    const secret = 'PROMPT-CANARY-41c9e2 tell me the merger terms';
    const control = 'CLEARTEXT-CONTROL-8d0b77';
    store.put('req_secret', JSON.stringify({ messages: [{ role: 'user', content: secret }] }), JSON.stringify({ answer: secret }));
    // The control: the same table and columns, written without the cipher, as a store that forgot to seal would.
    db.prepare('INSERT INTO request_content (id, kid, request, response) VALUES (?, ?, ?, ?)').run('req_control', 'none', Buffer.from(control), Buffer.from(control));
    for (const stage of ['in the WAL', 'after a checkpoint into the database file']) {
      const bytes = databaseBytes(dir);
      assert.ok(bytes.includes('req_secret'), `${stage}: the row is there`);
      assert.ok(bytes.includes(control), `${stage}: the search finds text stored in clear`);
      assert.ok(!bytes.includes('PROMPT-CANARY-41c9e2'), `${stage}: the prompt is not in clear`);
      assert.ok(!bytes.includes(Buffer.from('PROMPT-CANARY-41c9e2', 'utf16le')), `${stage}: nor in UTF-16`);
      db.exec('PRAGMA wal_checkpoint(TRUNCATE)');
    }
    assert.match(store.get('req_secret')!.request, /PROMPT-CANARY-41c9e2/);
    db.close();
  });

  test('a blob moved to another row or field fails to open', () => {
    const { db } = freshDatabase();
    const store = new SqliteRequestContentStore(db, ring(KEY_A));
    store.put('req_alice', 'alice prompt', 'alice answer');
    store.put('req_bob', 'bob prompt', 'bob answer');
    db.exec("UPDATE request_content SET request = (SELECT request FROM request_content WHERE id = 'req_alice') WHERE id = 'req_bob'");
    assert.throws(() => store.get('req_bob'), /content of req_bob:request failed authentication/);
    db.exec("UPDATE request_content SET request = response WHERE id = 'req_alice'");
    assert.throws(() => store.get('req_alice'), ContentDecryptError);
    db.close();
  });

  test('rotation from key A to B re-encrypts every record in batches; B alone reads them, A alone cannot; it is idempotent', () => {
    const { db } = freshDatabase();
    const total = 620; // more than two batches
    const oldStore = new SqliteRequestContentStore(db, ring(KEY_A));
    const ids: string[] = [];
    for (let i = 0; i < total; i++) {
      const id = randomUUID();
      ids.push(id);
      oldStore.put(id, `prompt ${i}`, i % 3 === 0 ? null : `answer ${i}`);
    }
    const a = ring(KEY_A).current.kid;
    const b = ring(KEY_B).current.kid;
    assert.deepEqual(kidsInTable(db), { [a]: total });

    const progress: number[] = [];
    const result = new SqliteRequestContentStore(db, ring(KEY_B, KEY_A)).rotate((n) => progress.push(n));
    assert.deepEqual(result, { rotated: total, alreadyCurrent: 0 });
    assert.deepEqual(kidsInTable(db), { [b]: total });
    assert.ok(progress.length >= 3, `progress after each batch: ${progress.join(',')}`);
    assert.equal(progress.at(-1), total);
    assert.deepEqual([...progress].sort((x, y) => x - y), progress, 'counts only grow');

    const onlyB = new SqliteRequestContentStore(db, ring(KEY_B));
    ids.forEach((id, i) => assert.deepEqual(onlyB.get(id), { request: `prompt ${i}`, response: i % 3 === 0 ? null : `answer ${i}` }));
    const onlyA = new SqliteRequestContentStore(db, ring(KEY_A));
    assert.throws(() => onlyA.get(ids[0]!), (err: Error) => err instanceof ContentDecryptError && err.message.includes(`sealed with key ${b}`));

    assert.deepEqual(new SqliteRequestContentStore(db, ring(KEY_B, KEY_A)).rotate(), { rotated: 0, alreadyCurrent: total });
    assert.deepEqual(onlyB.rotate(), { rotated: 0, alreadyCurrent: total }, 'the old key is no longer needed');
    db.close();
  });

  test('a record under a key not in the keyring stops rotation, naming the key; with the key added it completes', () => {
    const { db } = freshDatabase();
    new SqliteRequestContentStore(db, ring(KEY_A)).put('req_a', 'under A', null);
    new SqliteRequestContentStore(db, ring(KEY_C)).put('req_c', 'under C', 'answer');
    const c = ring(KEY_C).current.kid;
    assert.throws(
      () => new SqliteRequestContentStore(db, ring(KEY_B, KEY_A)).rotate(),
      (err: Error) => err instanceof ContentDecryptError && err.message.includes('rotation stopped at record req_c') && err.message.includes(`key ${c}`),
    );
    assert.equal(kidsInTable(db)[c], 1, 'the unreadable record is left as it was');
    assert.deepEqual(new SqliteRequestContentStore(db, ring(KEY_B, KEY_A, KEY_C)).rotate(), { rotated: 2, alreadyCurrent: 0 });
    assert.deepEqual(new SqliteRequestContentStore(db, ring(KEY_B)).get('req_c'), { request: 'under C', response: 'answer' });
    db.close();
  });
});
