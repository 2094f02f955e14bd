// The exact and semantic caches against a real gateway and simulator: a repeated deterministic request never reaches
// the upstream again, a paraphrase above the threshold is a semantic hit, another tenant's identical request is not
// served from the first tenant's cache, streams are served from the cache as streams, and personal data is never cached.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI from 'openai';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startGateway, type TestGateway } from '../helpers/gateway.ts';
import { closeAll, startSimulators } from '../helpers/simulators.ts';
import { bearer, get, post, sseData, type RawResponse } from '../helpers/http.ts';
import { sample } from '../helpers/metrics.ts';
import { modelAt, startScriptedUpstream } from '../helpers/scripted-upstream.ts';
import type { SimulatorHandle } from '../../src/providers/simulator/server.ts';

function yaml(sim: SimulatorHandle, embedder: SimulatorHandle, semantic: boolean, version = '', guardrails = ''): string {
  return `${guardrails}
pricing:
  chat: { input: 1000, output: 2000 }
  embed: { input: 100, output: 0 }
cache:
  exact: { enabled: true, ttl_s: 60 }
  semantic: { enabled: ${semantic}, embeddings_model: embed, threshold: 0.85, models: [chat] }
models:
  chat:
    ${version}
    backends: [{ provider: openai, base_url: ${sim.url}/v1 }]
  embed:
    backends: [{ provider: openai, base_url: ${embedder.url}/v1 }]
`;
}

async function setup(t: { after: (fn: () => Promise<void>) => void }, semantic = false): Promise<{ gw: TestGateway; sim: SimulatorHandle; embedder: SimulatorHandle }> {
  const [sim, embedder] = await startSimulators(2, { completion_tokens: 12 });
  const gw = await startGateway(yaml(sim!, embedder!, semantic));
  t.after(async () => {
    await gw.close();
    await closeAll([sim!, embedder!]);
  });
  return { gw, sim: sim!, embedder: embedder! };
}

const chatCalls = (sim: SimulatorHandle): number => sim.stats().byPath['/v1/chat/completions'] ?? 0;

async function keyInTeam(gw: TestGateway, team: string): Promise<string> {
  await post(`${gw.url}/admin/teams`, { name: team }, bearer(gw.adminKey));
  const res = await post(`${gw.url}/admin/keys`, { name: `${team}-app`, team }, bearer(gw.adminKey));
  assert.equal(res.status, 201, res.text);
  return res.json<{ key: string }>().key;
}

const ask = (gw: TestGateway, key: string, content: string, extra: Record<string, unknown> = {}, headers: Record<string, string> = {}): Promise<RawResponse> =>
  post(`${gw.baseURL}/chat/completions`, { model: 'chat', messages: [{ role: 'user', content }], ...extra }, { ...bearer(key), ...headers });

test('a repeated deterministic request is served from the exact cache without reaching the upstream, its saving metered', async (t) => {
  const { gw, sim } = await setup(t);
  const key = await keyInTeam(gw, 'alpha');
  const first = await ask(gw, key, 'What is the capital of France?', { temperature: 0 });
  assert.equal(first.status, 200);
  assert.equal(first.headers['x-archway-cache'], 'miss');
  assert.equal(chatCalls(sim), 1);
  const again = await ask(gw, key, 'What is the capital of France?', { temperature: 0, user: 'someone-else' });
  assert.equal(again.status, 200);
  assert.equal(again.headers['x-archway-cache'], 'hit; exact');
  assert.equal(chatCalls(sim), 1, 'the upstream was not called again');
  assert.deepEqual(again.json(), first.json());

  // Not deterministic: not cached, unless the client asks.
  assert.equal((await ask(gw, key, 'What is the capital of France?', { temperature: 0.7 })).headers['x-archway-cache'], undefined);
  assert.equal(chatCalls(sim), 2);
  await ask(gw, key, 'Tell me a story', { temperature: 0.7 }, { 'x-archway-cache': 'force' });
  assert.equal((await ask(gw, key, 'Tell me a story', { temperature: 0.7 }, { 'x-archway-cache': 'force' })).headers['x-archway-cache'], 'hit; exact');
  assert.equal(chatCalls(sim), 3);
  assert.equal((await ask(gw, key, 'x', {}, { 'x-archway-cache': 'sometimes' })).status, 400, 'an unknown directive is a client error');

  const log = await get(`${gw.url}/admin/logs/${again.headers['x-request-id']}`, bearer(gw.adminKey));
  const row = log.json<{ cache: string; costUsd: number; savedUsd: number; backend: string | null }>();
  assert.equal(row.cache, 'exact');
  assert.equal(row.costUsd, 0);
  // What the first answer cost: 8 prompt tokens (the simulator counts 4 characters a token: 30 characters) at
  // $1,000/M and 12 completion tokens at $2,000/M = $0.008 + $0.024.
  assert.ok(Math.abs(row.savedUsd - 0.032) < 1e-9, `saved ${row.savedUsd}`);
  const usage = (await get(`${gw.url}/admin/usage?group_by=model`, bearer(gw.adminKey))).json<{ data: { model: string; cache_hits: number; saved_usd: number; cost_usd: number }[] }>();
  const chatUsage = usage.data.find((r) => r.model === 'chat')!;
  assert.equal(chatUsage.cache_hits, 2);
  const metrics = (await get(`${gw.url}/metrics`, bearer(gw.adminKey))).text;
  assert.equal(sample(metrics, 'archway_cache_hits_total', { model: 'chat', cache: 'exact' }), 2);
  assert.ok(Math.abs(sample(metrics, 'archway_cache_saved_usd_total', { model: 'chat' })! - chatUsage.saved_usd) < 1e-9);
  // The metric and the roll-up count the same spend: the three answers the upstream was paid for.
  assert.ok(chatUsage.cost_usd > 0);
  assert.ok(Math.abs(sample(metrics, 'archway_cost_usd_total', { model: 'chat' })! - chatUsage.cost_usd) < 1e-9);
});

