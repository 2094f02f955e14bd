import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { UpstreamProtocolError } from '../../src/upstream/attempt-failure.ts';
import { openaiToAnthropicRequest, DEFAULT_MAX_TOKENS } from '../../src/providers/anthropic/openai_anthropic.ts';
import {
  anthropicToOpenAIResponse,
  AnthropicStreamTranslator,
} from '../../src/providers/anthropic/anthropic_openai.ts';
import { anthropicAdapter } from '../../src/providers/anthropic/adapter.ts';
import { GatewayError } from '../../src/errors.ts';
import type { BackendTarget } from '../../src/providers/adapter.ts';
import type { SseEvent } from '../../src/streaming/sse-event.ts';

const PNG_DATA = 'iVBORw0KGgo=';

describe('openaiToAnthropicRequest', () => {
  it('translates system prompts, images, tools, tool calls and tool results', () => {
    const body = {
      model: 'claude',
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'developer', content: [{ type: 'text', text: 'Use tools.' }, { type: 'text', text: 'Cite.' }] },
        {
          role: 'user',
          content: [
            { type: 'text', text: 'Compare these.' },
            { type: 'image_url', image_url: { url: `data:image/png;base64,${PNG_DATA}` } },
            { type: 'image_url', image_url: { url: 'https://example.com/cat.jpg' } },
          ],
        },
        {
          role: 'assistant',
          content: 'Checking.',
          tool_calls: [
            { id: 'call_1', type: 'function', function: { name: 'lookup', arguments: '{"q":"cat"}' } },
            { id: 'call_2', type: 'function', function: { name: 'lookup', arguments: '{"q":' } },
          ],
        },
        { role: 'tool', tool_call_id: 'call_1', content: 'a cat' },
        { role: 'tool', tool_call_id: 'call_2', content: [{ type: 'text', text: 'error' }] },
        { role: 'user', content: 'And?' },
      ],
      tools: [
        { type: 'function', function: { name: 'lookup', description: 'Look up', parameters: { type: 'object', properties: { q: { type: 'string' } } } } },
        { type: 'function', function: { name: 'noargs' } },
      ],
      tool_choice: 'required',
      parallel_tool_calls: false,
      max_completion_tokens: 300,
      top_p: 0.9,
      stop: 'END',
      user: 'u-42',
      stream: true,
      seed: 7,
      presence_penalty: 1,
      logprobs: true,
      response_format: { type: 'json_schema', json_schema: { name: 'x', schema: {} } },
    };
    const frozen = structuredClone(body);
    const out = openaiToAnthropicRequest(body, 'claude-sonnet-4-5');

    assert.deepEqual(out, {
      model: 'claude-sonnet-4-5',
      max_tokens: 300,
      system: 'Be brief.\n\nUse tools.\nCite.',
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text: 'Compare these.' },
            { type: 'image', source: { type: 'base64', media_type: 'image/png', data: PNG_DATA } },
            { type: 'image', source: { type: 'url', url: 'https://example.com/cat.jpg' } },
          ],
        },
        {
          role: 'assistant',
          content: [
            { type: 'text', text: 'Checking.' },
            { type: 'tool_use', id: 'call_1', name: 'lookup', input: { q: 'cat' } },
            // Truncated arguments are replayed as an empty input rather than failing the conversation.
            { type: 'tool_use', id: 'call_2', name: 'lookup', input: {} },
          ],
        },
        {
          // Both tool results and the following user text merge into one user turn, results first.
          role: 'user',
          content: [
            { type: 'tool_result', tool_use_id: 'call_1', content: 'a cat' },
            { type: 'tool_result', tool_use_id: 'call_2', content: 'error' },
            { type: 'text', text: 'And?' },
          ],
        },
      ],
      tools: [
        { name: 'lookup', description: 'Look up', input_schema: { type: 'object', properties: { q: { type: 'string' } } } },
        { name: 'noargs', input_schema: { type: 'object', properties: {} } },
      ],
      tool_choice: { type: 'any', disable_parallel_tool_use: true },
      top_p: 0.9,
      stop_sequences: ['END'],
      metadata: { user_id: 'u-42' },
      stream: true,
    });
    assert.deepEqual(body, frozen, 'the client body must not be mutated');
  });

  it('merges consecutive messages of the same role', () => {
    const out = openaiToAnthropicRequest(
      {
        messages: [
          { role: 'user', content: 'one' },
          { role: 'user', content: [{ type: 'text', text: 'two' }] },
          { role: 'assistant', content: 'a' },
          { role: 'assistant', content: 'b' },
        ],
      },
      'm',
    );
    assert.deepEqual(out.messages, [
      { role: 'user', content: [{ type: 'text', text: 'one' }, { type: 'text', text: 'two' }] },
      { role: 'assistant', content: [{ type: 'text', text: 'a' }, { type: 'text', text: 'b' }] },
    ]);
    assert.equal('system' in out, false);
  });

  it('maps every tool_choice form', () => {
    const tools = [{ type: 'function', function: { name: 'f' } }];
    const choice = (tool_choice: unknown, parallel_tool_calls?: boolean): unknown =>
      openaiToAnthropicRequest({ messages: [], tools, tool_choice, parallel_tool_calls }, 'm').tool_choice;
    assert.deepEqual(choice('auto'), { type: 'auto' });
    assert.deepEqual(choice('required'), { type: 'any' });
    assert.deepEqual(choice('none'), { type: 'none' });
    assert.deepEqual(choice({ type: 'function', function: { name: 'f' } }), { type: 'tool', name: 'f' });
    assert.deepEqual(choice(undefined, false), { type: 'auto', disable_parallel_tool_use: true });
    assert.deepEqual(choice('none', false), { type: 'none' });
    assert.equal(choice(undefined), undefined);
    // Without tools, tool_choice is not sent.
    assert.equal('tool_choice' in openaiToAnthropicRequest({ messages: [], tool_choice: 'auto' }, 'm'), false);
  });

  it('refuses n > 1 with an invalid_request error on param n', () => {
    assert.throws(
      () => openaiToAnthropicRequest({ messages: [{ role: 'user', content: 'hi' }], n: 2 }, 'm'),
      (err: unknown) => err instanceof GatewayError && err.code === 'invalid_request' && err.param === 'n' && err.status === 400,
    );
    assert.doesNotThrow(() => openaiToAnthropicRequest({ messages: [], n: 1 }, 'm'));
  });

  it('clamps temperature into Anthropic range', () => {
    assert.equal(openaiToAnthropicRequest({ messages: [], temperature: 1.7 }, 'm').temperature, 1);
    assert.equal(openaiToAnthropicRequest({ messages: [], temperature: -0.5 }, 'm').temperature, 0);
    assert.equal(openaiToAnthropicRequest({ messages: [], temperature: 0.3 }, 'm').temperature, 0.3);
  });

  it('defaults max_tokens and prefers max_completion_tokens', () => {
    assert.equal(DEFAULT_MAX_TOKENS, 4096);
    assert.equal(openaiToAnthropicRequest({ messages: [] }, 'm').max_tokens, 4096);
    assert.equal(openaiToAnthropicRequest({ messages: [], max_tokens: 50 }, 'm').max_tokens, 50);
    assert.equal(openaiToAnthropicRequest({ messages: [], max_tokens: 50, max_completion_tokens: 70 }, 'm').max_tokens, 70);
  });

  it('passes stop arrays and rejects unsupported content', () => {
    assert.deepEqual(openaiToAnthropicRequest({ messages: [], stop: ['a', 'b'] }, 'm').stop_sequences, ['a', 'b']);
    const badImage = { messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'ftp://x/y.png' } }] }] };
    assert.throws(() => openaiToAnthropicRequest(badImage, 'm'), GatewayError);
    const audio = { messages: [{ role: 'user', content: [{ type: 'input_audio', input_audio: { data: '', format: 'wav' } }] }] };
    assert.throws(() => openaiToAnthropicRequest(audio, 'm'), GatewayError);
  });
});

