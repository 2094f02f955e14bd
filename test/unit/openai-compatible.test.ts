import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createOpenAICompatibleAdapter } from '../../src/providers/openai-compatible/adapter.ts';
import { OpenAIPassthroughTranslator } from '../../src/providers/openai-compatible/stream-translator.ts';
import { extractUsage, openAIErrorMessage, usageFromOpenAI } from '../../src/providers/usage.ts';
import type { BackendTarget } from '../../src/providers/adapter.ts';
import type { SseEvent } from '../../src/streaming/sse-event.ts';

const openai = createOpenAICompatibleAdapter('openai');
const azure = createOpenAICompatibleAdapter('azure-openai');

function target(overrides: Partial<BackendTarget> = {}): BackendTarget {
  return { upstreamModel: 'gpt-4o-2024-08-06', basePath: '/v1', apiKey: 'sk-upstream', apiVersion: undefined, headers: undefined, ...overrides };
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}

const json = (body: string): Record<string, unknown> => JSON.parse(body) as Record<string, unknown>;
const sse = (data: string): SseEvent => ({ event: undefined, data, raw: `data: ${data}\n\n` });
const CHAT = { model: 'alias', messages: [{ role: 'user', content: 'hi' }] };

describe('OpenAI-compatible adapter: requests', () => {
  it('OpenAI: base path + operation, Bearer key, config headers, model replaced', () => {
    const call = openai.buildRequest('chat', CHAT, target({ headers: { 'x-org': 'acme' } }));
    assert.equal(call.path, '/v1/chat/completions');
    assert.deepEqual(call.headers, { 'content-type': 'application/json', 'x-org': 'acme', authorization: 'Bearer sk-upstream' });
    assert.deepEqual(json(call.body), { ...CHAT, model: 'gpt-4o-2024-08-06' });
    assert.equal(openai.buildRequest('embeddings', { model: 'e', input: 'x' }, target({ basePath: '' })).path, '/embeddings');
  });

  it('OpenAI: no authorization header without a key', () => {
    const call = openai.buildRequest('chat', CHAT, target({ apiKey: undefined }));
    assert.equal(call.headers.authorization, undefined);
    assert.equal(call.headers['api-key'], undefined);
  });

  it('Azure: deployment path with api-version, api-key header and no Bearer', () => {
    const t = target({ upstreamModel: 'my deployment', basePath: '', apiKey: 'az-key', apiVersion: '2024-10-21' });
    const call = azure.buildRequest('chat', CHAT, t);
    assert.equal(call.path, '/openai/deployments/my%20deployment/chat/completions?api-version=2024-10-21');
    assert.equal(call.headers['api-key'], 'az-key');
    assert.equal(call.headers.authorization, undefined);
    assert.equal(json(call.body).model, 'my deployment');
    const emb = azure.buildRequest('embeddings', { model: 'e', input: 'x' }, { ...t, basePath: '/proxy' });
    assert.equal(emb.path, '/proxy/openai/deployments/my%20deployment/embeddings?api-version=2024-10-21');
  });

  it('a stream request asks for usage without touching the client body', () => {
    const body = deepFreeze({ ...CHAT, stream: true, stream_options: { include_usage: false, extra: 1 } });
    const before = structuredClone(body);
    const sent = json(openai.buildRequest('chat', body, target()).body);
    assert.deepEqual(sent.stream_options, { include_usage: true, extra: 1 });
    assert.deepEqual(body, before);

    const plain = deepFreeze({ ...CHAT, stream: true });
    assert.deepEqual(json(openai.buildRequest('chat', plain, target()).body).stream_options, { include_usage: true });
    assert.equal('stream_options' in plain, false);

    const asked = { ...CHAT, stream: true, stream_options: { include_usage: true } };
    assert.deepEqual(json(azure.buildRequest('chat', asked, target({ apiVersion: 'v' })).body).stream_options, { include_usage: true });
  });

  it('a non-stream request gets no stream_options', () => {
    assert.equal('stream_options' in json(openai.buildRequest('chat', { ...CHAT, stream: false }, target()).body), false);
    assert.equal('stream_options' in json(openai.buildRequest('embeddings', { model: 'e', input: 'x' }, target()).body), false);
  });

  it('translateResponse passes the body through and reads its usage', () => {
    const raw = Buffer.from('{"id":"c1","choices":[],"usage":{"prompt_tokens":3,"completion_tokens":4,"total_tokens":7}}');
    const out = openai.translateResponse('chat', raw);
    assert.equal(out.body, raw);
    assert.deepEqual(out.usage, { prompt_tokens: 3, completion_tokens: 4, total_tokens: 7 });
  });
});

