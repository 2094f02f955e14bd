// The security commands as an operator runs them: teams and keys with roles, and the audit log's verification
// catching rows edited, removed or swapped directly in the database.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { DatabaseSync } from 'node:sqlite';
import { join } from 'node:path';
import { tempDir } from '../helpers/gateway.ts';
import { runCli } from '../helpers/cli.ts';

const dataDir = tempDir('archway-sec-cli-');
after(() => dataDir.remove());
const run = (...args: string[]) => runCli(args, { cwd: dataDir.path, env: { ARCHWAY_DATA_DIR: dataDir.path } });

describe('teams, keys and the audit log from the command line', () => {
  test('teams create, keys create --team --role --expires, keys rotate: each change is audited', async () => {
    assert.equal((await run('teams', 'create', 'payments', '--attributes', 'region=eu,data_classification=confidential')).code, 0);
    const dup = await run('teams', 'create', 'payments');
    assert.equal(dup.code, 2);
    assert.match(dup.stderr, /already exists/);
    const created = await run('keys', 'create', '--name', 'svc', '--team', 'payments', '--role', 'developer', '--models', 'gpt-4o-mini', '--expires', '30d', '--json');
    assert.equal(created.code, 0, created.stderr);
    const key = JSON.parse(created.stdout) as { id: string; team_id: string };
    assert.match(key.team_id, /^team_/);
    const unknownTeam = await run('keys', 'create', '--name', 'x', '--team', 'nope');
    assert.equal(unknownTeam.code, 2);
    assert.match(unknownTeam.stderr, /no team "nope"; create it with `archway teams create nope`/);
    const rotated = await run('keys', 'rotate', key.id, '--grace', '1h', '--json');
    assert.equal(rotated.code, 0, rotated.stderr);
    const exported = await run('audit', 'export');
    const actions = exported.stdout.trim().split('\n').map((l) => (JSON.parse(l) as { action: string; actor: string }));
    assert.deepEqual(actions.map((a) => a.action), ['team.create', 'key.create', 'key.rotate']);
    assert.match(actions[0]!.actor, /^cli:/);
  });

  test('audit verify: intact, then each kind of tampering is caught and named', async () => {
    const ok = await run('audit', 'verify');
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stdout, /audit log intact: 3 entries, head [0-9a-f]{64}/);
    const db = new DatabaseSync(join(dataDir.path, 'archway.db'));
    try {
      const original = db.prepare('SELECT detail FROM audit_log WHERE seq = 2').get() as { detail: string };
      db.prepare('UPDATE audit_log SET detail = ? WHERE seq = 2').run(original.detail.replace('developer', 'admin'));
      let res = await run('audit', 'verify');
      assert.equal(res.code, 1);
      assert.match(res.stderr, /tampered with at entry 2 \(edited\)/);
      assert.doesNotMatch(res.stderr, /\n\s+at /, 'a report, not a stack trace');
      db.prepare('UPDATE audit_log SET detail = ? WHERE seq = 2').run(original.detail);
      assert.equal((await run('audit', 'verify')).code, 0, 'restoring the row restores the chain');

      db.exec('CREATE TABLE saved AS SELECT * FROM audit_log WHERE seq = 2; DELETE FROM audit_log WHERE seq = 2');
      res = await run('audit', 'verify');
      assert.equal(res.code, 1);
      assert.match(res.stderr, /at entry 3 \(removed\)/);
      db.exec('INSERT INTO audit_log SELECT * FROM saved; DROP TABLE saved');

      db.exec(`UPDATE audit_log SET seq = -1 WHERE seq = 2; UPDATE audit_log SET seq = 2 WHERE seq = 3; UPDATE audit_log SET seq = 3 WHERE seq = -1`);
      res = await run('audit', 'verify');
      assert.equal(res.code, 1);
      assert.match(res.stderr, /at entry 2/);
    } finally {
      db.close();
    }
  });
});