describe('anthropicToOpenAIResponse', () => {
  it('turns text and tool_use blocks into one OpenAI message and reports cache-aware usage', () => {
    const raw = Buffer.from(
      JSON.stringify({
        id: 'msg_01',
        type: 'message',
        role: 'assistant',
        model: 'claude-sonnet-4-5',
        content: [
          { type: 'thinking', thinking: 'hmm', signature: 's' },
          { type: 'text', text: 'Let me ' },
          { type: 'text', text: 'check.' },
          { type: 'tool_use', id: 'toolu_1', name: 'lookup', input: { q: 'cat' } },
        ],
        stop_reason: 'tool_use',
        usage: { input_tokens: 10, cache_read_input_tokens: 100, cache_creation_input_tokens: 5, output_tokens: 20 },
      }),
    );
    const before = Math.floor(Date.now() / 1000);
    const { body, usage } = anthropicToOpenAIResponse(raw);
    const parsed = JSON.parse(body);
    assert.ok(parsed.created >= before && parsed.created <= before + 1);
    assert.deepEqual(parsed, {
      id: 'chatcmpl-msg_01',
      object: 'chat.completion',
      created: parsed.created,
      model: 'claude-sonnet-4-5',
      choices: [
        {
          index: 0,
          message: {
            role: 'assistant',
            content: 'Let me check.',
            refusal: null,
            tool_calls: [{ id: 'toolu_1', type: 'function', function: { name: 'lookup', arguments: '{"q":"cat"}' } }],
          },
          logprobs: null,
          finish_reason: 'tool_calls',
        },
      ],
      usage: { prompt_tokens: 115, completion_tokens: 20, total_tokens: 135, prompt_tokens_details: { cached_tokens: 100 } },
    });
    assert.deepEqual(usage, { prompt_tokens: 115, completion_tokens: 20, total_tokens: 135, cached_tokens: 100 });
  });

  it('maps stop reasons', () => {
    const finish = (stop_reason: string): unknown =>
      JSON.parse(anthropicToOpenAIResponse(Buffer.from(JSON.stringify({ id: 'x', model: 'm', content: [], stop_reason }))).body)
        .choices[0].finish_reason;
    assert.equal(finish('end_turn'), 'stop');
    assert.equal(finish('stop_sequence'), 'stop');
    assert.equal(finish('max_tokens'), 'length');
    assert.equal(finish('tool_use'), 'tool_calls');
    assert.equal(finish('refusal'), 'content_filter');
  });

  it('rejects a body that is not JSON as an upstream protocol failure (retried, counted against the backend)', () => {
    assert.throws(
      () => anthropicToOpenAIResponse(Buffer.from('<html>')),
      (err: unknown) => err instanceof UpstreamProtocolError,
    );
  });
});

