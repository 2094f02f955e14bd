// The cipher for stored content and the keyring it uses: what opens, what must not, and what a key file may hold.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { ContentDecryptError, open, openContent, seal, sealContent } from '../../src/security/content-cipher.ts';
import { generateKey, Keyring, keyId, KeyringError, loadKeyring, parseKeyFile } from '../../src/security/keyring.ts';

const KEY_A = generateKey();
const KEY_B = generateKey();
const ringOf = (...keys: string[]): Keyring => parseKeyFile(keys.join('\n'));

describe('seal and open', () => {
  const keyring = ringOf(KEY_A);

  test('a round trip gives back the bytes, strings and buffers alike; two seals of the same text differ', () => {
    const text = 'ünïcode prompt ✓ with a secret';
    const { kid, blob } = seal(keyring, text, 'req_1:request');
    assert.equal(kid, keyring.current.kid);
    assert.equal(open(keyring, kid, blob, 'req_1:request').toString('utf8'), text);
    const bytes = randomBytes(100);
    assert.deepEqual(open(keyring, kid, seal(keyring, bytes, 'x').blob, 'x'), bytes);
    assert.equal(open(keyring, kid, seal(keyring, '', 'x').blob, 'x').length, 0);
    assert.notDeepEqual(seal(keyring, text, 'a').blob, seal(keyring, text, 'a').blob, 'a fresh IV each time');
    assert.equal(blob.length, 1 + 12 + 16 + Buffer.byteLength(text), 'version, IV, tag, ciphertext');
    assert.ok(!blob.includes(Buffer.from('secret')), 'the blob holds no plaintext');
  });

  test('changing any byte of the blob, or truncating it, fails to open', () => {
    const { kid, blob } = seal(keyring, 'secret text', 'req_1:request');
    for (let i = 0; i < blob.length; i++) {
      const bad = Buffer.from(blob);
      bad[i] = bad[i]! ^ 0x01;
      assert.throws(() => open(keyring, kid, bad, 'req_1:request'), ContentDecryptError, `byte ${i}`);
    }
    assert.throws(() => open(keyring, kid, blob.subarray(0, blob.length - 1), 'req_1:request'), ContentDecryptError);
    assert.throws(() => open(keyring, kid, blob.subarray(0, 20), 'req_1:request'), /not a sealed blob/);
  });

  test('another row id, another field or another key under the same id fails authentication', () => {
    const { kid, blob } = seal(keyring, 'secret text', 'req_1:request');
    assert.throws(() => open(keyring, kid, blob, 'req_2:request'), /content of req_2:request failed authentication/);
    assert.throws(() => open(keyring, kid, blob, 'req_1:response'), ContentDecryptError);
    const impostor = new Keyring([{ kid, key: Buffer.from(KEY_B, 'base64') }]);
    assert.throws(() => open(impostor, kid, blob, 'req_1:request'), /failed authentication/);
  });

  test('an unknown key id is named, with what to add', () => {
    const { kid, blob } = seal(ringOf(KEY_B), 'secret text', 'req_1:request');
    assert.throws(
      () => open(keyring, kid, blob, 'req_1:request'),
      (err: Error) => err instanceof ContentDecryptError && err.message.includes(`sealed with key ${kid}`) && /add the key with that id/.test(err.message),
    );
  });

  test('sealContent / openContent: both fields under one kid, each bound to its field', () => {
    const sealed = sealContent(keyring, 'req_9', '{"prompt":1}', '{"answer":2}');
    assert.deepEqual(openContent(keyring, 'req_9', sealed), { request: '{"prompt":1}', response: '{"answer":2}' });
    assert.deepEqual(openContent(keyring, 'req_9', sealContent(keyring, 'req_9', 'q', null)), { request: 'q', response: null });
    const swapped = { kid: sealed.kid, request: sealed.response!, response: sealed.request };
    assert.throws(() => openContent(keyring, 'req_9', swapped), ContentDecryptError);
  });
});

