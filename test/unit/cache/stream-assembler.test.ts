// Rebuilding a chat.completion from the chunks of a stream: text, several choices, tool calls, usage, and the
// answers it must refuse to cache. Also against the simulator's real streams.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'undici';
import { StreamAssembler, type AssembledAnswer } from '../../../src/cache/stream-assembler.ts';
import type { Usage } from '../../../src/providers/adapter.ts';
import { SseParser } from '../../../src/streaming/sse-parser.ts';
import { startSimulator, type SimulatorHandle } from '../../../src/providers/simulator/server.ts';
import { simulatorSettings } from '../../helpers/simulators.ts';

const ENVELOPE = { id: 'chatcmpl-1', object: 'chat.completion.chunk', created: 1700000000, model: 'gpt-4o-mini-2024-07-18', system_fingerprint: 'fp_1' };
const USAGE = { prompt_tokens: 9, completion_tokens: 3, total_tokens: 12, prompt_tokens_details: { cached_tokens: 0 } };

const chunk = (choices: unknown[], extra: Record<string, unknown> = {}): string => JSON.stringify({ ...ENVELOPE, choices, ...extra });
const delta = (d: Record<string, unknown>, finish: string | null = null, index = 0): unknown => ({ index, delta: d, logprobs: null, finish_reason: finish });

function assemble(payloads: readonly string[], fallback?: Parameters<StreamAssembler['finish']>[0]): AssembledAnswer {
  const assembler = new StreamAssembler();
  for (const payload of payloads) assembler.push(payload);
  return assembler.finish(fallback);
}

function completionOf(result: AssembledAnswer): Record<string, unknown> {
  assert.ok(result.ok, result.ok ? '' : result.reason);
  return JSON.parse(result.body.toString()) as Record<string, unknown>;
}

function notCacheable(result: AssembledAnswer, reason: RegExp): void {
  assert.equal(result.ok, false);
  if (!result.ok) assert.match(result.reason, reason);
}