function ev(event: string, data: Record<string, unknown>): SseEvent {
  const json = JSON.stringify({ type: event, ...data });
  return { event, data: json, raw: `event: ${event}\ndata: ${json}\n\n` };
}

/** The stream of a reply that writes "Hi there" and then calls lookup({"q":"cat"}). */
const STREAM: readonly SseEvent[] = [
  ev('message_start', {
    message: { id: 'msg_9', type: 'message', role: 'assistant', model: 'claude-x', content: [], stop_reason: null, usage: { input_tokens: 12, cache_read_input_tokens: 30, cache_creation_input_tokens: 0, output_tokens: 1 } },
  }),
  ev('content_block_start', { index: 0, content_block: { type: 'thinking', thinking: '' } }),
  ev('content_block_delta', { index: 0, delta: { type: 'thinking_delta', thinking: 'pondering' } }),
  ev('content_block_stop', { index: 0 }),
  ev('content_block_start', { index: 1, content_block: { type: 'text', text: '' } }),
  ev('ping', {}),
  ev('content_block_delta', { index: 1, delta: { type: 'text_delta', text: 'Hi' } }),
  ev('content_block_delta', { index: 1, delta: { type: 'text_delta', text: ' there' } }),
  ev('content_block_stop', { index: 1 }),
  ev('content_block_start', { index: 2, content_block: { type: 'tool_use', id: 'toolu_7', name: 'lookup', input: {} } }),
  ev('content_block_delta', { index: 2, delta: { type: 'input_json_delta', partial_json: '' } }),
  ev('content_block_delta', { index: 2, delta: { type: 'input_json_delta', partial_json: '{"q":' } }),
  ev('content_block_delta', { index: 2, delta: { type: 'input_json_delta', partial_json: '"cat"}' } }),
  ev('content_block_stop', { index: 2 }),
  ev('message_delta', { delta: { stop_reason: 'tool_use', stop_sequence: null }, usage: { output_tokens: 25 } }),
  ev('message_stop', {}),
];

