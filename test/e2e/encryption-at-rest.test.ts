// Encryption at rest: with content storage on, a prompt is readable through the admin API (by roles allowed to, and
// audited) but its plaintext is nowhere in the database files; keys rotate with `archway encryption rotate`.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { bearer, get, post } from '../helpers/http.ts';
import { startGateway, type TestGateway } from '../helpers/gateway.ts';
import { runCli } from '../helpers/cli.ts';
import { generateKey, Keyring, keyId, loadKeyring } from '../../src/security/keyring.ts';
import { contentAad, open, seal } from '../../src/security/content-cipher.ts';

const KEY_A = generateKey();
const KEY_B = generateKey();
const PROMPT = 'the launch code is PLAINTEXT-CANARY-7f3a9';
let gw: TestGateway;
let requestId = '';

const databaseBytes = (dir: string): Buffer =>
  Buffer.concat(readdirSync(dir).filter((f) => f.startsWith('archway.db')).map((f) => readFileSync(join(dir, f))));

before(async () => {
  gw = await startGateway(
    `
logging:
  content: { store: true }
models:
  canary-model:
    backends:
      - provider: simulator
`,
    { ARCHWAY_ENCRYPTION_KEY: KEY_A },
  );
  const res = await post(`${gw.url}/v1/chat/completions`, { model: 'canary-model', messages: [{ role: 'user', content: PROMPT }] }, bearer(gw.adminKey));
  assert.equal(res.status, 200, res.text);
  requestId = res.headers['x-request-id'] as string;
  await gw.gateway.services.requestLog.flush();
});
after(() => gw.close());

describe('stored content', () => {
  test('the database files hold no plaintext of the prompt (and the search does find what is stored in clear)', () => {
    const bytes = databaseBytes(gw.dataDir);
    assert.ok(bytes.includes(requestId) && bytes.includes('canary-model'), 'the row is there, in clear');
    assert.ok(!bytes.includes('PLAINTEXT-CANARY-7f3a9'), 'the prompt is not');
  });

  test('an admin reads it back decrypted, and the read is audited; an operator sees the row without content', async () => {
    const asAdmin = await get(`${gw.url}/admin/logs/${requestId}`, bearer(gw.adminKey));
    assert.equal(asAdmin.status, 200, asAdmin.text);
    const content = asAdmin.json<{ content: { request: string; response: string } }>().content;
    assert.match(content.request, /PLAINTEXT-CANARY-7f3a9/);
    assert.match(content.response, /"choices"/);
    const reads = await gw.gateway.services.audit.store.list({ action: 'content.read' });
    assert.equal(reads.length, 1);
    assert.equal(reads[0]!.target, requestId);
    const operator = await post(`${gw.url}/admin/keys`, { name: 'ops', role: 'operator' }, bearer(gw.adminKey));
    const asOperator = await get(`${gw.url}/admin/logs/${requestId}`, bearer(operator.json<{ key: string }>().key));
    assert.equal(asOperator.status, 200);
    assert.equal(asOperator.json<{ content: unknown }>().content, null);
  });

  test('archway encryption rotate re-encrypts under the new key; the old key alone no longer opens it', async () => {
    const keyFile = join(gw.dataDir, 'keys.txt');
    writeFileSync(keyFile, `# current first\n${KEY_B}\n${KEY_A}\n`);
    const config = join(gw.dataDir, 'rotate.yaml');
    writeFileSync(config, `data_dir: ${gw.dataDir}\nlogging:\n  content: { store: true, key_file: ${keyFile} }\nmodels:\n  m:\n    backends:\n      - provider: simulator\n`);
    const first = await runCli(['encryption', 'rotate', '--config', config], { cwd: gw.dataDir });
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stdout, /re-encrypted 1 records under key [0-9a-f]{16} \(0 already current\)/);
    const again = await runCli(['encryption', 'rotate', '--config', config], { cwd: gw.dataDir });
    assert.match(again.stdout, /re-encrypted 0 records .* \(1 already current\)/);
    const { DatabaseSync } = await import('node:sqlite');
    const db = new DatabaseSync(join(gw.dataDir, 'archway.db'));
    const row = db.prepare('SELECT kid, request FROM request_content WHERE id = ?').get(requestId) as { kid: string; request: Uint8Array };
    db.close();
    assert.equal(row.kid, keyId(Buffer.from(KEY_B, 'base64')));
    const onlyB = loadKeyring({ env: { ARCHWAY_ENCRYPTION_KEY: KEY_B } })!;
    assert.match(open(onlyB, row.kid, row.request, contentAad(requestId, 'request')).toString(), /PLAINTEXT-CANARY/);
    const onlyA = loadKeyring({ env: { ARCHWAY_ENCRYPTION_KEY: KEY_A } })!;
    assert.throws(() => open(onlyA, row.kid, row.request, contentAad(requestId, 'request')), /not configured/);
  });
});

