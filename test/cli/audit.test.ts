// `archway audit verify|export` run as an operator or auditor runs them, against a log written by SqliteAuditLog and
// then edited directly in the database file; and appends from several processes at once building a single chain.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { setTimeout as sleep } from 'node:timers/promises';
import { entryHash, GENESIS_HASH, verifyChain } from '../../src/audit/hash-chain.ts';
import type { AuditEntry } from '../../src/stores/audit-log.ts';
import { SqliteAuditLog } from '../../src/stores/sqlite/audit-log-store.ts';
import { databasePath, openDatabase } from '../../src/stores/sqlite/database.ts';
import { NODE, tempDir } from '../helpers/gateway.ts';
import { runCli, type RunResult } from '../helpers/cli.ts';

const CONFIG_YAML = (dataDir: string) => `data_dir: ${JSON.stringify(dataDir)}\nmodels:\n  chat:\n    backends:\n      - { provider: simulator }\n`;

/** A data directory and a config file naming it: no environment variable decides where the database is. */
function workspace(prefix: string): { dataDir: string; config: string; run: (...args: string[]) => Promise<RunResult>; remove: () => void } {
  const dir = tempDir(prefix);
  const dataDir = join(dir.path, 'data');
  const config = join(dir.path, 'archway.yaml');
  writeFileSync(config, CONFIG_YAML(dataDir));
  return { dataDir, config, run: (...args) => runCli([...args, '--config', config], { cwd: dir.path, env: { ARCHWAY_DATA_DIR: '' } }), remove: dir.remove };
}

function parseExport(stdout: string): AuditEntry[] {
  return stdout.trimEnd().split('\n').map((line) => JSON.parse(line) as AuditEntry);
}

describe('archway audit verify and export', () => {
  const ws = workspace('archway-audit-cli-');
  const written: AuditEntry[] = [];
  before(async () => {
    const db = openDatabase(databasePath(ws.dataDir));
    try {
      const log = new SqliteAuditLog(db);
      const append = (i: number) => log.append({ actor: 'cli:root@host', action: 'key.create', target: `key_${i}`, outcome: 'ok', detail: { name: `svc-${i}`, role: 'developer' } });
      for (let i = 1; i <= 3; i++) written.push(await append(i));
      await sleep(5); // later entries get a later ts, so --since/--until have something to split
      for (let i = 4; i <= 6; i++) written.push(await append(i));
    } finally {
      db.close();
    }
  });
  after(() => ws.remove());

  test('verify: an intact log exits 0 with its size and head', async () => {
    const res = await ws.run('audit', 'verify');
    assert.equal(res.code, 0, res.stderr);
    assert.equal(res.stdout, `audit log intact: 6 entries, head ${written.at(-1)!.hash}\n`);
  });

  test('export: one JSON entry per line, hashes included, that chain and re-verify offline', async () => {
    const res = await ws.run('audit', 'export');
    assert.equal(res.code, 0, res.stderr);
    const entries = parseExport(res.stdout);
    assert.deepEqual(entries, written);
    let prev = GENESIS_HASH;
    for (const e of entries) {
      assert.equal(e.prevHash, prev, `entry ${e.seq} links to the one before`);
      assert.equal(entryHash(e.prevHash, e), e.hash, `entry ${e.seq} matches its hash`);
      prev = e.hash;
    }
    assert.deepEqual(await verifyChain(entries), { ok: true, entries: 6, head: prev });
  });

  test('export --since/--until: the entries in that time range', async () => {
    const split = written[3]!.ts;
    const since = await ws.run('audit', 'export', '--since', new Date(split).toISOString());
    assert.equal(since.code, 0, since.stderr);
    assert.deepEqual(parseExport(since.stdout), written.slice(3));
    const until = await ws.run('audit', 'export', '--until', new Date(split).toISOString());
    assert.deepEqual(parseExport(until.stdout), written.slice(0, 3), 'until is exclusive');
  });

  test('usage mistakes exit 2', async () => {
    const badDate = await ws.run('audit', 'export', '--since', 'last tuesday');
    assert.equal(badDate.code, 2);
    assert.match(badDate.stderr, /--since: expected an ISO date/);
    assert.equal((await ws.run('audit', 'check')).code, 2);
    assert.equal((await ws.run('audit', 'verify', '--bogus')).code, 2);
  });

  test('verify: a row edited in the database exits 1 and names its seq', async () => {
    const db = new DatabaseSync(databasePath(ws.dataDir));
    try {
      const original = (db.prepare('SELECT detail FROM audit_log WHERE seq = 3').get() as { detail: string }).detail;
      db.prepare('UPDATE audit_log SET detail = ? WHERE seq = 3').run(JSON.stringify({ name: 'svc-3', role: 'admin' }));
      let res = await ws.run('audit', 'verify');
      assert.equal(res.code, 1, res.stdout);
      assert.match(res.stderr, /tampered with at entry 3 \(edited\)/);
      assert.doesNotMatch(res.stderr, /\n\s+at /, 'a report, not a stack trace');
      assert.equal(res.stdout, '');

      db.prepare('UPDATE audit_log SET detail = ? WHERE seq = 3').run('{not json');
      res = await ws.run('audit', 'verify');
      assert.equal(res.code, 1);
      assert.match(res.stderr, /tampered with at entry 3 \(edited\)/, 'detail that is not JSON is an edit, not a crash');

      db.prepare('UPDATE audit_log SET detail = ? WHERE seq = 3').run(original);
      assert.equal((await ws.run('audit', 'verify')).code, 0, 'restoring the row restores the chain');
    } finally {
      db.close();
    }
  });

  test('verify against a data_dir with no database says so instead of reporting an empty log', async () => {
    const empty = workspace('archway-audit-cli-empty-');
    try {
      const res = await empty.run('audit', 'verify');
      assert.equal(res.code, 1);
      assert.match(res.stderr, /no database at .*archway\.db/);
    } finally {
      empty.remove();
    }
  });
});