/** Runs the stream through a translator; one entry per event, the parsed frames it produced (or null). */
function run(translator: AnthropicStreamTranslator, events: readonly SseEvent[]): (unknown[] | null)[] {
  return events.map((e) => {
    const out = translator.push(e);
    if (out === undefined) return null;
    assert.ok(out.startsWith('data: ') && out.endsWith('\n\n'), `not an SSE frame: ${out}`);
    assert.ok(!out.includes('[DONE]'), 'the translator must never emit [DONE]');
    return out.split('\n\n').filter(Boolean).map((f) => JSON.parse(f.slice('data: '.length)));
  });
}

describe('AnthropicStreamTranslator', () => {
  it('emits OpenAI chunks event by event', () => {
    const t = new AnthropicStreamTranslator({ clientWantsUsage: false });
    assert.equal(t.sawContent, false);
    const frames = run(t, STREAM.slice(0, 6));
    assert.equal(t.sawContent, false, 'no content before the first text delta');
    frames.push(...run(t, STREAM.slice(6)));

    const chunks = frames.map((f) => (f === null ? null : (f as Record<string, unknown>[]).map((c) => c.choices)));
    const choice = (delta: unknown, finish_reason: string | null = null): unknown[] => [[{ index: 0, delta, logprobs: null, finish_reason }]];
    assert.deepEqual(chunks, [
      choice({ role: 'assistant', content: '' }),
      null, // thinking block start
      null, // thinking delta
      null, // block stop
      null, // empty text block start
      null, // ping
      choice({ content: 'Hi' }),
      choice({ content: ' there' }),
      null,
      choice({ tool_calls: [{ index: 0, id: 'toolu_7', type: 'function', function: { name: 'lookup', arguments: '' } }] }),
      null, // empty fragment
      choice({ tool_calls: [{ index: 0, function: { arguments: '{"q":' } }] }),
      choice({ tool_calls: [{ index: 0, function: { arguments: '"cat"}' } }] }),
      null,
      choice({}, 'tool_calls'),
      null, // message_stop without usage: nothing for the client
    ]);

    const all = frames.flatMap((f) => f ?? []) as Record<string, unknown>[];
    const first = all[0];
    assert.ok(first !== undefined);
    assert.equal(first.id, 'chatcmpl-msg_9');
    assert.equal(first.model, 'claude-x');
    assert.equal(first.object, 'chat.completion.chunk');
    for (const c of all) {
      assert.equal(c.id, first.id);
      assert.equal(c.created, first.created);
      assert.equal(c.model, first.model);
    }
    assert.equal(t.sawContent, true);
    assert.equal(t.done, true);
    assert.equal(t.upstreamError, undefined);
    assert.deepEqual(t.usage, { prompt_tokens: 42, completion_tokens: 25, total_tokens: 67, cached_tokens: 30 });
  });

  it('adds a usage chunk at message_stop only when the client asked for it', () => {
    const t = new AnthropicStreamTranslator({ clientWantsUsage: true });
    const frames = run(t, STREAM);
    const last = frames[frames.length - 1];
    assert.ok(last);
    const [usageChunk] = last as Record<string, unknown>[];
    const [roleChunk] = frames[0] as Record<string, unknown>[];
    assert.ok(usageChunk && roleChunk);
    assert.deepEqual(usageChunk, {
      id: 'chatcmpl-msg_9',
      object: 'chat.completion.chunk',
      created: roleChunk.created,
      model: 'claude-x',
      choices: [],
      usage: { prompt_tokens: 42, completion_tokens: 25, total_tokens: 67, prompt_tokens_details: { cached_tokens: 30 } },
    });
    assert.equal(t.done, true);
  });

  it('reports an upstream error event as an OpenAI error frame', () => {
    const t = new AnthropicStreamTranslator({ clientWantsUsage: true });
    run(t, STREAM.slice(0, 1));
    const out = t.push(ev('error', { error: { type: 'overloaded_error', message: 'Overloaded' } }));
    assert.ok(out !== undefined && out.startsWith('data: ') && out.endsWith('\n\n'));
    const frame = JSON.parse(out.slice('data: '.length));
    assert.deepEqual(Object.keys(frame.error).sort(), ['code', 'message', 'type']);
    assert.match(frame.error.message, /Overloaded/);
    assert.equal(frame.error.type, 'server_error');
    assert.equal(frame.error.code, 'upstream_error');
    assert.equal(t.upstreamError, 'overloaded_error: Overloaded');
    assert.equal(t.done, false);
    assert.equal(t.sawContent, false);
  });

  it('treats an event with malformed JSON as an upstream error', () => {
    const t = new AnthropicStreamTranslator({ clientWantsUsage: false });
    const out = t.push({ event: 'content_block_delta', data: '{oops', raw: 'event: content_block_delta\ndata: {oops\n\n' });
    assert.ok(out?.includes('"error"'));
    assert.ok(t.upstreamError !== undefined);
  });
});

