// The stream output guard at the level of frames: held-back text, redaction across frames, the frame shapes taken
// without a parse and those that need one.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { singleChoiceContent, StreamOutputGuard } from '../../../src/guardrails/stream-guard.ts';
import { Guardrail } from '../../../src/guardrails/guardrail.ts';

const frame = (delta: Record<string, unknown>, finish: string | null = null, index = 0): string =>
  `data: ${JSON.stringify({ id: 'x', object: 'chat.completion.chunk', choices: [{ index, delta, finish_reason: finish }] })}\n\n`;
const contentOf = (frames: string): string =>
  frames
    .split('\n\n')
    .filter((f) => f.startsWith('data: {'))
    .map((f) => (JSON.parse(f.slice(6)) as { choices: { delta: { content?: string } }[] }).choices.map((c) => c.delta.content ?? '').join(''))
    .join('');

describe('singleChoiceContent', () => {
  test('finds the content literal, escapes and role included', () => {
    const data = frame({ role: 'assistant', content: 'say "hi"\nthen \\ go' }).slice(6, -2);
    const found = singleChoiceContent(data)!;
    assert.equal(found.value, 'say "hi"\nthen \\ go');
    assert.equal(data.slice(found.start, found.end), JSON.stringify('say "hi"\nthen \\ go'));
    assert.equal(found.hasRole, true);
    assert.equal(singleChoiceContent(frame({ content: 'end' }, 'stop').slice(6, -2))?.finishing, true);
  });

  test('declines what it cannot read safely: two choices, tool calls', () => {
    const two = `{"choices":[{"index":0,"delta":{"content":"a"}},{"index":1,"delta":{"content":"b"}}]}`;
    assert.equal(singleChoiceContent(two), undefined);
    assert.equal(singleChoiceContent(frame({ tool_calls: [{ index: 0 }], content: 'x' }).slice(6, -2)), undefined);
  });

  test('reads an empty delta as a place to put held text, finishing or not', () => {
    const finish = frame({}, 'stop').slice(6, -2);
    const found = singleChoiceContent(finish)!;
    assert.deepEqual(found, { start: finish.indexOf('{}') + 1, end: finish.indexOf('{}') + 1, value: '', finishing: true, hasRole: false, empty: true });
    assert.equal(singleChoiceContent(frame({}).slice(6, -2))?.finishing, false);
  });

  test('reads the shapes upstreams send: logprobs null, extra scalar fields, usage after the choices', () => {
    const openai = `{"id":"c","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":"Hi"},"logprobs":null,"finish_reason":null}]}`;
    assert.deepEqual(singleChoiceContent(openai), { start: openai.indexOf('"Hi"'), end: openai.indexOf('"Hi"') + 4, value: 'Hi', finishing: false, hasRole: false, empty: false });
    const vllm = `{"choices":[{"index":0,"delta":{"content":"Hi"},"logprobs":null,"finish_reason":"stop","stop_reason":null}],"usage":{"prompt_tokens":3}}`;
    assert.equal(singleChoiceContent(vllm)?.finishing, true);
  });

  test("reads only the choices' delta, with or without the previous chunk's shape", () => {
    const shape = { delta: -1, tail: '' };
    const first = frame({ content: 'Hi' }).slice(6, -2);
    assert.equal(singleChoiceContent(first, shape)?.value, 'Hi');
    assert.deepEqual(shape, { delta: first.indexOf('"delta"'), tail: ',"finish_reason":null}]' });
    const next = frame({ content: 'there' }).slice(6, -2);
    assert.deepEqual(singleChoiceContent(next, shape), singleChoiceContent(next));
    assert.equal(singleChoiceContent(next, shape)?.value, 'there');
    // A shape that no longer fits (the id grew, the tail names a finish) falls back to the search.
    const moved = `{"id":"a-longer-id",${next.slice(1)}`;
    assert.equal(singleChoiceContent(moved, shape)?.value, 'there');
    assert.equal(shape.delta, moved.indexOf('"delta"'));
    assert.equal(singleChoiceContent(frame({ content: '.' }, 'stop').slice(6, -2), { ...shape })?.finishing, true);
    assert.equal(singleChoiceContent(`{"id":"a-longer-id",${frame({ content: '.' }, null, 1).slice(7, -2)}`, { ...shape }), undefined);
    // A delta under another key is not the answer's: the frame takes the full parse, which reads the choices.
    const decoy = `{"x":[{"index":0,"delta":{"content":"benign"}}],"choices":[{"index":0,"delta":{"content":"sk-secret"}}]}`;
    assert.equal(singleChoiceContent(decoy), undefined);
    assert.equal(singleChoiceContent(decoy, { delta: decoy.lastIndexOf('"delta"'), tail: '' })?.value, 'sk-secret');
  });

  test('reads a chunk in place, among other frames, by its bounds', () => {
    const frames = frame({ content: 'one' }) + frame({ content: 'two' });
    const from = frames.indexOf('data: ', 1) + 6;
    const found = singleChoiceContent(frames, undefined, from, frames.length - 2)!;
    assert.equal(found.value, 'two');
    assert.equal(frames.slice(found.start, found.end), '"two"');
    // The first chunk's bounds end before the second's delta: the search does not run on into it.
    const cut = frames.indexOf('"delta"');
    assert.equal(singleChoiceContent(frames, undefined, 6, cut), undefined);
  });

  test('declines a choice of another index, logprobs, a field after the content, or a cut frame', () => {
    assert.equal(singleChoiceContent(frame({ content: 'x' }, null, 1).slice(6, -2)), undefined);
    const logprobs = `{"choices":[{"index":0,"delta":{"content":"Hi"},"logprobs":{"content":[{"token":"Hi"}]},"finish_reason":null}]}`;
    assert.equal(singleChoiceContent(logprobs), undefined);
    const after = `{"choices":[{"index":0,"delta":{"content":"Hi","refusal":null},"finish_reason":null}]}`;
    assert.equal(singleChoiceContent(after), undefined);
    assert.equal(singleChoiceContent(`{"choices":[{"index":0,"delta":{"content":"Hi`), undefined);
    assert.equal(singleChoiceContent(`{"choices":[{"index":0,"delta":{"role":"tool","content":"Hi"},"finish_reason":null}]}`), undefined);
  });
});

