// `archway encryption generate-key|rotate` run as an operator runs them: a new key goes first in the key file, rotate
// moves every stored record to it, and a missing or malformed key is reported (exit 1) naming what to fix.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DatabaseSync } from 'node:sqlite';
import { generateKey, keyId, parseKeyFile } from '../../src/security/keyring.ts';
import { databasePath, openDatabase } from '../../src/stores/sqlite/database.ts';
import { SqliteRequestContentStore } from '../../src/stores/sqlite/request-content-store.ts';
import { tempDir } from '../helpers/gateway.ts';
import { runCli, type RunResult } from '../helpers/cli.ts';

const dir = tempDir('archway-encryption-cli-');
const dataDir = join(dir.path, 'data');
const keyFile = join(dir.path, 'content-keys.txt');
const withKeyFile = join(dir.path, 'archway.yaml');
const withoutKeyFile = join(dir.path, 'env-keys.yaml');
const MODELS = 'models:\n  chat:\n    backends:\n      - { provider: simulator }\n';
const KEY_A = generateKey();
const kidOf = (key: string): string => keyId(Buffer.from(key, 'base64'));
const NO_ENV_KEYS = { ARCHWAY_DATA_DIR: '', ARCHWAY_ENCRYPTION_KEY: '', ARCHWAY_ENCRYPTION_OLD_KEYS: '' };

const run = (args: string[], env: NodeJS.ProcessEnv = {}): Promise<RunResult> =>
  runCli(['encryption', ...args], { cwd: dir.path, env: { ...NO_ENV_KEYS, ...env } });

function withDatabase<T>(use: (db: DatabaseSync) => T): T {
  const db = openDatabase(databasePath(dataDir));
  try {
    return use(db);
  } finally {
    db.close();
  }
}

const kids = (): string[] => withDatabase((db) => (db.prepare('SELECT DISTINCT kid FROM request_content').all() as { kid: string }[]).map((r) => r.kid));

before(() => {
  writeFileSync(withKeyFile, `data_dir: ${JSON.stringify(dataDir)}\nlogging:\n  content: { store: true, key_file: ${JSON.stringify(keyFile)} }\n${MODELS}`);
  writeFileSync(withoutKeyFile, `data_dir: ${JSON.stringify(dataDir)}\nlogging:\n  content: { store: true }\n${MODELS}`);
  withDatabase((db) => {
    const store = new SqliteRequestContentStore(db, parseKeyFile(KEY_A));
    for (let i = 0; i < 3; i++) store.put(`req_${i}`, `prompt ${i}`, i === 0 ? null : `answer ${i}`);
  });
});
after(() => dir.remove());

describe('archway encryption', () => {
  let keyB = '';

  test('generate-key prints a fresh base64 32-byte key', async () => {
    const first = await run(['generate-key']);
    const second = await run(['generate-key']);
    assert.equal(first.code, 0, first.stderr);
    keyB = first.stdout.trim();
    assert.match(first.stdout, /^[A-Za-z0-9+/]{43}=\n$/);
    assert.equal(Buffer.from(keyB, 'base64').length, 32);
    assert.notEqual(second.stdout, first.stdout);
  });

  test('rotate with a new key first in the key file re-encrypts every record under it, then finds nothing to do', async () => {
    writeFileSync(keyFile, `# current key first\n${keyB}\n# the previous one, until rotation is done\n${KEY_A}\n`);
    const res = await run(['rotate', '--config', withKeyFile]);
    assert.equal(res.code, 0, res.stderr);
    assert.equal(res.stdout, `re-encrypted 3 records under key ${kidOf(keyB)} (0 already current)\n`);
    assert.deepEqual(kids(), [kidOf(keyB)]);
    const onlyB = withDatabase((db) => new SqliteRequestContentStore(db, parseKeyFile(keyB)).get('req_2'));
    assert.deepEqual(onlyB, { request: 'prompt 2', response: 'answer 2' });

    const again = await run(['rotate', '--config', withKeyFile]);
    assert.equal(again.code, 0, again.stderr);
    assert.equal(again.stdout, `re-encrypted 0 records under key ${kidOf(keyB)} (3 already current)\n`);
  });

  test('with keys from the environment: ARCHWAY_ENCRYPTION_KEY current, ARCHWAY_ENCRYPTION_OLD_KEYS to read the rest', async () => {
    const keyC = generateKey();
    const res = await run(['rotate', '--config', withoutKeyFile], { ARCHWAY_ENCRYPTION_KEY: keyC, ARCHWAY_ENCRYPTION_OLD_KEYS: `${KEY_A},${keyB}` });
    assert.equal(res.code, 0, res.stderr);
    assert.equal(res.stdout, `re-encrypted 3 records under key ${kidOf(keyC)} (0 already current)\n`);
    assert.deepEqual(kids(), [kidOf(keyC)]);

    const missing = await run(['rotate', '--config', withKeyFile]);
    assert.equal(missing.code, 1, 'the key file lacks the key the records are now under');
    assert.match(missing.stderr, new RegExp(`sealed with key ${kidOf(keyC)}, which is not configured .*add the key with that id`));
    assert.doesNotMatch(missing.stderr, /\n\s+at /, 'a report, not a stack trace');
    assert.deepEqual(kids(), [kidOf(keyC)], 'nothing changed');
  });

  test('a malformed key file or no key at all is reported with what to do; a wrong subcommand is a usage error', async () => {
    writeFileSync(keyFile, `${generateKey()}\n${Buffer.alloc(16, 9).toString('base64')}\n`);
    const bad = await run(['rotate', '--config', withKeyFile]);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /logging\.content\.key_file line 2: not a base64 32-byte key \(got 16 bytes\); make one with `openssl rand -base64 32`/);

    const none = await run(['rotate', '--config', withoutKeyFile]);
    assert.equal(none.code, 1);
    assert.match(none.stderr, /no encryption key: set ARCHWAY_ENCRYPTION_KEY/);

    const usage = await run(['spin']);
    assert.equal(usage.code, 2);
    assert.match(usage.stderr, /usage: archway encryption rotate/);
  });
});