describe('the cipher and the keyring', () => {
  const keyring = new Keyring([{ kid: 'k', key: Buffer.alloc(32, 7) }]);

  test('a changed byte, another row id or another key fails to open', () => {
    const { kid, blob } = seal(keyring, 'secret text', 'id1:request');
    assert.equal(open(keyring, kid, blob, 'id1:request').toString(), 'secret text');
    for (let i = 0; i < blob.length; i += 7) {
      const bad = Buffer.from(blob);
      bad[i] = bad[i]! ^ 1;
      assert.throws(() => open(keyring, kid, bad, 'id1:request'));
    }
    assert.throws(() => open(keyring, kid, blob, 'id2:request'), /failed authentication/);
    assert.throws(() => open(new Keyring([{ kid: 'k', key: Buffer.alloc(32, 8) }]), kid, blob, 'id1:request'), /failed authentication/);
  });

  test('bad keys are refused with the place they come from; key material never prints', () => {
    assert.throws(() => loadKeyring({ env: { ARCHWAY_ENCRYPTION_KEY: Buffer.alloc(16).toString('base64') } }), /ARCHWAY_ENCRYPTION_KEY: not a base64 32-byte key \(got 16 bytes\)/);
    const loaded = loadKeyring({ env: { ARCHWAY_ENCRYPTION_KEY: KEY_A } })!;
    assert.ok(!JSON.stringify(loaded).includes(KEY_A));
    assert.ok(!JSON.stringify({ loaded }).includes(Buffer.from(KEY_A, 'base64').toString('hex')));
    assert.equal(loadKeyring({ env: {} }), undefined);
  });

  test('storing content without a key is refused at start, saying what to set', async () => {
    await assert.rejects(startGateway('logging:\n  content: { store: true }\nmodels:\n  m:\n    backends:\n      - provider: simulator\n'), /set ARCHWAY_ENCRYPTION_KEY or logging\.content\.key_file/);
  });
});

describe('retention', () => {
  test('content older than retention_days is deleted; newer content stays', async () => {
    const { ContentRetention } = await import('../../src/stores/sqlite/content-retention.ts');
    const { newRequestId } = await import('../../src/server/request-id.ts');
    const { DatabaseSync } = await import('node:sqlite');
    const db = new DatabaseSync(join(gw.dataDir, 'archway.db'));
    try {
      const now = Date.now();
      const insert = db.prepare('INSERT INTO request_content (id, kid, request) VALUES (?, ?, ?)');
      const old = [newRequestId(now - 31 * 86_400_000), newRequestId(now - 40 * 86_400_000)];
      const recent = newRequestId(now - 29 * 86_400_000);
      for (const id of [...old, recent]) insert.run(id, 'k', Buffer.from('x'));
      const before = (db.prepare('SELECT COUNT(*) AS n FROM request_content').get() as { n: number }).n;
      assert.equal(new ContentRetention(db).sweep(30, now), 2);
      const ids = (db.prepare('SELECT id FROM request_content').all() as { id: string }[]).map((r) => r.id);
      assert.equal(ids.length, before - 2);
      assert.ok(ids.includes(recent) && ids.includes(requestId) && !ids.includes(old[0]!));
    } finally {
      db.close();
    }
  });
});