describe('StreamAssembler', () => {
  test('text: content concatenated, finish_reason and usage from the final chunk', () => {
    const result = assemble([
      chunk([delta({ role: 'assistant', content: '', refusal: null })], { usage: null }),
      chunk([delta({ content: 'Paris' })], { usage: null }),
      chunk([delta({ content: ' is the capital.' })], { usage: null }),
      chunk([delta({}, 'stop')], { usage: null }),
      chunk([], { usage: USAGE }),
      '[DONE]',
    ]);
    assert.deepEqual(completionOf(result), {
      id: 'chatcmpl-1',
      object: 'chat.completion',
      created: 1700000000,
      model: 'gpt-4o-mini-2024-07-18',
      choices: [{ index: 0, message: { role: 'assistant', content: 'Paris is the capital.', refusal: null }, logprobs: null, finish_reason: 'stop' }],
      usage: USAGE,
      system_fingerprint: 'fp_1',
    });
    assert.ok(result.ok);
    assert.deepEqual(result.usage, { prompt_tokens: 9, completion_tokens: 3, total_tokens: 12 });
    // The object the body was written from comes along, so storing the answer needs no parse.
    assert.deepEqual(result.completion, JSON.parse(result.body.toString()));
  });

  test('several choices, interleaved, each in its place', () => {
    const result = assemble([
      chunk([delta({ role: 'assistant', content: '' }, null, 1), delta({ role: 'assistant', content: '' }, null, 0)]),
      chunk([delta({ content: 'B' }, null, 1)]),
      chunk([delta({ content: 'A' }, null, 0)]),
      chunk([delta({ content: 'b' }, 'length', 1), delta({}, 'stop', 0)]),
      chunk([], { usage: USAGE }),
    ]);
    const choices = completionOf(result)['choices'] as { index: number; message: { content: string }; finish_reason: string }[];
    assert.deepEqual(
      choices.map((c) => [c.index, c.message.content, c.finish_reason]),
      [
        [0, 'A', 'stop'],
        [1, 'Bb', 'length'],
      ],
    );
  });

  test('tool calls: id, name and arguments gathered per index; content stays null', () => {
    const result = assemble([
      chunk([delta({ role: 'assistant', content: null, tool_calls: [{ index: 0, id: 'call_a', type: 'function', function: { name: 'get_weather', arguments: '' } }], refusal: null })]),
      chunk([delta({ tool_calls: [{ index: 0, function: { arguments: '{"city":' } }] })]),
      chunk([delta({ tool_calls: [{ index: 0, function: { arguments: '"Paris"}' } }] })]),
      chunk([delta({ tool_calls: [{ index: 1, id: 'call_b', type: 'function', function: { name: 'get_', arguments: '{}' } }] })]),
      // Some servers repeat the id on every delta.
      chunk([delta({ tool_calls: [{ index: 1, id: 'call_b', function: { name: 'time' } }] })]),
      chunk([delta({}, 'tool_calls')]),
      chunk([], { usage: USAGE }),
    ]);
    const [choice] = completionOf(result)['choices'] as { message: unknown; finish_reason: string }[];
    assert.deepEqual(choice!.message, {
      role: 'assistant',
      content: null,
      refusal: null,
      tool_calls: [
        { id: 'call_a', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } },
        { id: 'call_b', type: 'function', function: { name: 'get_time', arguments: '{}' } },
      ],
    });
    assert.equal(choice!.finish_reason, 'tool_calls');
  });

  test('a refusal is gathered like content', () => {
    const result = assemble([chunk([delta({ role: 'assistant', content: null, refusal: '' })]), chunk([delta({ refusal: "I can't" })]), chunk([delta({ refusal: ' help.' }, 'stop')]), chunk([], { usage: USAGE })]);
    const [choice] = completionOf(result)['choices'] as { message: unknown }[];
    assert.deepEqual(choice!.message, { role: 'assistant', content: null, refusal: "I can't help." });
  });

  test('without a usage chunk, the usage the gateway knows is written in OpenAI shape', () => {
    const payloads = [chunk([delta({ role: 'assistant', content: 'hi' }, 'stop')])];
    notCacheable(assemble(payloads), /no usage/);
    const result = assemble(payloads, { prompt_tokens: 4, completion_tokens: 1, total_tokens: 5, cached_tokens: 2 });
    assert.deepEqual(completionOf(result)['usage'], { prompt_tokens: 4, completion_tokens: 1, total_tokens: 5, prompt_tokens_details: { cached_tokens: 2 } });
  });

  test('Azure: the prompt-filter chunk and content filter results are metadata, left out', () => {
    const result = assemble([
      JSON.stringify({ choices: [], created: 0, id: '', model: '', object: '', prompt_filter_results: [{ prompt_index: 0, content_filter_results: {} }] }),
      chunk([{ ...(delta({ role: 'assistant', content: 'ok' }) as object), content_filter_results: { hate: { filtered: false } } }]),
      chunk([delta({}, 'stop')], { usage: USAGE }),
    ]);
    const completion = completionOf(result);
    assert.equal(completion['id'], 'chatcmpl-1');
    assert.equal(completion['created'], 1700000000);
    assert.deepEqual((completion['choices'] as { message: unknown }[])[0]!.message, { role: 'assistant', content: 'ok', refusal: null });
  });

  test('pushFrames takes the frames as the gateway writes them, comments included', () => {
    const assembler = new StreamAssembler();
    assembler.pushFrames(`: keep-alive\n\ndata: ${chunk([delta({ role: 'assistant', content: 'a' })])}\n\ndata: ${chunk([delta({ content: 'b' }, 'stop')])}\n\n`);
    assembler.pushFrames(`data: ${chunk([], { usage: USAGE })}\n\ndata: [DONE]\n\n`);
    assert.equal((completionOf(assembler.finish())['choices'] as { message: { content: string } }[])[0]!.message.content, 'ab');
  });

  test('refuses what it cannot represent, rather than caching it wrong', () => {
    const start = chunk([delta({ role: 'assistant', content: '' })]);
    const end = [chunk([delta({}, 'stop')]), chunk([], { usage: USAGE })];
    const cases: [string[], RegExp][] = [
      [[start, chunk([{ index: 0, delta: { content: 'x' }, logprobs: { content: [] }, finish_reason: null }]), ...end], /logprobs/],
      [[start, chunk([delta({ audio: { id: 'a', data: 'AAAA' } })]), ...end], /audio/],
      [[start, chunk([delta({ function_call: { name: 'f' } })]), ...end], /function_call/],
      [[start, chunk([delta({ reasoning_content: 'thinking…' })]), ...end], /reasoning_content/],
      [[start, chunk([delta({ tool_calls: [{ index: 0, type: 'custom', custom: { name: 'x' } }] })]), ...end], /custom/],
      [[start, chunk([delta({ tool_calls: [{ index: 0, id: 'a' }] })]), chunk([delta({ tool_calls: [{ index: 0, id: 'b' }] })]), ...end], /changed its id/],
      [[start, chunk([delta({ tool_calls: [{ index: 0, function: { name: 'f', arguments: '{}' } }] })]), ...end], /without an id/],
      [[start, JSON.stringify({ error: { message: 'overloaded' } }), ...end], /error/],
      [[start, '{not json', ...end], /not JSON/],
      [[start, chunk([delta({ content: 'cut' })])], /did not finish/],
      [[chunk([], { usage: USAGE })], /no choices/],
      [[start, chunk([delta({ content: 1 })]), ...end], /content is not a string/],
      [[start, chunk([delta({}, 'stop', 9999)]), ...end], /valid index/],
    ];
    for (const [payloads, reason] of cases) notCacheable(assemble(payloads), reason);
  });

  test('what reasoning servers send empty next to the text does not stop caching', () => {
    const result = assemble([chunk([delta({ role: 'assistant', content: 'x', reasoning_content: '', audio: null })]), chunk([delta({}, 'stop')], { usage: USAGE })]);
    assert.equal(result.ok, true);
  });

  test('gives up once the answer passes maxChars, and lets go of what it gathered', () => {
    const assembler = new StreamAssembler({ maxChars: 10 });
    assembler.push(chunk([delta({ role: 'assistant', content: '12345' })]));
    assert.equal(assembler.cacheable, true);
    assembler.push(chunk([delta({ content: '678901' })]));
    assert.equal(assembler.cacheable, false);
    assembler.push(chunk([delta({}, 'stop')], { usage: USAGE }));
    notCacheable(assembler.finish(), /larger than/);
  });
});

