// Behaviour of the simulator as a client sees it: a real server on 127.0.0.1, spoken to with undici and the official
// OpenAI SDK, so the tests prove wire compatibility rather than the internals.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { Value } from '@sinclair/typebox/value';
import OpenAI, { AzureOpenAI } from 'openai';
import { request, type Dispatcher } from 'undici';
import { SimulatorSchema, type SimulatorFaults, type SimulatorSettings } from '../../src/config/schema.ts';
import { startSimulator, type SimulatorHandle, type SimulatorStats } from '../../src/providers/simulator/server.ts';

type SettingsPatch = Partial<Omit<SimulatorSettings, 'faults'>> & { faults?: Partial<SimulatorFaults> };

function settings(patch: SettingsPatch = {}): SimulatorSettings {
  const base = Value.Default(SimulatorSchema, {});
  assert.ok(Value.Check(SimulatorSchema, base));
  return { ...base, ...patch, faults: { ...base.faults, ...patch.faults } };
}

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
}

async function call(url: string, path: string, body: unknown, headers: Record<string, string> = {}, method: Dispatcher.HttpMethod = 'POST'): Promise<Reply> {
  const res = await request(url + path, {
    method,
    headers: { 'content-type': 'application/json', ...headers },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: res.statusCode, headers: res.headers, text: await res.body.text() };
}

/** Every error shape in one: OpenAI and Azure `{error:{…}}`, Anthropic `{type:"error",error:{type,message}}`. */
interface ErrorBody {
  type?: string;
  error: { message: string; type?: string; code?: string | null; param?: string | null };
}
interface AnthropicMessage {
  id: string;
  content: { type: string; text: string }[];
  stop_reason: string;
  usage: { input_tokens: number; output_tokens: number };
}
interface AnthropicEvent {
  type: string;
  message?: { usage: { input_tokens: number } };
  delta?: { text?: string; stop_reason?: string; stop_sequence?: null };
  usage?: { output_tokens: number };
}
const json = <T = ErrorBody>(reply: Reply): T => JSON.parse(reply.text) as T;
/** OpenAI SSE: the `data:` payloads in order. */
const dataOf = (text: string): string[] => text.split('\n\n').filter(Boolean).map((frame) => frame.replace(/^data: /, ''));
const CHAT = {
  model: 'gpt-sim',
  messages: [
    { role: 'system' as const, content: 'You are terse.' },
    { role: 'user' as const, content: 'Say something please' },
  ],
};
const ANTHROPIC_HEADERS = { 'anthropic-version': '2023-06-01' };
const MESSAGE = { model: 'claude-sim', max_tokens: 100, messages: [{ role: 'user', content: 'Hello there' }] };

// 10 tokens in chunks of 3: chunks of 3, 3, 3 and 1, so the chunking is visible.
let sim: SimulatorHandle;
let client: OpenAI;
before(async () => {
  sim = await startSimulator(settings({ completion_tokens: 10, chunk_tokens: 3 }));
  client = new OpenAI({ baseURL: sim.url + '/v1', apiKey: 'k', maxRetries: 0 });
});
after(() => sim.close());

describe('OpenAI protocol', () => {
  test('non-streamed completion echoes the model and reports usage', async () => {
    const completion = await client.chat.completions.create(CHAT);
    assert.equal(completion.object, 'chat.completion');
    assert.equal(completion.model, 'gpt-sim');
    assert.equal(completion.choices[0]?.finish_reason, 'stop');
    assert.equal(completion.choices[0]?.message.content?.split(' ').length, 10);
    // 34 characters of message text → ceil(34 / 4).
    assert.deepEqual(completion.usage, { prompt_tokens: 9, completion_tokens: 10, total_tokens: 19 });
  });

  test('stream without include_usage: role chunk, content chunks, finish chunk, no usage chunk', async () => {
    const full = await client.chat.completions.create(CHAT);
    const chunks = [];
    for await (const chunk of await client.chat.completions.create({ ...CHAT, stream: true })) chunks.push(chunk);
    assert.equal(chunks.length, 1 + 4 + 1);
    assert.equal(chunks[0]?.choices[0]?.delta.role, 'assistant');
    assert.ok(chunks.every((c) => c.object === 'chat.completion.chunk' && c.model === 'gpt-sim' && c.choices.length === 1 && !c.usage));
    assert.equal(chunks.map((c) => c.choices[0]?.delta.content ?? '').join(''), full.choices[0]?.message.content);
    assert.equal(chunks[1]?.choices[0]?.delta.content?.trim().split(' ').length, 3);
    assert.equal(chunks.at(-1)?.choices[0]?.finish_reason, 'stop');
  });

  test('stream with include_usage ends with a usage chunk, then [DONE]', async () => {
    const chunks = [];
    const stream = await client.chat.completions.create({ ...CHAT, stream: true, stream_options: { include_usage: true } });
    for await (const chunk of stream) chunks.push(chunk);
    assert.deepEqual(chunks.at(-1)?.choices, []);
    assert.deepEqual(chunks.at(-1)?.usage, { prompt_tokens: 9, completion_tokens: 10, total_tokens: 19 });
    assert.equal(chunks.at(-2)?.choices[0]?.finish_reason, 'stop');
    const raw = await call(sim.url, '/v1/chat/completions', { ...CHAT, stream: true, stream_options: { include_usage: true } });
    assert.match(String(raw.headers['content-type']), /^text\/event-stream/);
    assert.equal(dataOf(raw.text).at(-1), '[DONE]');
  });

  test('max_tokens below the natural length cuts the answer with finish_reason length', async () => {
    const cut = await client.chat.completions.create({ ...CHAT, max_tokens: 4 });
    assert.equal(cut.choices[0]?.finish_reason, 'length');
    assert.equal(cut.usage?.completion_tokens, 4);
    assert.equal(cut.choices[0]?.message.content?.split(' ').length, 4);
    const newer = await client.chat.completions.create({ ...CHAT, max_completion_tokens: 3 });
    assert.equal(newer.usage?.completion_tokens, 3);
    const roomy = await client.chat.completions.create({ ...CHAT, max_tokens: 50 });
    assert.equal(roomy.choices[0]?.finish_reason, 'stop');
    const chunks = [];
    for await (const chunk of await client.chat.completions.create({ ...CHAT, max_tokens: 4, stream: true })) chunks.push(chunk);
    assert.equal(chunks.at(-1)?.choices[0]?.finish_reason, 'length');
  });

  test('embeddings are deterministic unit vectors, in float or base64, with dimensions', async () => {
    const res = await client.embeddings.create({ model: 'emb', input: ['alpha', 'beta', 'alpha'], encoding_format: 'float' });
    const [a, b, a2] = res.data.map((d) => d.embedding);
    assert.equal(a?.length, 256);
    assert.deepEqual(a, a2);
    assert.notDeepEqual(a, b);
    assert.ok(Math.abs(Math.hypot(...(a ?? [])) - 1) < 1e-5);
    assert.equal(res.usage.prompt_tokens, 2 + 1 + 2);
    // The SDK asks for base64 by default and decodes it: the same floats must come back.
    const viaBase64 = await client.embeddings.create({ model: 'emb', input: 'alpha' });
    assert.deepEqual(Array.from(viaBase64.data[0]?.embedding ?? []), a);
    const small = await client.embeddings.create({ model: 'emb', input: 'alpha', dimensions: 8, encoding_format: 'float' });
    assert.equal(small.data[0]?.embedding.length, 8);
  });

  test('models lists the simulator', async () => {
    const models = await client.models.list();
    assert.deepEqual(models.data.map((m) => m.id), ['simulator']);
  });
});

describe('Azure OpenAI protocol', () => {
  test('deployment paths answer with the deployment as the model', async () => {
    const azure = new AzureOpenAI({ endpoint: sim.url, apiKey: 'k', apiVersion: '2024-10-21', deployment: 'my-dep', maxRetries: 0 });
    const completion = await azure.chat.completions.create({ ...CHAT, model: 'ignored' });
    assert.equal(completion.model, 'my-dep');
    const embedding = await azure.embeddings.create({ model: 'ignored', input: 'x', encoding_format: 'float' });
    assert.equal(embedding.data[0]?.embedding.length, 256);
  });

  test('a missing api-version is a 400 in Azure error shape', async () => {
    const reply = await call(sim.url, '/openai/deployments/my-dep/chat/completions', CHAT);
    assert.equal(reply.status, 400);
    assert.equal(typeof json(reply).error.code, 'string');
    assert.match(json(reply).error.message, /api-version/);
  });
});

describe('Anthropic protocol', () => {
  test('non-streamed message', async () => {
    const reply = await call(sim.url, '/v1/messages', MESSAGE, ANTHROPIC_HEADERS);
    assert.equal(reply.status, 200);
    const body = json<AnthropicMessage>(reply);
    assert.match(body.id, /^msg_/);
    assert.deepEqual({ ...body, id: 'x', content: [] }, {
      id: 'x', type: 'message', role: 'assistant', model: 'claude-sim', content: [], stop_reason: 'end_turn',
      stop_sequence: null, usage: { input_tokens: 3, output_tokens: 10 },
    });
    assert.equal(body.content[0]?.type, 'text');
    const short = json<AnthropicMessage>(await call(sim.url, '/v1/messages', { ...MESSAGE, max_tokens: 2 }, ANTHROPIC_HEADERS));
    assert.equal(short.stop_reason, 'max_tokens');
    assert.equal(short.usage.output_tokens, 2);
  });

  test('stream follows the real event sequence', async () => {
    const full = json<AnthropicMessage>(await call(sim.url, '/v1/messages', MESSAGE, ANTHROPIC_HEADERS));
    const reply = await call(sim.url, '/v1/messages', { ...MESSAGE, stream: true }, ANTHROPIC_HEADERS);
    const frames = reply.text.split('\n\n').filter(Boolean).map((frame) => {
      const match = /^event: (\w+)\ndata: (.*)$/s.exec(frame);
      assert.ok(match, `malformed frame ${frame}`);
      return { event: match[1], data: JSON.parse(match[2] as string) as AnthropicEvent };
    });
    const deltas = Array<string>(4).fill('content_block_delta');
    const expected = ['message_start', 'content_block_start', 'ping', ...deltas, 'content_block_stop', 'message_delta', 'message_stop'];
    assert.deepEqual(frames.map((f) => f.event), expected);
    assert.ok(frames.every((f) => f.data.type === f.event));
    assert.equal(frames[0]?.data.message?.usage.input_tokens, 3);
    assert.equal(frames.filter((f) => f.event === 'content_block_delta').map((f) => f.data.delta?.text).join(''), full.content[0]?.text);
    assert.deepEqual(frames.at(-2)?.data.delta, { stop_reason: 'end_turn', stop_sequence: null });
    assert.equal(frames.at(-2)?.data.usage?.output_tokens, 10);
  });

  test('max_tokens and anthropic-version are required, in Anthropic error shape', async () => {
    const noMax = await call(sim.url, '/v1/messages', { ...MESSAGE, max_tokens: undefined }, ANTHROPIC_HEADERS);
    assert.equal(noMax.status, 400);
    assert.equal(json(noMax).type, 'error');
    assert.equal(json(noMax).error.type, 'invalid_request_error');
    const noVersion = await call(sim.url, '/v1/messages', MESSAGE);
    assert.equal(noVersion.status, 400);
    assert.match(json(noVersion).error.message, /anthropic-version/);
  });
});

describe('bad input', () => {
  test('each protocol answers bad JSON, bad routes and bad methods in its own shape', async () => {
    const openai = await call(sim.url, '/v1/chat/completions', '{not json');
    assert.equal(openai.status, 400);
    assert.equal(json(openai).error.type, 'invalid_request_error');
    const anthropic = await call(sim.url, '/v1/messages', '{', ANTHROPIC_HEADERS);
    assert.equal(anthropic.status, 400);
    assert.equal(json(anthropic).type, 'error');
    const azure = await call(sim.url, '/openai/deployments/d/embeddings?api-version=1', '[1]');
    assert.equal(azure.status, 400);
    assert.equal(typeof json(azure).error.code, 'string');
    assert.equal((await call(sim.url, '/v1/chat/completions', { model: 'm' })).status, 400);
    assert.equal(json(await call(sim.url, '/v1/chat/completions', { model: 'm' })).error.param, 'messages');
    const missing = await call(sim.url, '/v1/nope', {});
    assert.equal(missing.status, 404);
    assert.equal(json(missing).error.type, 'not_found_error');
    assert.equal(json(await call(sim.url, '/openai/other', {})).error.code, '404');
    assert.equal((await call(sim.url, '/v1/chat/completions', undefined, {}, 'GET')).status, 405);
    assert.equal((await call(sim.url, '/v1/chat/completions', CHAT, { 'x-simulator-fault': 'explode' })).status, 400);
    const health = await call(sim.url, '/health', undefined, {}, 'GET');
    assert.deepEqual([health.status, health.text], [200, 'ok']);
  });

  test('stats count requests by path, control traffic excluded', async () => {
    const before = sim.stats();
    await call(sim.url, '/v1/models', undefined, {}, 'GET');
    await call(sim.url, '/v1/models', undefined, {}, 'GET');
    const remote = json<SimulatorStats>(await call(sim.url, '/_simulator/stats', undefined, {}, 'GET'));
    assert.equal(remote.requests, before.requests + 2);
    assert.equal(remote.byPath['/v1/models'], (before.byPath['/v1/models'] ?? 0) + 2);
    assert.deepEqual(sim.stats(), remote);
  });
});

describe('forced faults', () => {
  const force = (fault: string, body: unknown = CHAT, path = '/v1/chat/completions', headers: Record<string, string> = {}) =>
    call(sim.url, path, body, { 'x-simulator-fault': fault, ...headers });

  test('reset: the client sees a socket error and no response', async () => {
    await assert.rejects(force('reset'), (err: Error & { code?: string }) => {
      assert.ok(['ECONNRESET', 'UND_ERR_SOCKET'].includes(err.code ?? ''), `unexpected ${err.code} ${err.message}`);
      return true;
    });
  });

  test('hang: the request stays pending until the client aborts', async () => {
    const aborter = new AbortController();
    const pending = request(sim.url + '/v1/chat/completions', {
      method: 'POST', body: JSON.stringify(CHAT), headers: { 'x-simulator-fault': 'hang' }, signal: aborter.signal,
    });
    const settled = pending.then(() => 'answered', () => 'failed');
    assert.equal(await Promise.race([settled, sleep(150, 'pending')]), 'pending');
    aborter.abort();
    assert.equal(await settled, 'failed');
  });

  test('429 carries retry-after and retry-after-ms; 500 and 503 their status; all in protocol shape', async () => {
    const limited = await force('429');
    assert.equal(limited.status, 429);
    assert.equal(limited.headers['retry-after'], '1');
    assert.equal(limited.headers['retry-after-ms'], '1000');
    assert.equal(json(limited).error.type, 'rate_limit_error');
    const anthropic = await force('429', MESSAGE, '/v1/messages', ANTHROPIC_HEADERS);
    assert.equal(json(anthropic).error.type, 'rate_limit_error');
    assert.equal((await force('500')).status, 500);
    assert.equal(json(await force('500')).error.type, 'server_error');
    assert.equal((await force('503')).status, 503);
    await assert.rejects(client.chat.completions.create(CHAT, { headers: { 'x-simulator-fault': '429' } }), OpenAI.RateLimitError);
  });

  test('cut: the stream ends mid-way without [DONE] or message_stop', async () => {
    for (const [path, body, headers, terminal] of [
      ['/v1/chat/completions', { ...CHAT, stream: true }, {}, '[DONE]'],
      ['/v1/messages', { ...MESSAGE, stream: true }, ANTHROPIC_HEADERS, 'message_stop'],
    ] as const) {
      const res = await request(sim.url + path, { method: 'POST', body: JSON.stringify(body), headers: { 'x-simulator-fault': 'cut', ...headers } });
      assert.equal(res.statusCode, 200);
      let text = '';
      await assert.rejects(async () => {
        for await (const chunk of res.body) text += String(chunk);
      });
      assert.match(text, /lorem/);
      assert.ok(!text.includes(terminal), `${path} should not have ended properly`);
    }
  });
});

describe('runtime faults, auth, timing, close', () => {
  test('setFaults and PUT /_simulator/faults change rates at run time', async () => {
    const own = await startSimulator(settings());
    try {
      own.setFaults({ error_rate: 1, error_status: 502 });
      assert.equal(own.faults().error_rate, 1);
      for (let i = 0; i < 3; i++) assert.equal((await call(own.url, '/v1/chat/completions', CHAT)).status, 502);
      own.setFaults({ error_rate: 0 });
      assert.equal((await call(own.url, '/v1/chat/completions', CHAT)).status, 200);
      assert.throws(() => own.setFaults({ hang_rate: 2 }), RangeError);

      const put = await call(own.url, '/_simulator/faults', { rate_limit_rate: 1, retry_after_s: 2 }, {}, 'PUT');
      assert.equal(json<SimulatorFaults>(put).rate_limit_rate, 1);
      const limited = await call(own.url, '/v1/embeddings', { model: 'e', input: 'x' });
      assert.deepEqual([limited.status, limited.headers['retry-after-ms']], [429, '2000']);
      assert.equal(json<SimulatorFaults>(await call(own.url, '/_simulator/faults', undefined, {}, 'GET')).retry_after_s, 2);
      assert.equal((await call(own.url, '/_simulator/faults', { reset_rate: 7 }, {}, 'PUT')).status, 400);

      own.setFaults({ rate_limit_rate: 0, cut_stream_rate: 1 });
      assert.equal((await call(own.url, '/v1/chat/completions', CHAT)).status, 200, 'a cut only applies to streams');
      await assert.rejects(call(own.url, '/v1/chat/completions', { ...CHAT, stream: true }));
    } finally {
      await own.close();
    }
  });

  test('apiKey is required in each protocol header', async () => {
    const own = await startSimulator(settings(), { apiKey: 'sekret' });
    try {
      const wrong = new OpenAI({ baseURL: own.url + '/v1', apiKey: 'nope', maxRetries: 0 });
      await assert.rejects(wrong.chat.completions.create(CHAT), OpenAI.AuthenticationError);
      const right = new OpenAI({ baseURL: own.url + '/v1', apiKey: 'sekret', maxRetries: 0 });
      assert.equal((await right.chat.completions.create(CHAT)).model, 'gpt-sim');

      const azurePath = '/openai/deployments/d/chat/completions?api-version=2024-10-21';
      const azureDenied = await call(own.url, azurePath, CHAT, { authorization: 'Bearer sekret' });
      assert.deepEqual([azureDenied.status, json(azureDenied).error.code], [401, '401']);
      assert.equal((await call(own.url, azurePath, CHAT, { 'api-key': 'sekret' })).status, 200);

      const anthropicDenied = await call(own.url, '/v1/messages', MESSAGE, ANTHROPIC_HEADERS);
      assert.deepEqual([anthropicDenied.status, json(anthropicDenied).error.type], [401, 'authentication_error']);
      assert.equal((await call(own.url, '/v1/messages', MESSAGE, { ...ANTHROPIC_HEADERS, 'x-api-key': 'sekret' })).status, 200);
    } finally {
      await own.close();
    }
  });

  test('latency and tokens_per_second pace the answer', async () => {
    // 50 ms to the first chunk, then 10 chunks 10 ms apart: about 90 ms between the first and the last.
    const own = await startSimulator(settings({ latency_ms: 50, tokens_per_second: 100, chunk_tokens: 1, completion_tokens: 10 }));
    try {
      const started = performance.now();
      const res = await request(own.url + '/v1/chat/completions', { method: 'POST', body: JSON.stringify({ ...CHAT, stream: true }) });
      const arrivals: number[] = [];
      for await (const chunk of res.body) if (String(chunk).includes('"content":"')) arrivals.push(performance.now());
      assert.ok((arrivals[0] ?? 0) - started >= 45, 'latency before the first chunk');
      assert.ok(arrivals.length >= 5, `chunks should arrive spread out, got ${arrivals.length} reads`);
      assert.ok((arrivals.at(-1) ?? 0) - (arrivals[0] ?? 0) >= 60, 'chunks spread over time');

      const t0 = performance.now();
      assert.equal((await call(own.url, '/v1/chat/completions', CHAT)).status, 200);
      assert.ok(performance.now() - t0 >= 140, 'a non-streamed answer waits latency plus the whole generation');
    } finally {
      await own.close();
    }
  });

  test('close() ends a hung request and resolves', { timeout: 5000 }, async () => {
    const own = await startSimulator(settings({ faults: { hang_rate: 1 } }));
    const pending = request(own.url + '/v1/chat/completions', { method: 'POST', body: JSON.stringify(CHAT) });
    const settled = pending.then(() => 'answered', () => 'failed');
    while (own.stats().requests === 0) await sleep(5);
    await own.close();
    assert.equal(await settled, 'failed');
  });
});