describe('StreamOutputGuard', () => {
  const pii = new Guardrail('pii', { type: 'pii', action: 'redact', stages: ['output'], threshold: 0.5, on_error: 'fail-closed', timeout_ms: 2_000, severity: 4, reversible: false });

  test('a card split across frames, in one choice or in two, is released redacted; other text is unchanged', () => {
    for (const index of [0, 1]) {
      const guard = new StreamOutputGuard([pii]);
      let out = '';
      for (const piece of ['Card 4111 1111 ', '1111 1111 and ', 'a long tail of ordinary words that goes on for a while.']) out += guard.push(frame({ content: piece }, null, index)).frames;
      out += guard.push(frame({}, 'stop', index)).frames;
      assert.equal(contentOf(out), 'Card [CREDIT_CARD] and a long tail of ordinary words that goes on for a while.', `choice ${index}`);
    }
  });

  test('frames with nothing to redact go out as they came, each once HOLD characters of text follow it', () => {
    const guard = new StreamOutputGuard([pii]);
    const role = frame({ role: 'assistant', content: '' });
    assert.equal(guard.push(role).frames, role, 'the role is not held');
    const words = Array.from({ length: 12 }, (_, i) => frame({ content: `word${i} ` }));
    let out = '';
    for (const [i, w] of words.entries()) {
      out += guard.push(w).frames;
      // 6 characters a frame: a frame goes once 48 more have come, i.e. eight frames later.
      assert.equal(out, words.slice(0, Math.max(0, i - 7)).join(''), `after frame ${i}`);
    }
    const finish = frame({}, 'stop');
    out += guard.push(finish).frames;
    assert.equal(out, words.join('') + finish, 'byte for byte, ids and chunk boundaries included');
  });

  test('a match found in frames held whole is redacted all the same, and what follows it too', () => {
    const guard = new StreamOutputGuard([pii]);
    let out = '';
    for (const piece of ['Call me ', 'at 4111 ', '1111 1111 1111', ' or later']) out += guard.push(frame({ content: piece })).frames;
    out += guard.push(frame({ content: ', 4012 8888 8888 1881, thanks' })).frames + guard.push(frame({}, 'stop')).frames + guard.flush().frames;
    assert.equal(contentOf(out), 'Call me at [CREDIT_CARD] or later, [CREDIT_CARD], thanks');
  });

  test('frames handed over together read as if they came one by one, a frame without its blank line included', () => {
    const streams = {
      'Reach me at [CREDIT_CARD] any day. A longer tail of plain words follows it here.': ['Reach me ', 'at 4111 1111 ', '1111 1111', ' any day. ', 'A longer tail of plain words follows it here.'],
      'Nothing to hide in this answer, only plain words.': ['Nothing to hide ', 'in this answer, ', 'only plain words.'],
    };
    for (const [expected, pieces] of Object.entries(streams)) {
      const frames = [frame({ role: 'assistant', content: '' }), ...pieces.map((p) => frame({ content: p })), frame({}, 'stop')];
      const one = new StreamOutputGuard([pii]);
      const oneByOne = frames.map((f) => one.push(f).frames).join('') + one.flush().frames;
      const together = new StreamOutputGuard([pii]);
      // Two pushes of several frames each; the last frame comes without its blank line, and goes out with it.
      const byTwo = together.push(frames.slice(0, 3).join('')).frames + together.push(frames.slice(3).join('').slice(0, -2)).frames + together.flush().frames;
      assert.equal(byTwo, oneByOne, expected);
      assert.equal(contentOf(byTwo), expected);
    }
  });

  test('the held tail comes out at the end even without a finish frame', () => {
    const guard = new StreamOutputGuard([pii]);
    const out = guard.push(frame({ content: 'short answer' })).frames + guard.flush().frames;
    assert.equal(contentOf(out), 'short answer');
  });
});