describe('anthropicAdapter', () => {
  const target: BackendTarget = {
    upstreamModel: 'claude-haiku-4-5',
    basePath: '',
    apiKey: 'sk-ant',
    apiVersion: undefined,
    headers: { 'anthropic-beta': 'x' },
  };

  it('supports chat only', () => {
    assert.equal(anthropicAdapter.kind, 'anthropic');
    assert.equal(anthropicAdapter.supports('chat'), true);
    assert.equal(anthropicAdapter.supports('embeddings'), false);
    assert.throws(() => anthropicAdapter.buildRequest('embeddings', { input: 'x' }, target), GatewayError);
  });

  it('builds the messages request', () => {
    const call = anthropicAdapter.buildRequest('chat', { model: 'alias', messages: [{ role: 'user', content: 'hi' }] }, target);
    assert.equal(call.path, '/v1/messages');
    assert.deepEqual(call.headers, {
      'content-type': 'application/json',
      'anthropic-version': '2023-06-01',
      'x-api-key': 'sk-ant',
      'anthropic-beta': 'x',
    });
    assert.deepEqual(JSON.parse(call.body), {
      model: 'claude-haiku-4-5',
      max_tokens: 4096,
      messages: [{ role: 'user', content: 'hi' }],
    });
    const v1 = anthropicAdapter.buildRequest('chat', { messages: [] }, { ...target, basePath: '/proxy/v1', apiKey: undefined, headers: undefined });
    assert.equal(v1.path, '/proxy/v1/messages');
    assert.equal('x-api-key' in v1.headers, false);
  });

  it('translates a chat response', () => {
    const raw = Buffer.from(JSON.stringify({ id: 'msg_1', model: 'm', content: [{ type: 'text', text: 'ok' }], stop_reason: 'end_turn', usage: { input_tokens: 1, output_tokens: 2 } }));
    const out = anthropicAdapter.translateResponse('chat', raw);
    assert.equal(JSON.parse(String(out.body)).choices[0].message.content, 'ok');
    assert.deepEqual(out.usage, { prompt_tokens: 1, completion_tokens: 2, total_tokens: 3, cached_tokens: 0 });
  });

  it('extracts error messages without throwing', () => {
    const body = Buffer.from(JSON.stringify({ type: 'error', error: { type: 'invalid_request_error', message: 'max_tokens: too big' } }));
    assert.equal(anthropicAdapter.errorMessage(400, body), 'max_tokens: too big');
    assert.equal(anthropicAdapter.errorMessage(502, Buffer.from('  Bad Gateway \n')), 'Bad Gateway');
    assert.equal(anthropicAdapter.errorMessage(500, Buffer.from('x'.repeat(2000))).length, 500);
    assert.equal(anthropicAdapter.errorMessage(503, Buffer.alloc(0)), 'Anthropic returned HTTP 503');
    assert.equal(anthropicAdapter.errorMessage(500, Buffer.from('{"error":null}')), '{"error":null}');
  });
});