test("another tenant's identical request is not served from the first tenant's cache", async (t) => {
  const { gw, sim } = await setup(t);
  const alpha = await keyInTeam(gw, 'alpha');
  const beta = await keyInTeam(gw, 'beta');
  await ask(gw, alpha, 'What is the capital of France?', { temperature: 0 });
  const other = await ask(gw, beta, 'What is the capital of France?', { temperature: 0 });
  assert.equal(other.headers['x-archway-cache'], 'miss');
  assert.equal(chatCalls(sim), 2);
});

test('a streamed request is served from the cache as a stream the SDK reads like any other', async (t) => {
  const { gw, sim } = await setup(t);
  const key = await keyInTeam(gw, 'alpha');
  const client = new OpenAI({ baseURL: gw.baseURL, apiKey: key });
  const collect = async (): Promise<string> => {
    const stream = await client.chat.completions.create({ model: 'chat', temperature: 0, stream: true, messages: [{ role: 'user', content: 'Name a colour' }] });
    let text = '';
    for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
    return text;
  };
  const streamed = await collect();
  assert.equal(chatCalls(sim), 1);
  const replayed = await collect();
  assert.equal(chatCalls(sim), 1, 'the second stream came from the cache');
  assert.equal(replayed, streamed);
  // And the non-streamed request of the same question shares the entry.
  const json = await ask(gw, key, 'Name a colour', { temperature: 0 });
  assert.equal(json.headers['x-archway-cache'], 'hit; exact');
  assert.equal(json.json<{ choices: { message: { content: string } }[] }>().choices[0]!.message.content, streamed);
  const raw = await ask(gw, key, 'Name a colour', { temperature: 0, stream: true, stream_options: { include_usage: true } });
  const events = sseData(raw.text);
  assert.equal(events.at(-1), '[DONE]');
  assert.equal(JSON.parse(events.at(-2)!).usage.completion_tokens, 12, 'the usage chunk, as asked');
});

test('a paraphrase above the threshold hits the semantic cache; an unrelated question and another tenant do not', async (t) => {
  const { gw, sim, embedder } = await setup(t, true);
  const alpha = await keyInTeam(gw, 'alpha');
  const beta = await keyInTeam(gw, 'beta');
  const first = await ask(gw, alpha, 'What is the capital of France?');
  assert.equal(first.headers['x-archway-cache'], 'miss');
  assert.equal(embedder.stats().byPath['/v1/embeddings'], 1, 'the question was embedded');
  const paraphrase = await ask(gw, alpha, "what's the capital city of France");
  assert.match(String(paraphrase.headers['x-archway-cache']), /^hit; semantic; similarity=0\.(8[5-9]|9)\d*/);
  assert.deepEqual(paraphrase.json(), first.json());
  assert.equal(chatCalls(sim), 1);
  // The hit cost only its question's embedding (tokens at $100/M), and saved the answer's $0.032.
  const hitRow = (await get(`${gw.url}/admin/logs/${paraphrase.headers['x-request-id']}`, bearer(gw.adminKey))).json<{ costUsd: number; savedUsd: number; cache: string }>();
  assert.equal(hitRow.cache, 'semantic');
  assert.ok(hitRow.costUsd > 0 && hitRow.costUsd < 0.001, `embedding cost ${hitRow.costUsd}`);
  assert.ok(Math.abs(hitRow.savedUsd - 0.032) < 1e-9, `saved ${hitRow.savedUsd}`);
  assert.equal((await ask(gw, alpha, 'How do I bake sourdough bread?')).headers['x-archway-cache'], 'miss');
  assert.equal((await ask(gw, beta, 'What is the capital of France?')).headers['x-archway-cache'], 'miss', 'another tenant');
  assert.equal(chatCalls(sim), 3);
  // Another system prompt is another question, even in the same words.
  const withSystem = await post(
    `${gw.baseURL}/chat/completions`,
    { model: 'chat', messages: [{ role: 'system', content: 'Answer in French.' }, { role: 'user', content: 'What is the capital of France?' }] },
    bearer(alpha),
  );
  assert.equal(withSystem.headers['x-archway-cache'], 'miss');
});

