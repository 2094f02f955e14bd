// Reversible redaction: the model sees numbered placeholders instead of the personal data in a prompt, and the
// answer the client reads has the values back, streamed (placeholders split across chunks included) or not.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Server } from 'node:http';
import { bearer, post, sseData } from '../helpers/http.ts';
import { startGateway, type TestGateway } from '../helpers/gateway.ts';
import { modelAt, startScriptedUpstream } from '../helpers/scripted-upstream.ts';

let upstream: Server;
let gw: TestGateway;
const prompts: string[] = [];

before(async () => {
  // An echoing model: answers "Noted: <prompt>", streamed in 5-character pieces so placeholders split across chunks.
  upstream = await startScriptedUpstream((request, res) => {
      const prompt = request.messages.at(-1)!.content;
      prompts.push(prompt);
      const answer = `Noted: ${prompt}`;
      if (request.stream !== true) {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ id: 'c', object: 'chat.completion', created: 1, model: 'm', choices: [{ index: 0, message: { role: 'assistant', content: answer }, finish_reason: 'stop' }] }));
        return;
      }
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      for (let i = 0; i < answer.length; i += 5) {
        res.write(`data: ${JSON.stringify({ id: 'c', object: 'chat.completion.chunk', created: 1, model: 'm', choices: [{ index: 0, delta: { content: answer.slice(i, i + 5) }, finish_reason: null }] })}\n\n`);
      }
      res.write(`data: ${JSON.stringify({ id: 'c', object: 'chat.completion.chunk', created: 1, model: 'm', choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] })}\n\n`);
      res.end('data: [DONE]\n\n');
  });
  gw = await startGateway(`
guardrails:
  definitions:
    pii: { type: pii, action: redact, reversible: true, stages: [input] }
  policies:
    default: [pii]
${modelAt(upstream)}`);
});
after(async () => {
  await gw.close();
  upstream.close();
});

const PROMPT = 'Write to ana.lopez@example.com and "call" +44 20 7946 0958, then ana.lopez@example.com again.';
const EXPECTED = `Noted: ${PROMPT}`;

describe('reversible redaction', () => {
  test('the model sees numbered placeholders (the same value, the same placeholder); the answer has the values', async () => {
    const res = await post(`${gw.url}/v1/chat/completions`, { model: 'm', messages: [{ role: 'user', content: PROMPT }] }, bearer(gw.adminKey));
    assert.equal(res.status, 200, res.text);
    assert.equal(prompts.at(-1), 'Write to [EMAIL_1] and "call" [PHONE_2], then [EMAIL_1] again.');
    assert.equal(res.json<{ choices: { message: { content: string } }[] }>().choices[0]?.message.content, EXPECTED);
  });

  test('streamed: placeholders split across chunks are restored too', async () => {
    const res = await post(`${gw.url}/v1/chat/completions`, { model: 'm', stream: true, messages: [{ role: 'user', content: PROMPT }] }, bearer(gw.adminKey));
    assert.equal(res.status, 200);
    const text = sseData(res.text)
      .filter((d) => d !== '[DONE]')
      .map((d) => (JSON.parse(d) as { choices: { delta: { content?: string } }[] }).choices[0]?.delta.content ?? '')
      .join('');
    assert.equal(text, EXPECTED);
    assert.ok(!prompts.some((p) => p.includes('ana.lopez')), 'the upstream never saw the address');
  });
});
