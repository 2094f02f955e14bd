// The gateway in front of each provider protocol, driven by the official openai SDK. The upstream is a simulator that
// demands an API key in each protocol's own header, so a passing call proves the gateway sent the right credential.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI from 'openai';
import { startGateway, type TestGateway } from '../helpers/gateway.ts';
import { closeAll, startSimulators } from '../helpers/simulators.ts';
import { bearer, post } from '../helpers/http.ts';
import type { SimulatorHandle } from '../../src/providers/simulator/server.ts';

const UPSTREAM_KEY = 'sk-upstream-secret';
const DEPLOYMENT = 'my-gpt-deployment';

let sim: SimulatorHandle;
let gw: TestGateway;
let client: OpenAI;

before(async () => {
  [sim] = (await startSimulators(1, {}, UPSTREAM_KEY)) as [SimulatorHandle];
  gw = await startGateway(`
models:
  gpt:
    backends:
      - { name: oa, provider: openai, base_url: ${sim.url}/v1, api_key: ${UPSTREAM_KEY}, model: sim-model }
  az:
    backends:
      - { name: az, provider: azure-openai, base_url: ${sim.url}, api_key: ${UPSTREAM_KEY}, api_version: 2024-10-21, model: ${DEPLOYMENT} }
  claude:
    backends:
      - { name: an, provider: anthropic, base_url: ${sim.url}, api_key: ${UPSTREAM_KEY}, model: claude-sim }
  wrong-key:
    retry: { max_attempts: 1 }
    backends:
      - { name: oa-bad, provider: openai, base_url: ${sim.url}/v1, api_key: sk-not-the-upstream-key, model: sim-model }
`);
  client = new OpenAI({ baseURL: gw.baseURL, apiKey: gw.adminKey, maxRetries: 0 });
});

after(async () => {
  await gw?.close();
  if (sim) await closeAll([sim]);
});

const HELLO = [{ role: 'user' as const, content: 'hello there' }];

/** The headers every proxied answer carries. */
function assertGatewayHeaders(headers: Headers, backend: string): void {
  assert.equal(headers.get('x-archway-backend'), backend);
  assert.match(headers.get('x-request-id') ?? '', /^[0-9a-f-]{36}$/);
  const timing = headers.get('server-timing') ?? '';
  const gateway = /gateway;dur=(\d+(?:\.\d+)?)/.exec(timing);
  const upstream = /upstream;dur=(\d+(?:\.\d+)?)/.exec(timing);
  assert.ok(gateway && upstream, `server-timing: ${timing}`);
  assert.ok(Number(gateway[1]) >= 0 && Number(upstream[1]) >= 0, timing);
}

/** How many requests the simulator saw on a path, so a test can prove where the gateway went. */
const hits = (path: string): number => sim.stats().byPath[path] ?? 0;

describe('provider: openai', () => {
  test('chat through the SDK, with the upstream key as a Bearer token', async () => {
    const before = hits('/v1/chat/completions');
    const { data, response } = await client.chat.completions.create({ model: 'gpt', messages: HELLO, max_tokens: 5 }).withResponse();
    assert.equal(data.object, 'chat.completion');
    assert.equal(data.model, 'sim-model'); // the backend's upstream model replaced the gateway's model name
    assert.equal(data.choices[0]?.finish_reason, 'length');
    assert.equal(data.usage?.completion_tokens, 5);
    assertGatewayHeaders(response.headers, 'oa');
    assert.ok(Number(/upstream;dur=([\d.]+)/.exec(response.headers.get('server-timing') ?? '')?.[1]) > 0, 'a proxied call spent time upstream');
    assert.equal(hits('/v1/chat/completions'), before + 1);
  });

  test('embeddings through the SDK', async () => {
    const { data, response } = await client.embeddings.create({ model: 'gpt', input: ['one', 'two'] }).withResponse();
    assert.equal(data.data.length, 2);
    assert.ok((data.data[0]?.embedding.length ?? 0) > 0);
    assertGatewayHeaders(response.headers, 'oa');
  });

  test('control: a backend configured with the wrong upstream key is refused by the upstream', async () => {
    const res = await post(`${gw.url}/v1/chat/completions`, { model: 'wrong-key', messages: HELLO }, bearer(gw.adminKey));
    assert.notEqual(res.status, 200);
    assert.match(res.text, /Incorrect API key/);
  });
});

describe('provider: azure-openai', () => {
  test('chat goes to the deployment path with the api-key header', async () => {
    const path = `/openai/deployments/${DEPLOYMENT}/chat/completions`;
    const before = hits(path);
    const { data, response } = await client.chat.completions.create({ model: 'az', messages: HELLO }).withResponse();
    assert.equal(data.model, DEPLOYMENT); // Azure names the model by its deployment
    assert.equal(data.choices[0]?.finish_reason, 'stop');
    assert.ok((data.choices[0]?.message.content ?? '').length > 0);
    assertGatewayHeaders(response.headers, 'az');
    assert.equal(hits(path), before + 1);
  });

  test('a streamed chat from Azure', async () => {
    const stream = await client.chat.completions.create({ model: 'az', messages: HELLO, stream: true, max_tokens: 3 });
    let text = '';
    let finish: string | null = null;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? '';
      finish = chunk.choices[0]?.finish_reason ?? finish;
    }
    assert.ok(text.length > 0);
    assert.equal(finish, 'length');
  });

  test('embeddings go to the deployment path', async () => {
    const path = `/openai/deployments/${DEPLOYMENT}/embeddings`;
    const before = hits(path);
    const { data, response } = await client.embeddings.create({ model: 'az', input: 'vector me' }).withResponse();
    assert.equal(data.data.length, 1);
    assert.ok((data.data[0]?.embedding.length ?? 0) > 0);
    assertGatewayHeaders(response.headers, 'az');
    assert.equal(hits(path), before + 1);
  });
});