describe('the keyring', () => {
  test('the kid is the first 16 hex of SHA-256("archway-kid" + key), the same on every load', () => {
    const key = Buffer.from(KEY_A, 'base64');
    const expected = createHash('sha256').update(Buffer.concat([Buffer.from('archway-kid'), key])).digest('hex').slice(0, 16);
    assert.equal(keyId(key), expected);
    assert.equal(ringOf(KEY_A).current.kid, expected);
    assert.equal(loadKeyring({ env: { ARCHWAY_ENCRYPTION_KEY: KEY_A } })!.current.kid, expected);
    assert.equal(keyId(Buffer.alloc(32, 0)), keyId(Buffer.alloc(32, 0)));
    assert.notEqual(keyId(Buffer.alloc(32, 0)), keyId(Buffer.alloc(32, 1)));
  });

  test('a key file: the first key is current, the others readable; comments and blank lines are skipped', () => {
    const ring = parseKeyFile(`# rotated 2025-01\n\n${KEY_B}\r\n${KEY_A}   # the old one\n`);
    assert.equal(ring.current.kid, keyId(Buffer.from(KEY_B, 'base64')));
    assert.deepEqual(ring.kids, [keyId(Buffer.from(KEY_B, 'base64')), keyId(Buffer.from(KEY_A, 'base64'))]);
    assert.ok(ring.get(keyId(Buffer.from(KEY_A, 'base64'))));
    assert.equal(ring.get('0000000000000000'), undefined);
  });

  test('bad keys are refused naming the line and the size found', () => {
    const short = Buffer.alloc(16, 1).toString('base64');
    assert.throws(
      () => parseKeyFile(`${KEY_A}\n${short}\n`),
      (err: Error) =>
        err instanceof KeyringError &&
        err.message.startsWith('logging.content.key_file line 2: not a base64 32-byte key (got 16 bytes); make one with `openssl rand -base64 32`'),
    );
    assert.throws(() => parseKeyFile(`# c\n${KEY_A.slice(0, 20)}!!${KEY_A.slice(22)}`), /line 2: not a base64 32-byte key \(it has characters outside/);
    assert.throws(() => parseKeyFile(randomBytes(48).toString('base64')), /line 1: not a base64 32-byte key \(got 48 bytes\)/);
    assert.throws(() => parseKeyFile('# only a comment\n\n'), /logging\.content\.key_file: holds no key/);
    assert.throws(() => parseKeyFile(''), /holds no key/);
  });

  test('a bad key never appears in the error', () => {
    const almost = `${KEY_A.slice(0, 40)}@@@@`;
    assert.throws(() => parseKeyFile(almost), (err: Error) => !err.message.includes(KEY_A.slice(0, 40)));
  });

  test('from a file, or from the environment with old keys; none configured is undefined', () => {
    const dir = mkdtempSync(join(tmpdir(), 'archway-keyring-'));
    try {
      const file = join(dir, 'keys');
      writeFileSync(file, `${KEY_B}\n${KEY_A}\n`);
      const fromFile = loadKeyring({ env: { ARCHWAY_ENCRYPTION_KEY: KEY_A }, keyFile: file })!;
      assert.equal(fromFile.current.kid, keyId(Buffer.from(KEY_B, 'base64')), 'the key file wins over the environment');
      assert.throws(() => loadKeyring({ env: {}, keyFile: join(dir, 'missing') }), /logging\.content\.key_file: cannot read .*ENOENT/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    const fromEnv = loadKeyring({ env: { ARCHWAY_ENCRYPTION_KEY: KEY_B, ARCHWAY_ENCRYPTION_OLD_KEYS: ` ${KEY_A} ,` } })!;
    assert.deepEqual(fromEnv.kids, [keyId(Buffer.from(KEY_B, 'base64')), keyId(Buffer.from(KEY_A, 'base64'))]);
    assert.throws(() => loadKeyring({ env: { ARCHWAY_ENCRYPTION_KEY: Buffer.alloc(31).toString('base64') } }), /^KeyringError: ARCHWAY_ENCRYPTION_KEY: not a base64 32-byte key \(got 31 bytes\)/);
    assert.throws(() => loadKeyring({ env: { ARCHWAY_ENCRYPTION_KEY: KEY_B, ARCHWAY_ENCRYPTION_OLD_KEYS: 'abc' } }), /ARCHWAY_ENCRYPTION_OLD_KEYS item 1/);
    assert.throws(() => loadKeyring({ env: { ARCHWAY_ENCRYPTION_OLD_KEYS: KEY_A } }), /ARCHWAY_ENCRYPTION_KEY is not/);
    assert.equal(loadKeyring({ env: {} }), undefined);
    assert.equal(loadKeyring({ env: { ARCHWAY_ENCRYPTION_KEY: '' } }), undefined);
  });

  test('inspecting or serialising a keyring or a key shows ids only, never key material', () => {
    const ring = ringOf(KEY_B, KEY_A);
    const secrets = [KEY_A, KEY_B].flatMap((k) => {
      const raw = Buffer.from(k, 'base64');
      // base64, hex, as util.inspect shows a Buffer ("<Buffer 1f a0 …"), as JSON.stringify does ("data":[31,160,…).
      return [k, raw.toString('hex'), raw.toString('hex').match(/../g)!.slice(0, 4).join(' '), `[${[...raw.subarray(0, 4)].join(',')},`];
    });
    const renderings = [
      inspect(ring),
      inspect({ nested: { ring } }, { depth: 10, showHidden: true }),
      JSON.stringify(ring),
      JSON.stringify({ ring, current: ring.current }),
      inspect(ring.current, { showHidden: true }),
      inspect(ring.get(ring.kids[1]!)),
      JSON.stringify([ring.get(ring.kids[1]!)]),
    ];
    for (const text of renderings) {
      for (const secret of secrets) assert.ok(!text.includes(secret), `${text} leaks key material`);
      assert.ok(ring.kids.some((kid) => text.includes(kid)), `${text} names a kid`);
    }
    // The search above can fail: the raw key buffer, printed, does show what it looks for.
    assert.ok(inspect(ring.current.key).includes(secrets[6]!), "KEY_B's bytes are found in its printed buffer");
    assert.ok(JSON.stringify(ring.current.key).includes(secrets[7]!), "KEY_B's bytes are found in its JSON");
  });
});