test('requests holding personal data are never cached', async (t) => {
  const { gw, sim, embedder } = await setup(t, true);
  const key = await keyInTeam(gw, 'alpha');
  for (let i = 0; i < 2; i++) {
    const res = await ask(gw, key, 'My email is jane.doe@example.com, what is the capital of France?', { temperature: 0 });
    assert.equal(res.status, 200);
    assert.equal(res.headers['x-archway-cache'], 'skip; personal data');
  }
  assert.equal(chatCalls(sim), 2);
  assert.equal(embedder.stats().byPath['/v1/embeddings'] ?? 0, 0, 'the question was not even sent to be embedded');
});

test("a new version of a model is not answered with the old version's cached answers", async (t) => {
  const { gw, sim, embedder } = await setup(t, true);
  const key = await keyInTeam(gw, 'alpha');
  await ask(gw, key, 'What is the capital of France?', { temperature: 0 });
  assert.equal((await ask(gw, key, 'What is the capital of France?', { temperature: 0 })).headers['x-archway-cache'], 'hit; exact');
  writeFileSync(join(gw.dataDir, 'archway.yaml'), yaml(sim, embedder, true, 'version: "2025-11"'));
  await gw.gateway.reload();
  const exact = await ask(gw, key, 'What is the capital of France?', { temperature: 0 });
  assert.equal(exact.headers['x-archway-cache'], 'miss', 'neither the exact nor the semantic cache answers for the new version');
  assert.equal(chatCalls(sim), 2);
});

test("a cached answer goes through the caller's output guardrails, as a fresh one would", async (t) => {
  const { gw, sim, embedder } = await setup(t);
  const key = await keyInTeam(gw, 'alpha');
  const first = await ask(gw, key, 'Say something', { temperature: 0 });
  assert.equal(first.status, 200);
  assert.match(first.text, /ipsum/, "the simulator's answer");
  // Now the policy stops answers that say "ipsum": the cached one must be stopped too, streamed or not.
  const guard = 'guardrails:\n  definitions:\n    banned: { type: word_list, words: [ipsum], action: block, stages: [output] }\n  policies:\n    default: [banned]\n';
  writeFileSync(join(gw.dataDir, 'archway.yaml'), yaml(sim, embedder, false, '', guard));
  await gw.gateway.reload();
  const blocked = await ask(gw, key, 'Say something', { temperature: 0 });
  assert.equal(blocked.status, 400, blocked.text);
  assert.equal(blocked.json<{ error: { code: string } }>().error.code, 'guardrail_blocked:banned');
  assert.equal((await ask(gw, key, 'Say something', { temperature: 0, stream: true })).status, 400);
  assert.equal(chatCalls(sim), 1, 'the answers came from the cache');
});

test("the semantic cache's embeddings call keeps to the caller's attribute policies (data residency)", async (t) => {
  const [sim, embedder] = await startSimulators(2, { completion_tokens: 12 });
  const gw = await startGateway(`
policies:
  - name: eu-only
    when: { region: eu }
    backends: { region: [eu] }
cache:
  semantic: { enabled: true, embeddings_model: embed, threshold: 0.85 }
models:
  chat:
    backends: [{ provider: openai, base_url: ${sim!.url}/v1, attributes: { region: eu } }]
  embed:
    backends: [{ provider: openai, base_url: ${embedder!.url}/v1, attributes: { region: us } }]
`);
  t.after(async () => {
    await gw.close();
    await closeAll([sim!, embedder!]);
  });
  assert.equal((await post(`${gw.url}/admin/teams`, { name: 'eu-team', attributes: { region: 'eu' } }, bearer(gw.adminKey))).status, 201);
  const created = await post(`${gw.url}/admin/keys`, { name: 'eu-app', team: 'eu-team' }, bearer(gw.adminKey));
  const euKey = created.json<{ key: string }>().key;
  const res = await ask(gw, euKey, 'What is the capital of France?');
  assert.equal(res.status, 200, res.text);
  assert.equal(embedder!.stats().byPath['/v1/embeddings'] ?? 0, 0, 'the EU prompt never went to the US embeddings backend');
  // A caller no policy narrows is embedded as usual.
  await ask(gw, gw.adminKey, 'What is the capital of France?');
  assert.equal(embedder!.stats().byPath['/v1/embeddings'], 1);
});