describe('provider: anthropic', () => {
  test('a non-streamed chat, translated to the OpenAI shape, with the x-api-key header', async () => {
    const before = hits('/v1/messages');
    const { data, response } = await client.chat.completions
      .create({ model: 'claude', messages: [{ role: 'system', content: 'Be brief.' }, ...HELLO], max_tokens: 64 })
      .withResponse();
    assert.equal(data.object, 'chat.completion');
    assert.match(data.id, /^chatcmpl-/);
    assert.equal(data.model, 'claude-sim');
    assert.equal(data.choices[0]?.message.role, 'assistant');
    assert.ok((data.choices[0]?.message.content ?? '').length > 0);
    assert.equal(data.choices[0]?.finish_reason, 'stop'); // end_turn
    assert.ok((data.usage?.prompt_tokens ?? 0) > 0);
    assert.equal(data.usage?.total_tokens, (data.usage?.prompt_tokens ?? 0) + (data.usage?.completion_tokens ?? 0));
    assertGatewayHeaders(response.headers, 'an');
    assert.equal(hits('/v1/messages'), before + 1);
  });

  test('max_tokens reached maps to finish_reason "length"', async () => {
    const data = await client.chat.completions.create({ model: 'claude', messages: HELLO, max_tokens: 2 });
    assert.equal(data.choices[0]?.finish_reason, 'length');
    assert.equal(data.usage?.completion_tokens, 2);
  });

  test('a streamed chat becomes OpenAI chunks, with usage when include_usage is set', async () => {
    const { data: stream, response } = await client.chat.completions
      .create({ model: 'claude', messages: HELLO, stream: true, stream_options: { include_usage: true }, max_tokens: 4 })
      .withResponse();
    assertGatewayHeaders(response.headers, 'an');
    assert.match(response.headers.get('content-type') ?? '', /^text\/event-stream/);
    const chunks: OpenAI.ChatCompletionChunk[] = [];
    for await (const chunk of stream) chunks.push(chunk);
    assert.ok(chunks.every((c) => c.object === 'chat.completion.chunk' && c.id.startsWith('chatcmpl-')));
    assert.equal(chunks[0]?.choices[0]?.delta.role, 'assistant');
    const text = chunks.map((c) => c.choices[0]?.delta.content ?? '').join('');
    assert.ok(text.length > 0);
    const finishes = chunks.map((c) => c.choices[0]?.finish_reason).filter((f) => f != null);
    assert.deepEqual(finishes, ['length']);
    const last = chunks.at(-1);
    assert.deepEqual(last?.choices, []);
    assert.equal(last?.usage?.completion_tokens, 4);
    assert.ok((last?.usage?.prompt_tokens ?? 0) > 0);
  });

  test(
    'the Server-Timing of a stream counts the wait for the first upstream event as upstream time',
    async () => {
      const res = await post(`${gw.url}/v1/chat/completions`, { model: 'claude', messages: HELLO, stream: true }, bearer(gw.adminKey));
      assert.equal(res.status, 200);
      const upstream = Number(/upstream;dur=([\d.]+)/.exec(String(res.headers['server-timing']))?.[1]);
      assert.ok(upstream > 0, String(res.headers['server-timing']));
    },
  );

  test('a streamed chat without include_usage sends no usage chunk and ends with "stop"', async () => {
    const stream = await client.chat.completions.create({ model: 'claude', messages: HELLO, stream: true, max_tokens: 500 });
    const chunks: OpenAI.ChatCompletionChunk[] = [];
    for await (const chunk of stream) chunks.push(chunk);
    assert.ok(chunks.every((c) => c.usage == null && c.choices.length === 1));
    assert.equal(chunks.at(-1)?.choices[0]?.finish_reason, 'stop');
  });

  test('embeddings on an Anthropic-only model → 400 operation_not_supported', async () => {
    const res = await post(`${gw.url}/v1/embeddings`, { model: 'claude', input: 'x' }, bearer(gw.adminKey));
    assert.equal(res.status, 400);
    const body = res.json<{ error: { code: string; message: string; param: string | null } }>();
    assert.equal(body.error.code, 'operation_not_supported');
    assert.equal(body.error.param, 'model');
    assert.match(body.error.message, /"claude" has no backend that serves embeddings/);
    await assert.rejects(client.embeddings.create({ model: 'claude', input: 'x' }), OpenAI.BadRequestError);
  });
});
