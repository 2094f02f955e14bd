// Replaying a cached completion as a stream: the frames OpenAI would send, read back by our assembler and by the
// official SDK into the same completion.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI from 'openai';
import { answerAsStream, textPieces } from '../../../src/cache/answer-as-stream.ts';
import { StreamAssembler } from '../../../src/cache/stream-assembler.ts';

const USAGE = { prompt_tokens: 20, completion_tokens: 80, total_tokens: 100, prompt_tokens_details: { cached_tokens: 0 } };
const LONG_TEXT =
  'The capital of France is Paris. It has been the country’s capital for most of its history, and it is home to ' +
  'the national government, the president’s residence at the Élysée Palace and both houses of parliament. 🇫🇷 ' +
  'Its metropolitan area holds about twelve million people.\n\nWould you like to know more?';

function completion(choices: unknown[], extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { id: 'chatcmpl-9', object: 'chat.completion', created: 1700000000, model: 'gpt-4o-mini-2024-07-18', choices, usage: USAGE, system_fingerprint: 'fp_9', ...extra };
}
const choice = (message: Record<string, unknown>, finish = 'stop', index = 0): unknown => ({ index, message: { role: 'assistant', content: null, refusal: null, ...message }, logprobs: null, finish_reason: finish });

const TEXT = completion([choice({ content: LONG_TEXT })]);
const TOOLS = completion([
  choice(
    {
      tool_calls: [
        { id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: JSON.stringify({ city: 'Paris', unit: 'celsius', detail: 'a long value '.repeat(10) }) } },
        { id: 'call_2', type: 'function', function: { name: 'get_time', arguments: '{}' } },
      ],
    },
    'tool_calls',
  ),
]);
const MIXED = completion(
  [choice({ content: 'Short one.' }, 'stop', 0), choice({ content: '' }, 'length', 1), choice({ refusal: "I can't help with that request, as it asks for something I must not provide." }, 'stop', 2)],
  { service_tier: 'default' },
);

function frames(body: Record<string, unknown>, includeUsage = true): string[] {
  const result = answerAsStream(Buffer.from(JSON.stringify(body)), { includeUsage });
  assert.ok(result, 'replayable');
  return result;
}

const payloads = (all: readonly string[]): string[] =>
  all.map((f) => {
    assert.match(f, /^data: .*\n\n$/s);
    assert.equal(f.indexOf('\n'), f.length - 2, 'one line per frame');
    return f.slice(6, -2);
  });

describe('textPieces', () => {
  test('pieces join back to the text, cut at spaces between 32 and 64 characters', () => {
    const pieces = textPieces(LONG_TEXT);
    assert.equal(pieces.join(''), LONG_TEXT);
    for (const piece of pieces.slice(0, -1)) assert.ok(piece.length > 32 && piece.length <= 64, JSON.stringify(piece));
    for (const piece of pieces.slice(1)) assert.match(piece, /^\s/);
  });

  test('a text with no space is cut at 64, never inside a surrogate pair', () => {
    const text = 'x'.repeat(63) + '😀'.repeat(40);
    const pieces = textPieces(text);
    assert.equal(pieces.join(''), text);
    for (const piece of pieces) {
      assert.ok(piece.length <= 64);
      assert.equal(piece, Buffer.from(piece).toString(), 'valid text on its own');
    }
    assert.deepEqual(textPieces(''), []);
    assert.deepEqual(textPieces('short'), ['short']);
  });
});

