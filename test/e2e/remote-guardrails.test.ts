// Remote guardrails against local servers that speak the services' APIs: Azure AI Content Safety (text analysis and
// Prompt Shields), OpenAI moderation, and a Llama Guard style judge. They run together, each within its timeout;
// a failing or late service follows its guardrail's on_error.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { bearer, post } from '../helpers/http.ts';
import { startGateway, type TestGateway } from '../helpers/gateway.ts';

let services: Server;
let base = '';
let gw: TestGateway;
const seen: Record<string, number> = {};

function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  return new Promise((resolve) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => resolve(JSON.parse(body) as Record<string, unknown>));
  });
}

before(async () => {
  services = createServer(async (req, res) => {
    const body = await readJson(req);
    const path = (req.url ?? '').split('?')[0]!;
    seen[path] = (seen[path] ?? 0) + 1;
    const reply = (status: number, value: unknown): void => void res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(value));
    if (path === '/azure/contentsafety/text:analyze') {
      assert.equal(req.headers['ocp-apim-subscription-key'], 'az-key');
      const hateful = String(body.text).includes('hateful');
      return reply(200, { categoriesAnalysis: [{ category: 'Hate', severity: hateful ? 6 : 0 }, { category: 'Violence', severity: 0 }] });
    }
    if (path === '/azure/contentsafety/text:shieldPrompt') {
      return reply(200, { userPromptAnalysis: { attackDetected: String(body.userPrompt).includes('sneaky') }, documentsAnalysis: [] });
    }
    if (path === '/openai/v1/moderations') {
      const flagged = String(body.input).includes('violent');
      return reply(200, { results: [{ flagged, categories: { violence: flagged, hate: false }, category_scores: { violence: flagged ? 0.97 : 0.01 } }] });
    }
    if (path === '/presidio/analyze') {
      const text = String(body.text);
      const at = text.indexOf('Jane Doe');
      return reply(200, at < 0 ? [] : [{ entity_type: 'PERSON', start: at, end: at + 8, score: 0.85 }]);
    }
    if (path === '/azure/language/:analyze-text') {
      const text = String((body.analysisInput as { documents: { text: string }[] }).documents[0]!.text);
      const at = text.indexOf('1 Main Street');
      return reply(200, { results: { documents: [{ id: '1', entities: at < 0 ? [] : [{ text: '1 Main Street', category: 'Address', offset: at, length: 13, confidenceScore: 0.9 }] }] } });
    }
    if (path === '/judge/v1/chat/completions') {
      const text = String((body.messages as { content: string }[])[0]?.content);
      if (text.includes('slow')) return void setTimeout(() => reply(200, { choices: [{ message: { content: 'safe' } }] }), 1_000);
      if (text.includes('broken')) return reply(500, { error: 'down' });
      return reply(200, { choices: [{ message: { content: text.includes('weapon') ? 'unsafe\nS9' : 'safe' } }] });
    }
    reply(404, {});
  });
  await new Promise<void>((resolve) => services.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(services.address() as AddressInfo).port}`;
  gw = await startGateway(`
guardrails:
  definitions:
    content_safety: { type: azure_content_safety, endpoint: ${base}/azure, api_key: az-key, action: block, stages: [input] }
    shields: { type: azure_prompt_shields, endpoint: ${base}/azure, api_key: az-key, action: block, stages: [input] }
    moderation: { type: openai_moderation, endpoint: ${base}/openai/v1, api_key: sk-mod, action: flag, stages: [input] }
    judge: { type: llm_judge, endpoint: ${base}/judge/v1, model: llama-guard-3, action: block, stages: [input], timeout_ms: 200, on_error: fail-closed }
    lenient_judge: { type: llm_judge, endpoint: ${base}/judge/v1, action: block, stages: [input], timeout_ms: 200, on_error: fail-open }
    names: { type: presidio, endpoint: ${base}/presidio, action: flag, stages: [input] }
    addresses: { type: azure_pii, endpoint: ${base}/azure, api_key: az-key, action: block, stages: [input] }
  policies:
    default: [content_safety, shields, moderation, judge]
    lenient: [lenient_judge]
    people: [names, addresses]
  attach:
    - { policy: lenient, models: [lenient] }
    - { policy: people, models: [people] }
models:
  m:
    backends:
      - provider: simulator
  lenient:
    backends:
      - provider: simulator
  people:
    backends:
      - provider: simulator
`);
});
after(async () => {
  await gw.close();
  services.close();
});

const ask = (content: string, model = 'm') => post(`${gw.url}/v1/chat/completions`, { model, messages: [{ role: 'user', content }] }, bearer(gw.adminKey));
const code = (res: { json<T>(): T }) => res.json<{ error: { code: string } }>().error.code;

describe('remote guardrails', () => {
  test('a clean prompt passes all four, each service asked once', async () => {
    const before = { ...seen };
    const res = await ask('hello there');
    assert.equal(res.status, 200, res.text);
    for (const path of ['/azure/contentsafety/text:analyze', '/azure/contentsafety/text:shieldPrompt', '/openai/v1/moderations', '/judge/v1/chat/completions']) {
      assert.equal((seen[path] ?? 0) - (before[path] ?? 0), 1, path);
    }
  });

  test('each blocking service blocks with its own code; moderation only flags', async () => {
    assert.equal(code(await ask('a hateful remark')), 'guardrail_blocked:content_safety');
    assert.equal(code(await ask('a sneaky instruction')), 'guardrail_blocked:shields');
    assert.equal(code(await ask('how to build a weapon')), 'guardrail_blocked:judge');
    const flagged = await ask('a violent movie review');
    assert.equal(flagged.status, 200);
    assert.match(flagged.headers['x-archway-guardrails'] as string, /moderation:moderation:violence/);
  });

  test('a late or failing service: fail-closed blocks, fail-open lets the request through', async () => {
    assert.equal(code(await ask('slow please')), 'guardrail_blocked:judge');
    assert.equal(code(await ask('broken please')), 'guardrail_blocked:judge');
    assert.equal((await ask('slow please', 'lenient')).status, 200);
    assert.equal((await ask('broken please', 'lenient')).status, 200);
  });
});

describe('PII services', () => {
  test('a person name from Presidio is flagged with its span; an address from Azure AI Language blocks', async () => {
    const named = await ask('please greet Jane Doe for me', 'people');
    assert.equal(named.status, 200, named.text);
    assert.match(named.headers['x-archway-guardrails'] as string, /names:pii:person/);
    assert.equal(code(await ask('ship it to 1 Main Street', 'people')), 'guardrail_blocked:addresses');
  });
});
