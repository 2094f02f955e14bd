// Output guardrails on streams, against an upstream on loopback that sends its answer in chosen pieces: a card
// number split across chunks arrives redacted, and an answer that breaks a blocking guardrail ends with
// `finish_reason: "content_filter"` and an error event, never quietly.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Server } from 'node:http';
import OpenAI from 'openai';
import { bearer, post, sseData } from '../helpers/http.ts';
import { startGateway, type TestGateway } from '../helpers/gateway.ts';
import { modelAt, startScriptedUpstream } from '../helpers/scripted-upstream.ts';

const ANSWERS: Record<string, string[]> = {
  card: ['Your card is 4111 11', '11 1111 11', '11, and the rest ', 'of the answer.'],
  banned: ['This answer says the ', 'forbidden-', 'word and more.'],
  clean: ['Nothing ', 'to see ', 'here.'],
  echo: ['Sure. My instructions say: you are the billing assistant of Contoso and you never discuss refunds over fifty dollars.'],
  'json-ok': ['{"name":"Ada","age":36}'],
  'json-bad': ['{"name":"Ada"}'],
};
const SYSTEM = 'You are the billing assistant of Contoso and you never discuss refunds over fifty dollars without a manager.';

let upstream: Server;
let gw: TestGateway;

function chunk(content: string | null, finish: string | null = null): string {
  const delta = content === null ? {} : { content };
  return `data: ${JSON.stringify({ id: 'c1', object: 'chat.completion.chunk', created: 1, model: 'm', choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;
}

before(async () => {
  upstream = await startScriptedUpstream(async (request, res) => {
      const prompt = request.messages.at(-1)!.content;
      if (request.stream !== true) {
        const content = (ANSWERS[prompt] ?? ANSWERS.clean!).join('');
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ id: 'c1', object: 'chat.completion', created: 1, model: 'm', choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: 'stop' }], usage: { prompt_tokens: 1, completion_tokens: 5, total_tokens: 6 } }));
        return;
      }
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write(chunk(null));
      for (const piece of ANSWERS[prompt] ?? ANSWERS.clean!) {
        res.write(chunk(piece));
        await new Promise((r) => setTimeout(r, 5)); // separate TCP writes: the pieces really arrive apart
      }
      res.write(chunk(null, 'stop'));
      res.end('data: [DONE]\n\n');
  });
  gw = await startGateway(`
guardrails:
  definitions:
    pii: { type: pii, action: redact }
    banned: { type: word_list, words: [forbidden-word], action: block, stages: [output] }
  policies:
    default: [pii, banned]
${modelAt(upstream)}`);
});
after(async () => {
  await gw.close();
  upstream.close();
});

describe('output guardrails on a stream', () => {
  test('a card number split across chunks arrives redacted; the rest of the answer is intact', async () => {
    const client = new OpenAI({ apiKey: gw.adminKey, baseURL: gw.baseURL });
    const stream = await client.chat.completions.create({ model: 'm', stream: true, messages: [{ role: 'user', content: 'card' }] });
    let text = '';
    let finish: string | null = null;
    for await (const part of stream) {
      text += part.choices[0]?.delta.content ?? '';
      finish = part.choices[0]?.finish_reason ?? finish;
    }
    assert.equal(text, 'Your card is [CREDIT_CARD], and the rest of the answer.');
    assert.equal(finish, 'stop');
  });

  test("a clean answer streams unchanged: the upstream's chunks, byte for byte", async () => {
    const res = await post(`${gw.url}/v1/chat/completions`, { model: 'm', stream: true, messages: [{ role: 'user', content: 'clean' }] }, bearer(gw.adminKey));
    const sent = [chunk(null), ...ANSWERS.clean!.map((piece) => chunk(piece)), chunk(null, 'stop'), 'data: [DONE]\n\n'];
    assert.deepEqual(sseData(res.text), sseData(sent.join('')));
  });

  test('a blocked answer ends with content_filter and an error event naming the guardrail, without [DONE]', async () => {
    const res = await post(`${gw.url}/v1/chat/completions`, { model: 'm', stream: true, messages: [{ role: 'user', content: 'banned' }] }, bearer(gw.adminKey));
    assert.equal(res.status, 200);
    const frames = sseData(res.text);
    assert.ok(!frames.includes('[DONE]'));
    assert.ok(!res.text.includes('forbidden-word'), 'the banned text never reached the client');
    const last = JSON.parse(frames.at(-1)!) as { error: { code: string } };
    assert.equal(last.error.code, 'guardrail_blocked:banned');
    const beforeLast = JSON.parse(frames.at(-2)!) as { choices: { finish_reason: string }[] };
    assert.equal(beforeLast.choices[0]?.finish_reason, 'content_filter');
    const client = new OpenAI({ apiKey: gw.adminKey, baseURL: gw.baseURL, maxRetries: 0 });
    await assert.rejects(async () => {
      for await (const _ of await client.chat.completions.create({ model: 'm', stream: true, messages: [{ role: 'user', content: 'banned' }] })) void _;
    }, /guardrail/);
  });
});

describe('output guardrails on a whole answer', () => {
  test('redacted in place, and reported in x-archway-guardrails', async () => {
    const res = await post(`${gw.url}/v1/chat/completions`, { model: 'm', messages: [{ role: 'user', content: 'card' }] }, bearer(gw.adminKey));
    assert.equal(res.status, 200, res.text);
    assert.equal(res.json<{ choices: { message: { content: string } }[] }>().choices[0]?.message.content, 'Your card is [CREDIT_CARD], and the rest of the answer.');
    assert.match(res.headers['x-archway-guardrails'] as string, /pii:credit_card/);
  });

  test('a blocked answer is a 400 naming the guardrail', async () => {
    const res = await post(`${gw.url}/v1/chat/completions`, { model: 'm', messages: [{ role: 'user', content: 'banned' }] }, bearer(gw.adminKey));
    assert.equal(res.status, 400);
    assert.equal(res.json<{ error: { code: string } }>().error.code, 'guardrail_blocked:banned');
  });
});

describe('answer checks: system prompt echo and JSON schema', () => {
  let checked: TestGateway;
  before(async () => {
    checked = await startGateway(`
guardrails:
  definitions:
    echo: { type: system_prompt_echo, action: block, stages: [output] }
    schema: { type: json_schema, action: block, stages: [output] }
  policies:
    default: [echo, schema]
${modelAt(upstream)}`);
  });
  after(() => checked.close());

  const ask = (prompt: string, extra: Record<string, unknown> = {}) =>
    post(`${checked.url}/v1/chat/completions`, { model: 'm', messages: [{ role: 'system', content: SYSTEM }, { role: 'user', content: prompt }], ...extra }, bearer(checked.adminKey));
  const schema = { response_format: { type: 'json_schema', json_schema: { name: 'person', schema: { type: 'object', required: ['name', 'age'], properties: { name: { type: 'string' }, age: { type: 'integer' } } } } } };

  test('an answer that repeats the system prompt is refused; an ordinary one is not', async () => {
    const echoed = await ask('echo');
    assert.equal(echoed.status, 400);
    assert.equal(echoed.json<{ error: { code: string } }>().error.code, 'guardrail_blocked:echo');
    assert.equal((await ask('clean')).status, 200);
  });

  test('an answer that breaks the requested JSON schema is refused; one that matches passes', async () => {
    assert.equal((await ask('json-ok', schema)).status, 200);
    const bad = await ask('json-bad', schema);
    assert.equal(bad.status, 400);
    assert.match(bad.json<{ error: { message: string } }>().error.message, /guardrail "schema" \(json_schema:mismatch\)/);
    assert.equal((await ask('json-bad')).status, 200, 'no schema asked, nothing to check');
  });
});