describe('answerAsStream', () => {
  test('the chunk sequence OpenAI sends: role, content pieces, finish, usage, [DONE]', () => {
    const all = frames(TEXT);
    assert.equal(all.at(-1), 'data: [DONE]\n\n');
    const chunks = payloads(all.slice(0, -1)).map((p) => JSON.parse(p) as Record<string, unknown> & { choices: { delta: Record<string, unknown>; finish_reason: string | null }[] });
    assert.deepEqual(chunks[0], {
      id: 'chatcmpl-9',
      object: 'chat.completion.chunk',
      created: 1700000000,
      model: 'gpt-4o-mini-2024-07-18',
      system_fingerprint: 'fp_9',
      choices: [{ index: 0, delta: { role: 'assistant', content: '', refusal: null }, logprobs: null, finish_reason: null }],
      usage: null,
    });
    const content = chunks.slice(1, -2);
    assert.ok(content.length >= 4, 'the text comes in several pieces');
    assert.equal(content.map((c) => c.choices[0]!.delta['content']).join(''), LONG_TEXT);
    assert.deepEqual(chunks.at(-2)!.choices, [{ index: 0, delta: {}, logprobs: null, finish_reason: 'stop' }]);
    assert.deepEqual(chunks.at(-1)!.choices, []);
    assert.deepEqual(chunks.at(-1)!['usage'], USAGE);
    for (const c of chunks.slice(0, -1)) assert.equal(c['usage'], null);
  });

  test('without include_usage: no usage chunk, and no usage field at all', () => {
    const all = frames(TEXT, false);
    assert.equal(all.at(-1), 'data: [DONE]\n\n');
    for (const payload of payloads(all.slice(0, -1))) {
      const parsed = JSON.parse(payload) as { choices: unknown[]; usage?: unknown };
      assert.equal('usage' in parsed, false);
      assert.equal(parsed.choices.length, 1);
    }
  });

  test('the stream assembler rebuilds the same completion: text, tool calls, several choices, refusals', () => {
    for (const body of [TEXT, TOOLS, MIXED]) {
      for (const includeUsage of [true, false]) {
        const assembler = new StreamAssembler();
        assembler.pushFrames(frames(body, includeUsage).join(''));
        const result = assembler.finish(includeUsage ? undefined : { prompt_tokens: 20, completion_tokens: 80, total_tokens: 100, cached_tokens: 0 });
        assert.ok(result.ok, result.ok ? '' : result.reason);
        assert.deepEqual(JSON.parse(result.body.toString()), body);
      }
    }
  });

  test('tool call arguments come in pieces after the call with its id and name', () => {
    const chunks = payloads(frames(TOOLS).slice(0, -1)).map((p) => JSON.parse(p) as { choices: { delta: { tool_calls?: { index: number; id?: string; function: { name?: string; arguments: string } }[] } }[] });
    const calls = chunks.flatMap((c) => c.choices.flatMap((ch) => ch.delta.tool_calls ?? []));
    assert.deepEqual(calls[0], { index: 0, id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '' } });
    assert.ok(calls.filter((c) => c.index === 0).length > 2);
    assert.equal(chunks[0]!.choices[0]!.delta.tool_calls, undefined);
  });

  test('declines what a stream of ours cannot carry faithfully', () => {
    const declined = [
      completion([{ ...(choice({ content: 'x' }) as object), logprobs: { content: [], refusal: null } }]),
      completion([choice({ content: null, audio: { id: 'a', data: 'AAAA', transcript: 'x', expires_at: 1 } })]),
      completion([choice({ content: null, function_call: { name: 'f', arguments: '{}' } })]),
      completion([choice({ content: 'x', annotations: [{ type: 'url_citation' }] })]),
      completion([choice({ content: [{ type: 'text', text: 'x' }] })]),
      completion([]),
      completion([{ index: 0, message: { role: 'assistant', content: 'x' }, finish_reason: null }]),
    ];
    for (const body of declined) assert.equal(answerAsStream(JSON.stringify(body), { includeUsage: false }), undefined, JSON.stringify(body).slice(0, 120));
    assert.equal(answerAsStream('{not json', { includeUsage: false }), undefined);
    assert.ok(answerAsStream(JSON.stringify(completion([choice({ content: 'x', annotations: [] })])), { includeUsage: false }));
  });
});

describe('answerAsStream read by the official openai SDK', () => {
  const clientFor = (body: Record<string, unknown>, includeUsage: boolean): OpenAI =>
    new OpenAI({
      apiKey: 'k',
      baseURL: 'http://cache.invalid/v1',
      maxRetries: 0,
      fetch: async () => new Response(frames(body, includeUsage).join(''), { headers: { 'content-type': 'text/event-stream' } }),
    });

  test('iterating the stream gives the text, and the usage chunk when asked', async () => {
    const client = clientFor(TEXT, true);
    let text = '';
    let usage: unknown;
    const stream = await client.chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'q' }], stream: true, stream_options: { include_usage: true } });
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? '';
      if (chunk.usage) usage = chunk.usage;
    }
    assert.equal(text, LONG_TEXT);
    assert.deepEqual(usage, USAGE);
  });

  test("the SDK's own accumulator rebuilds the completion", async () => {
    for (const body of [TEXT, TOOLS, MIXED]) {
      const client = clientFor(body, true);
      const final = await client.chat.completions.stream({ model: 'm', messages: [{ role: 'user', content: 'q' }], stream_options: { include_usage: true } }).finalChatCompletion();
      const expected = body['choices'] as { index: number; message: Record<string, unknown>; finish_reason: string }[];
      assert.equal(final.id, 'chatcmpl-9');
      assert.deepEqual(final.usage, USAGE);
      assert.equal(final.choices.length, expected.length);
      for (const [i, want] of expected.entries()) {
        const got = final.choices[i]!;
        assert.equal(got.finish_reason, want.finish_reason);
        assert.equal(got.message.content, want.message['content']);
        assert.equal(got.message.refusal, want.message['refusal']);
        assert.deepEqual(
          got.message.tool_calls?.map((c) => (c.type === 'function' ? { id: c.id, type: c.type, function: { name: c.function.name, arguments: c.function.arguments } } : c)),
          want.message['tool_calls'],
        );
      }
    }
  });
});
