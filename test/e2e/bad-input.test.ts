// Bad input of every kind gets a 4xx in OpenAI's error shape that says what to do, never a 5xx, and the gateway keeps
// serving afterwards. Ends with a property-based run of random bodies and bytes.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import fc from 'fast-check';
import OpenAI from 'openai';
import { request } from 'undici';
import { startGateway, type TestGateway } from '../helpers/gateway.ts';
import { closeAll, startSimulators } from '../helpers/simulators.ts';
import { bearer, get, post, type RawResponse } from '../helpers/http.ts';
import { databasePath, openDatabase } from '../../src/stores/sqlite/database.ts';
import { SqliteKeyStore } from '../../src/stores/sqlite/key-store.ts';
import type { SimulatorHandle } from '../../src/providers/simulator/server.ts';

const MAX_BODY = 256 * 1024;
const CHAT = { model: 'chat', messages: [{ role: 'user', content: 'hello' }], max_tokens: 4 };

let gw: TestGateway;
let sims: SimulatorHandle[];
let chatUrl: string;
let auth: Record<string, string>;

before(async () => {
  sims = await startSimulators(1);
  gw = await startGateway(`
server: { max_body_bytes: ${MAX_BODY} }
models:
  chat:
    backends:
      - { name: sim-chat, provider: openai, base_url: ${sims[0]!.url}/v1, model: sim-model }
  other:
    backends:
      - { name: sim-other, provider: openai, base_url: ${sims[0]!.url}/v1, model: sim-model }
  claude:
    backends:
      - { name: sim-claude, provider: anthropic, base_url: ${sims[0]!.url}, model: claude-sim }
`);
  chatUrl = `${gw.url}/v1/chat/completions`;
  auth = bearer(gw.adminKey);
});

after(async () => {
  await gw?.close();
  await closeAll(sims ?? []);
});

interface ErrorBody {
  error: { message: string; type: string; code: string; param: string | null };
}

/** Asserts the OpenAI error shape, the status, the code, and that the message matches `advice`. */
function assertError(res: RawResponse, status: number, code: string, advice: RegExp, param?: string | null): ErrorBody['error'] {
  assert.equal(res.status, status, res.text);
  assert.match(String(res.headers['content-type']), /^application\/json/);
  const body = res.json<ErrorBody>();
  assert.deepEqual(Object.keys(body.error).sort(), ['code', 'message', 'param', 'type']);
  assert.equal(body.error.code, code);
  assert.equal(typeof body.error.type, 'string');
  assert.match(body.error.message, advice);
  if (param !== undefined) assert.equal(body.error.param, param);
  return body.error;
}

/** A POST with a chunked body (no content-length), answered possibly before the whole body is sent. */
function postChunked(url: string, chunks: readonly Buffer[], headers: Record<string, string>): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json: <T>() => JSON.parse(text) as T }));
      res.on('error', reject);
    });
    req.on('error', reject); // an EPIPE after the answer arrived is moot: the promise is settled by then
    assert.equal(req.getHeader('content-length'), undefined);
    for (const chunk of chunks) req.write(chunk);
    req.end();
  });
}