describe('OpenAIPassthroughTranslator', () => {
  const usageChunk = '{"id":"c","object":"chat.completion.chunk","choices":[],"usage":{"prompt_tokens":9,"completion_tokens":2,"total_tokens":11}}';

  it('forwards content chunks as received and notes the first content', () => {
    const tr = openai.createStreamTranslator({ clientWantsUsage: false });
    const role = sse('{"choices":[{"index":0,"delta":{"role":"assistant","content":""}}],"usage":null}');
    assert.equal(tr.push(role), role.raw);
    assert.equal(tr.sawContent, false);
    const text = sse('{"choices":[{"index":0,"delta":{"content":"Hel"}}],"usage":null}');
    assert.equal(tr.push(text), text.raw);
    assert.equal(tr.sawContent, true);
    assert.equal(tr.usage, undefined);
    assert.equal(tr.done, false);
  });

  it('counts tool calls and refusals as content', () => {
    const tool = new OpenAIPassthroughTranslator({ clientWantsUsage: false });
    tool.push(sse('{"choices":[{"delta":{"tool_calls":[{"index":0,"function":{"name":"f"}}]}}]}'));
    assert.equal(tool.sawContent, true);
    const refusal = new OpenAIPassthroughTranslator({ clientWantsUsage: false });
    refusal.push(sse('{"choices":[{"delta":{"refusal":"no"}}]}'));
    assert.equal(refusal.sawContent, true);
  });

  it('hides the usage-only chunk unless the client asked for it, and reads usage either way', () => {
    const hidden = new OpenAIPassthroughTranslator({ clientWantsUsage: false });
    assert.equal(hidden.push(sse(usageChunk)), undefined);
    assert.deepEqual(hidden.usage, { prompt_tokens: 9, completion_tokens: 2, total_tokens: 11 });

    const shown = new OpenAIPassthroughTranslator({ clientWantsUsage: true });
    assert.equal(shown.push(sse(usageChunk)), `data: ${usageChunk}\n\n`);
    assert.deepEqual(shown.usage, { prompt_tokens: 9, completion_tokens: 2, total_tokens: 11 });
  });

  it('forwards a content chunk that also carries usage', () => {
    const tr = new OpenAIPassthroughTranslator({ clientWantsUsage: false });
    const both = sse('{"choices":[{"delta":{"content":"x"}}],"usage":{"prompt_tokens":1,"completion_tokens":1,"total_tokens":2}}');
    assert.equal(tr.push(both), both.raw);
    assert.equal(tr.usage?.total_tokens, 2);
  });

  it('hides a usage chunk only when its choices are empty, whatever its text says', () => {
    const tr = new OpenAIPassthroughTranslator({ clientWantsUsage: false });
    const quoting = sse(JSON.stringify({ choices: [{ index: 0, delta: { content: '"choices":[] and "usage":{}' } }], usage: { prompt_tokens: 4, completion_tokens: 3, total_tokens: 7 } }));
    assert.equal(tr.push(quoting), quoting.raw);
    assert.deepEqual(tr.usage, { prompt_tokens: 4, completion_tokens: 3, total_tokens: 7 });
    const details = sse('{"choices":[],"usage":{"prompt_tokens":9,"completion_tokens":2,"total_tokens":11,"prompt_tokens_details":{"cached_tokens":4}}}');
    assert.equal(tr.push(details), undefined);
    assert.deepEqual(tr.usage, { prompt_tokens: 9, completion_tokens: 2, total_tokens: 11, cached_tokens: 4 });
  });

  it('understands JSON with spaces after the colons', () => {
    const tr = new OpenAIPassthroughTranslator({ clientWantsUsage: false });
    tr.push(sse('{"choices": [{"delta": {"content": ""}}], "usage": null}'));
    assert.equal(tr.sawContent, false);
    tr.push(sse('{"choices": [{"delta": {"content": "Hi"}}], "usage": null}'));
    assert.equal(tr.sawContent, true);
    assert.equal(tr.push(sse('{"choices": [], "usage": {"prompt_tokens": 5, "completion_tokens": 1, "total_tokens": 6}}')), undefined);
    assert.equal(tr.usage?.total_tokens, 6);
    tr.push(sse('{ "error": { "message": "spaced" } }'));
    assert.equal(tr.upstreamError, 'spaced');
  });

  it('marks done on [DONE] and forwards nothing for it', () => {
    const tr = new OpenAIPassthroughTranslator({ clientWantsUsage: true });
    assert.equal(tr.push(sse('[DONE]')), undefined);
    assert.equal(tr.done, true);
  });

  it('reports an upstream error event and still forwards it', () => {
    const tr = new OpenAIPassthroughTranslator({ clientWantsUsage: false });
    const err = sse('{"error":{"message":"overloaded","type":"server_error"}}');
    assert.equal(tr.push(err), err.raw);
    assert.equal(tr.upstreamError, 'overloaded');
    assert.equal(tr.done, false);
    const bare = new OpenAIPassthroughTranslator({ clientWantsUsage: false });
    bare.push(sse('{"error":{"code":500}}'));
    assert.equal(bare.upstreamError, 'upstream sent an error event');
  });
});