test('an answer holding personal data is not cached, though the question was clean', async (t) => {
  let calls = 0;
  const upstream = await startScriptedUpstream((request, res) => {
    calls++;
    const content = request.messages.at(-1)!.content === 'Who do I write to?' ? 'Write to jane.doe@example.com.' : 'Paris.';
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ id: 'c1', object: 'chat.completion', created: 1, model: 'm', choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: 'stop' }], usage: { prompt_tokens: 4, completion_tokens: 5, total_tokens: 9 } }));
  });
  // No output guardrail that would redact the address: the cache's own check is what is under test.
  const gw = await startGateway(`guardrails:\n  policies:\n    default: []\ncache:\n  exact: { enabled: true, ttl_s: 60 }\n${modelAt(upstream)}`);
  t.after(async () => {
    await gw.close();
    upstream.close();
  });
  const askM = (content: string): Promise<RawResponse> => post(`${gw.baseURL}/chat/completions`, { model: 'm', messages: [{ role: 'user', content }], temperature: 0 }, bearer(gw.adminKey));
  for (let i = 0; i < 2; i++) {
    const res = await askM('Who do I write to?');
    assert.equal(res.status, 200);
    assert.match(res.text, /jane\.doe@example\.com/);
    assert.equal(res.headers['x-archway-cache'], 'miss');
  }
  assert.equal(calls, 2, 'the answer with an address was not stored');
  await askM('Capital of France?');
  assert.equal((await askM('Capital of France?')).headers['x-archway-cache'], 'hit; exact', 'a clean answer is');
  assert.equal(calls, 3);
});

test('an answer a stream cannot replay (logprobs) is a miss for a streamed request, whose fresh answer replaces it', async (t) => {
  const seen: boolean[] = [];
  const upstream = await startScriptedUpstream((request, res) => {
    seen.push(request.stream === true);
    if (request.stream !== true) {
      res.writeHead(200, { 'content-type': 'application/json' });
      const logprobs = { content: [{ token: 'Paris', logprob: -0.1, bytes: null, top_logprobs: [] }], refusal: null };
      res.end(JSON.stringify({ id: 'c1', object: 'chat.completion', created: 1, model: 'm', choices: [{ index: 0, message: { role: 'assistant', content: 'Paris' }, logprobs, finish_reason: 'stop' }], usage: { prompt_tokens: 4, completion_tokens: 1, total_tokens: 5 } }));
      return;
    }
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    const frame = (delta: object, finish: string | null): string =>
      `data: ${JSON.stringify({ id: 'c2', object: 'chat.completion.chunk', created: 1, model: 'm', choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }] })}\n\n`;
    const usage = `data: ${JSON.stringify({ id: 'c2', object: 'chat.completion.chunk', created: 1, model: 'm', choices: [], usage: { prompt_tokens: 4, completion_tokens: 1, total_tokens: 5 } })}\n\n`;
    res.end(frame({ role: 'assistant', content: '' }, null) + frame({ content: 'Paris' }, null) + frame({}, 'stop') + usage + 'data: [DONE]\n\n');
  });
  const gw = await startGateway(`guardrails:\n  policies:\n    default: []\ncache:\n  exact: { enabled: true, ttl_s: 60 }\n${modelAt(upstream)}`);
  t.after(async () => {
    await gw.close();
    upstream.close();
  });
  const askM = (stream: boolean): Promise<RawResponse> =>
    post(`${gw.baseURL}/chat/completions`, { model: 'm', messages: [{ role: 'user', content: 'Capital of France?' }], temperature: 0, stream }, bearer(gw.adminKey));
  assert.equal((await askM(false)).headers['x-archway-cache'], 'miss');
  assert.equal((await askM(false)).headers['x-archway-cache'], 'hit; exact', 'JSON requests are answered with it');
  const streamed = await askM(true);
  assert.equal(streamed.headers['x-archway-cache'], 'miss');
  assert.match(streamed.text, /data: \[DONE\]/);
  const again = await askM(true);
  assert.equal(again.headers['x-archway-cache'], 'hit; exact', 'the streamed answer took its place');
  assert.deepEqual(seen, [false, true], 'the upstream was asked once for JSON and once for the stream');
});