describe('malformed bodies', () => {
  test('invalid JSON → 400 invalid_json', async () => {
    assertError(await post(chatUrl, '{"model": "chat", "messages": [', auth), 400, 'invalid_json', /not valid JSON/);
  });
  test('an empty body → 400 invalid_json', async () => {
    assertError(await post(chatUrl, '', auth), 400, 'invalid_json', /empty; send a JSON object/);
  });
  test('a JSON array → 400 invalid_json', async () => {
    assertError(await post(chatUrl, '[{"model":"chat"}]', auth), 400, 'invalid_json', /must be a JSON object/);
  });
  test('messages not an array → 400 naming messages', async () => {
    assertError(await post(chatUrl, { ...CHAT, messages: 'hello' }, auth), 400, 'invalid_request', /messages must be array/, 'messages');
  });
  test('temperature a string → 400 naming temperature', async () => {
    assertError(await post(chatUrl, { ...CHAT, temperature: 'hot' }, auth), 400, 'invalid_request', /temperature must be number/, 'temperature');
  });
  test('max_tokens 0 → 400 naming max_tokens', async () => {
    assertError(await post(chatUrl, { ...CHAT, max_tokens: 0 }, auth), 400, 'invalid_request', /max_tokens must be >= 1/, 'max_tokens');
  });
  test('messages empty → 400 naming messages', async () => {
    assertError(await post(chatUrl, { ...CHAT, messages: [] }, auth), 400, 'invalid_request', /messages must NOT have fewer than 1 items/, 'messages');
  });
  test('a bad role → 400 listing the roles', async () => {
    const body = { ...CHAT, messages: [{ role: 'wizard', content: 'hi' }] };
    assertError(await post(chatUrl, body, auth), 400, 'invalid_request', /messages\[0\]\.role must be one of: system, developer, user, assistant/, 'messages[0].role');
  });
  test('a body nested far too deep → 400, and the backend is not blamed for it', async () => {
    // Deep enough to overflow a recursive JSON.stringify on the way upstream, in a field passed through as is.
    const depth = 100_000;
    const deep = `{"model":"chat","messages":[{"role":"user","content":"hi"}],"x_extension":${'['.repeat(depth)}${']'.repeat(depth)}}`;
    assertError(await post(chatUrl, deep, auth), 400, 'invalid_json', /nested too deeply to forward; flatten it/);
    // Ordinary nesting (a tool schema a few dozen levels deep) still passes, and the backend's circuit is still closed.
    let schema: Record<string, unknown> = { type: 'string' };
    for (let i = 0; i < 30; i++) schema = { type: 'object', properties: { inner: schema } };
    const tools = [{ type: 'function', function: { name: 'f', parameters: schema } }];
    const res = await post(chatUrl, { ...CHAT, tools }, auth);
    assert.equal(res.status, 200, res.text);
    assert.equal(res.headers['x-archway-backend'], 'sim-chat');
  });
  test('a wrong content-type → 415', async () => {
    assertError(await post(chatUrl, JSON.stringify(CHAT), { ...auth, 'content-type': 'text/plain' }), 415, 'unsupported_media_type', /Content-Type: application\/json/);
  });
});

describe('oversized bodies (server.max_body_bytes)', () => {
  const big = JSON.stringify({ ...CHAT, messages: [{ role: 'user', content: 'x'.repeat(MAX_BODY * 4) }] });
  test('with a declared content-length → 413', async () => {
    const res = await post(chatUrl, big, auth);
    assertError(res, 413, 'body_too_large', new RegExp(`limit of ${MAX_BODY} bytes \\(server\\.max_body_bytes\\)`));
  });
  test('with chunked transfer encoding → 413', async () => {
    const bytes = Buffer.from(big);
    const chunks = [bytes.subarray(0, 1000), bytes.subarray(1000, MAX_BODY), bytes.subarray(MAX_BODY)];
    const res = await postChunked(chatUrl, chunks, auth);
    assertError(res, 413, 'body_too_large', /server\.max_body_bytes/);
  });
});

describe('models', () => {
  test('an unknown model → 404 model_not_found listing the usable models; the SDK raises NotFoundError', async () => {
    assertError(await post(chatUrl, { ...CHAT, model: 'gpt-nope' }, auth), 404, 'model_not_found', /"gpt-nope" does not exist.*models you can use: chat, other, claude/, 'model');
    const client = new OpenAI({ baseURL: gw.baseURL, apiKey: gw.adminKey, maxRetries: 0 });
    await assert.rejects(client.chat.completions.create({ ...CHAT, model: 'gpt-nope', messages: [{ role: 'user', content: 'hi' }] }), OpenAI.NotFoundError);
  });

  test('a key restricted to other models → 403 model_not_allowed', async () => {
    const db = openDatabase(databasePath(gw.dataDir));
    const { secret } = await new SqliteKeyStore(db).create({ name: 'only-other', role: 'app', models: ['other'] });
    db.close();
    const key = bearer(secret);
    // The gateway's key index follows the store every 100 ms: poll until the new key is known.
    const deadline = Date.now() + 5_000;
    let res = await post(chatUrl, { ...CHAT, model: 'other' }, key);
    while (res.status === 401 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 50));
      res = await post(chatUrl, { ...CHAT, model: 'other' }, key);
    }
    assert.equal(res.status, 200, res.text);
    assertError(await post(chatUrl, CHAT, key), 403, 'model_not_allowed', /may not use the model "chat" \(its allowed models: other\)/, 'model');
    // An app key may call models, not read metrics.
    assertError(await get(`${gw.url}/metrics`, key), 403, 'permission_denied', /the role "app" may not read metrics; that needs one of: admin, operator/);
  });
});