describe('usage helpers', () => {
  it('extractUsage reads usage with nested details', () => {
    const raw = Buffer.from(
      JSON.stringify({
        id: 'c',
        choices: [{ message: { role: 'assistant', content: 'hi {not json}' } }],
        usage: {
          prompt_tokens: 100,
          completion_tokens: 50,
          total_tokens: 150,
          prompt_tokens_details: { cached_tokens: 64, audio_tokens: 0 },
          completion_tokens_details: { reasoning_tokens: 32, accepted_prediction_tokens: 0 },
        },
      }),
    );
    assert.deepEqual(extractUsage(raw), { prompt_tokens: 100, completion_tokens: 50, total_tokens: 150, cached_tokens: 64, reasoning_tokens: 32 });
  });

  it('extractUsage leaves out zero details, fills a missing total, and reads pretty-printed bodies', () => {
    const raw = Buffer.from('{\n  "usage" : {\n    "prompt_tokens": 8,\n    "completion_tokens": 2,\n    "prompt_tokens_details": {"cached_tokens": 0}\n  }\n}');
    assert.deepEqual(extractUsage(raw), { prompt_tokens: 8, completion_tokens: 2, total_tokens: 10 });
    assert.deepEqual(extractUsage(Buffer.from('{"data":[{"embedding":[0.1,0.2]}],"usage":{"prompt_tokens":8,"total_tokens":8}}')), {
      prompt_tokens: 8,
      completion_tokens: 0,
      total_tokens: 8,
    });
  });

  it('extractUsage is undefined for bodies with no usage', () => {
    assert.equal(extractUsage(Buffer.from('{"id":"c","choices":[{"message":{"content":"the word \\"usage\\" in text"}}]}')), undefined);
    assert.equal(extractUsage(Buffer.from('')), undefined);
    assert.equal(extractUsage(Buffer.from('{"usage":{"prompt_tokens":1')), undefined);
    // usage null must not make the scan read the next object as usage
    assert.equal(extractUsage(Buffer.from('{"usage":null,"choices":[{"message":{"content":"x"}}]}')), undefined);
  });

  it('usageFromOpenAI ignores non-objects and bad counts', () => {
    assert.equal(usageFromOpenAI(null), undefined);
    assert.equal(usageFromOpenAI('12'), undefined);
    assert.deepEqual(usageFromOpenAI({ prompt_tokens: -1, completion_tokens: 'x', total_tokens: Number.NaN }), { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 });
  });

  it('openAIErrorMessage reads OpenAI, string and top-level messages', () => {
    assert.equal(openAIErrorMessage(400, Buffer.from('{"error":{"message":"bad model","type":"invalid_request_error"}}')), 'bad model');
    assert.equal(openAIErrorMessage(500, Buffer.from('{"error":"boom"}')), 'boom');
    assert.equal(openAIErrorMessage(404, Buffer.from('{"message":"no such deployment"}')), 'no such deployment');
  });

  it('openAIErrorMessage falls back to a bounded excerpt, or the status when empty', () => {
    assert.equal(openAIErrorMessage(502, Buffer.from('  <html>Bad Gateway</html>\n')), '<html>Bad Gateway</html>');
    assert.equal(openAIErrorMessage(500, Buffer.from('{"error":{"code":1}}')), '{"error":{"code":1}}');
    assert.equal(openAIErrorMessage(502, Buffer.from('x'.repeat(10_000))).length, 500);
    assert.equal(openAIErrorMessage(503, Buffer.alloc(0)), 'upstream answered HTTP 503');
    assert.equal(openAIErrorMessage(504, Buffer.from(' \n ')), 'upstream answered HTTP 504');
  });
});