describe('StreamAssembler on the simulator', () => {
  let sim: SimulatorHandle;
  before(async () => {
    sim = await startSimulator(simulatorSettings({ completion_tokens: 40, chunk_tokens: 3 }));
  });
  after(() => sim.close());

  async function post(body: Record<string, unknown>): Promise<Buffer> {
    const res = await request(`${sim.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    assert.equal(res.statusCode, 200);
    return Buffer.from(await res.body.arrayBuffer());
  }

  test('the assembled stream equals the non-streamed answer, but for id and created', async () => {
    const request = { model: 'm', messages: [{ role: 'user', content: 'Tell me something' }], max_tokens: 30 };
    const whole = JSON.parse((await post(request)).toString()) as Record<string, unknown>;
    for (const includeUsage of [true, false]) {
      const raw = await post({ ...request, stream: true, stream_options: { include_usage: includeUsage } });
      const assembler = new StreamAssembler();
      for (const event of new SseParser().push(raw)) assembler.push(event.data);
      // Without include_usage, the gateway passes the usage it read from the upstream.
      const assembled = completionOf(assembler.finish(includeUsage ? undefined : (whole['usage'] as Usage)));
      assert.deepEqual({ ...assembled, id: whole['id'], created: whole['created'] }, whole);
    }
  });
});