// A child that appends `count` entries once it reads a line on stdin, so all children start appending together.
const APPENDER = `
import { openDatabase, databasePath } from ${JSON.stringify(new URL('../../src/stores/sqlite/database.ts', import.meta.url).href)};
import { SqliteAuditLog } from ${JSON.stringify(new URL('../../src/stores/sqlite/audit-log-store.ts', import.meta.url).href)};
const [dataDir, name, count] = process.argv.slice(-3);
const log = new SqliteAuditLog(openDatabase(databasePath(dataDir)));
process.stdout.write('ready\\n');
process.stdin.once('data', async () => {
  for (let i = 0; i < Number(count); i++) await log.append({ actor: 'cli:' + name, action: 'test.append', outcome: 'ok', detail: { i } });
  process.exit(0);
});
`;

describe('appends from several processes sharing one database file', () => {
  const ws = workspace('archway-audit-procs-');
  after(() => ws.remove());

  test('build a single chain that verifies', async () => {
    const PROCESSES = 3;
    const EACH = 300;
    openDatabase(databasePath(ws.dataDir)).close(); // migrated once, before the race
    const children = Array.from({ length: PROCESSES }, (_, n) => {
      const child = spawn(NODE, ['--input-type=module', '-e', APPENDER, '--', ws.dataDir, `proc${n}`, String(EACH)], { stdio: ['pipe', 'pipe', 'pipe'] });
      let stderr = '';
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      const exited = once(child, 'close').then(([code]) => ({ code: code as number | null, stderr }));
      return { child, exited };
    });
    await Promise.all(children.map(({ child }) => once(child.stdout, 'data')));
    for (const { child } of children) child.stdin.write('go\n');
    for (const { exited } of children) {
      const { code, stderr } = await exited;
      assert.equal(code, 0, stderr);
    }
    const res = await ws.run('audit', 'verify');
    assert.equal(res.code, 0, res.stderr);
    assert.match(res.stdout, new RegExp(`audit log intact: ${PROCESSES * EACH} entries`));
    const actors = new Set(parseExport((await ws.run('audit', 'export')).stdout).map((e) => e.actor));
    assert.equal(actors.size, PROCESSES, 'every process appended');
  });
});
