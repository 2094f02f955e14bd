// An upstream that ignores stream_options.include_usage still gets its streams metered: the gateway counts tokens.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DatabaseSync } from 'node:sqlite';
import { join } from 'node:path';
import { startGateway } from '../helpers/gateway.ts';
import { startSimulators } from '../helpers/simulators.ts';
import { bearer, post } from '../helpers/http.ts';

test('streams from an upstream that reports no usage are counted by the gateway', async (t) => {
  const [sim] = await startSimulators(1, { completion_tokens: 12, chunk_tokens: 1, stream_usage: false });
  const gw = await startGateway(`models:\n  chat:\n    backends:\n      - { name: b0, provider: openai, base_url: ${sim!.url}/v1 }\n`);
  t.after(async () => {
    await gw.close();
    await sim!.close();
  });
  const body = { model: 'chat', stream: true, messages: [{ role: 'user', content: 'Count the tokens of this prompt, please.' }] };
  const ids: string[] = [];
  for (let i = 0; i < 2; i++) {
    const res = await post(`${gw.baseURL}/chat/completions`, body, bearer(gw.adminKey));
    assert.equal(res.status, 200);
    assert.ok(res.text.endsWith('data: [DONE]\n\n'));
    assert.doesNotMatch(res.text, /"usage":\{/, 'the client did not ask for usage and gets none');
    ids.push(String(res.headers['x-request-id']));
  }
  await gw.gateway.services.requestLog.flush();
  const db = new DatabaseSync(join(gw.dataDir, 'archway.db'));
  const rows = ids.map((id) => db.prepare('SELECT prompt_tokens p, completion_tokens c FROM request_log WHERE id = ?').get(id) as { p: number; c: number });
  db.close();
  for (const row of rows) {
    assert.ok(row.p >= 9 && row.p <= 20, `prompt tokens ${row.p} counted from the messages`);
  }
  assert.equal(rows[0]!.c, 12, 'first stream: one token per content chunk');
  assert.ok(rows[1]!.c >= 10 && rows[1]!.c <= 30, `second stream: its text tokenized (${rows[1]!.c})`);
});