describe('credentials', () => {
  test('no key → 401 missing_api_key; the SDK raises AuthenticationError', async () => {
    assertError(await post(chatUrl, CHAT), 401, 'missing_api_key', /send "Authorization: Bearer <your Archway key>"/);
    const client = new OpenAI({ baseURL: gw.baseURL, apiKey: 'unused', maxRetries: 0, defaultHeaders: { Authorization: null } });
    await assert.rejects(client.chat.completions.create({ ...CHAT, messages: [{ role: 'user', content: 'hi' }] }), OpenAI.AuthenticationError);
  });
  test('a wrong key → 401 invalid_api_key', async () => {
    assertError(await post(chatUrl, CHAT, bearer('sk-archway-not-a-real-key')), 401, 'invalid_api_key', /not valid \(unknown or revoked\)/);
    const client = new OpenAI({ baseURL: gw.baseURL, apiKey: 'sk-archway-wrong', maxRetries: 0 });
    await assert.rejects(client.models.list(), OpenAI.AuthenticationError);
  });
  test('a malformed Authorization header → 401 saying the expected form', async () => {
    for (const value of [`Basic ${gw.adminKey}`, 'Bearer', 'Bearer    ', gw.adminKey]) {
      assertError(await post(chatUrl, CHAT, { authorization: value }), 401, 'missing_api_key', /must be "Bearer <your Archway key or token>"/);
    }
  });
});

describe('routes', () => {
  test('an unknown route → 404 route_not_found pointing at /v1', async () => {
    assertError(await post(`${gw.url}/v1/chat/complete`, CHAT, auth), 404, 'route_not_found', /under \/v1 \(chat\/completions, embeddings, models\)/);
    assertError(await get(`${gw.url}/nope`), 404, 'route_not_found', /no route GET \/nope/);
  });
  test('a wrong method → 405 naming the method to use', async () => {
    assertError(await get(chatUrl, auth), 405, 'method_not_allowed', /GET is not allowed on \/v1\/chat\/completions; use POST/);
    assertError(await post(`${gw.url}/livez`, {}), 405, 'method_not_allowed', /use GET/);
  });
  test(
    'the 405 Allow header lists the methods of that route',
    async () => {
      assert.equal((await get(chatUrl, auth)).headers.allow, 'POST');
      assert.equal((await post(`${gw.url}/livez`, {})).headers.allow, 'GET');
    },
  );
});

describe('operational endpoints', () => {
  test('/metrics needs a key: 401 without, 200 with the admin key', async () => {
    assertError(await get(`${gw.url}/metrics`), 401, 'missing_api_key', /Authorization: Bearer/);
    const res = await get(`${gw.url}/metrics`, auth);
    assert.equal(res.status, 200);
    assert.match(res.text, /# TYPE /);
  });
  test('/readyz anonymous gives only the status; with the admin key, backend detail', async () => {
    const anon = await get(`${gw.url}/readyz`);
    assert.equal(anon.status, 200);
    assert.deepEqual(anon.json(), { status: 'ready' });
    const detail = await get(`${gw.url}/readyz`, auth);
    assert.equal(detail.status, 200);
    const body = detail.json<{ status: string; models: { model: string; backends: { name: string; circuit: string }[] }[] }>();
    assert.equal(body.status, 'ready');
    const chat = body.models.find((m) => m.model === 'chat');
    assert.equal(chat?.backends[0]?.name, 'sim-chat');
    assert.equal(chat?.backends[0]?.circuit, 'closed');
  });
  test('/livez answers anonymously', async () => {
    const res = await get(`${gw.url}/livez`);
    assert.equal(res.status, 200);
    assert.deepEqual(res.json(), { status: 'ok' });
  });
});

describe('random input (property-based)', () => {
  const jsonValue = fc.jsonValue({ maxDepth: 3 });
  const often = <T, U>(likely: fc.Arbitrary<T>, other: fc.Arbitrary<U>): fc.Arbitrary<T | U> =>
    fc.oneof({ weight: 12, arbitrary: likely }, { weight: 1, arbitrary: other });
  // Mostly well-formed requests with a few fields off, so both the validator and the upstream path are exercised.
  const part = fc.record(
    { type: fc.constantFrom('text', 'image_url', 'refusal', 'input_audio'), text: fc.string({ maxLength: 10 }), image_url: fc.record({ url: fc.constantFrom('data:image/png;base64,AAAA', 'https://x.test/a.png', 'ftp://x', 'data:,x') }) },
    { requiredKeys: ['type'] },
  );
  const toolCall = fc.record({ id: fc.string({ maxLength: 6 }), type: fc.constant('function'), function: fc.record({ name: fc.string({ maxLength: 6 }), arguments: fc.string({ maxLength: 12 }) }) });
  const message = fc.record(
    {
      role: often(fc.constantFrom('user', 'system', 'assistant', 'developer', 'tool'), jsonValue),
      content: often(fc.oneof(fc.string({ maxLength: 40 }), fc.array(part, { maxLength: 3 }), fc.constant(null)), jsonValue),
      tool_calls: often(fc.array(toolCall, { maxLength: 2 }), jsonValue),
      tool_call_id: fc.string({ maxLength: 6 }),
    },
    { requiredKeys: ['role'] },
  );
  const fields = fc.record(
    {
      max_tokens: often(fc.integer({ min: 0, max: 16 }), jsonValue),
      max_completion_tokens: often(fc.integer({ min: 0, max: 16 }), jsonValue),
      temperature: often(fc.double({ min: 0, max: 2.2, noNaN: true }), jsonValue),
      top_p: often(fc.double({ min: 0, max: 1, noNaN: true }), jsonValue),
      stream: often(fc.boolean(), jsonValue),
      stream_options: often(fc.record({ include_usage: fc.boolean() }), jsonValue),
      n: often(fc.integer({ min: 0, max: 6 }), jsonValue),
      stop: often(fc.array(fc.string({ maxLength: 5 }), { maxLength: 5 }), jsonValue),
      seed: often(fc.integer(), jsonValue),
      user: often(fc.string({ maxLength: 20 }), jsonValue),
      tool_choice: often(fc.constantFrom('auto', 'none', 'required'), jsonValue),
      parallel_tool_calls: fc.boolean(),
      tools: often(fc.array(fc.record({ type: fc.constant('function'), function: fc.record({ name: fc.string({ minLength: 1, maxLength: 8 }) }) }), { maxLength: 2 }), jsonValue),
      response_format: often(fc.record({ type: fc.constantFrom('text', 'json_object') }), jsonValue),
      x_extension: jsonValue,
    },
    { requiredKeys: [] },
  );
  const chatLike = fc
    .tuple(often(fc.constantFrom('chat', 'claude'), jsonValue), often(fc.array(message, { minLength: 1, maxLength: 3 }), jsonValue), fields)
    .map(([model, messages, rest]) => ({ model, messages, ...rest }));
  const body = fc.oneof(
    { weight: 4, arbitrary: chatLike.map((o) => Buffer.from(JSON.stringify(o))) },
    jsonValue.map((v) => Buffer.from(JSON.stringify(v))),
    fc.string({ unit: 'binary', maxLength: 200 }).map((s) => Buffer.from(s)),
    fc.uint8Array({ maxLength: 3000 }).map((a) => Buffer.from(a)),
  );
  const contentType = often(fc.constantFrom('application/json', 'application/json; charset=utf-8', undefined), fc.constantFrom('text/plain', 'application/x-www-form-urlencoded'));

  test('every answer is a 200 or a 4xx in the OpenAI shape, never a 5xx, never a hang', async (t) => {
    const statuses = new Map<number, number>();
    await fc.assert(
      fc.asyncProperty(body, contentType, async (bytes, type) => {
        const headers: Record<string, string> = { ...auth };
        if (type !== undefined) headers['content-type'] = type;
        const res = await request(chatUrl, { method: 'POST', headers, body: bytes, signal: AbortSignal.timeout(5_000) });
        const text = await res.body.text();
        statuses.set(res.statusCode, (statuses.get(res.statusCode) ?? 0) + 1);
        if (res.statusCode === 200) return;
        assert.ok(res.statusCode >= 400 && res.statusCode < 500, `status ${res.statusCode}: ${text}`);
        const { error } = JSON.parse(text) as ErrorBody;
        assert.ok(typeof error.message === 'string' && typeof error.type === 'string' && typeof error.code === 'string' && 'param' in error, text);
      }),
      { numRuns: Number(process.env.FUZZ_RUNS ?? 300) },
    );
    // The run exercised both sides: some bodies refused, some served (the next test checks it still serves).
    t.diagnostic(`statuses: ${JSON.stringify([...statuses])}`);
    assert.ok(statuses.has(200) && [...statuses.keys()].some((s) => s >= 400), JSON.stringify([...statuses]));
  });
});

test('after all of that the gateway still serves, through the SDK', async () => {
  const client = new OpenAI({ baseURL: gw.baseURL, apiKey: gw.adminKey, maxRetries: 0 });
  const completion = await client.chat.completions.create({ ...CHAT, messages: [{ role: 'user', content: 'still there?' }] });
  assert.equal(completion.object, 'chat.completion');
  assert.ok((completion.choices[0]?.message.content ?? '').length > 0);
});
