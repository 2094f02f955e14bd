// What the semantic cache embeds (the last user message's text) and what must match exactly (everything else).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { lastUserText, semanticScope, type SemanticScopeParts } from '../../../src/cache/semantic-scope.ts';

const BODY = {
  model: 'gpt-4o-mini',
  messages: [
    { role: 'system', content: 'Answer in one sentence.' },
    { role: 'user', content: 'Hi' },
    { role: 'assistant', content: 'Hello! How can I help?' },
    { role: 'user', content: 'What is the capital of France?' },
  ],
};
const PARTS: SemanticScopeParts = { tenant: 't1', model: 'gpt-4o-mini', modelVersion: 'v1', embeddingsModel: 'emb', body: BODY };

const withLast = (content: unknown): Record<string, unknown> => ({ ...BODY, messages: [...BODY.messages.slice(0, -1), { role: 'user', content }] });

describe('lastUserText', () => {
  test('the last user message, as a string or text parts', () => {
    assert.equal(lastUserText(BODY.messages), 'What is the capital of France?');
    assert.equal(lastUserText([{ role: 'user', content: [{ type: 'text', text: 'a' }, { type: 'text', text: 'b' }] }]), 'a\nb');
    assert.equal(lastUserText([...BODY.messages, { role: 'assistant', content: 'Paris' }]), 'What is the capital of France?');
  });

  test('none for no user message, a blank one, or one with more than text', () => {
    assert.equal(lastUserText([{ role: 'system', content: 'x' }]), undefined);
    assert.equal(lastUserText([{ role: 'user', content: '  \n' }]), undefined);
    assert.equal(lastUserText([{ role: 'user', content: [{ type: 'text', text: 'what is this?' }, { type: 'image_url', image_url: { url: 'data:,' } }] }]), undefined);
    assert.equal(lastUserText('not an array'), undefined);
  });
});

describe('semanticScope', () => {
  const scope = (parts: Partial<SemanticScopeParts> = {}): string | undefined => semanticScope({ ...PARTS, ...parts });

  test('ignores the last user message and the fields that do not change the answer', () => {
    const base = scope();
    assert.match(base!, /^[A-Za-z0-9_-]{43}$/);
    assert.equal(scope({ body: withLast("what's the capital city of France") }), base);
    assert.equal(scope({ body: { ...BODY, stream: true, user: 'u2', metadata: { k: 'v' } } }), base);
  });

  test('changes with the tenant, the models, the system prompt, the conversation and the parameters', () => {
    const base = scope();
    const others = [
      scope({ tenant: 't2' }),
      scope({ model: 'gpt-4o' }),
      scope({ modelVersion: 'v2' }),
      scope({ embeddingsModel: 'emb-2' }),
      scope({ body: { ...BODY, messages: [{ role: 'system', content: 'Answer at length.' }, ...BODY.messages.slice(1)] } }),
      scope({ body: { ...BODY, messages: BODY.messages.slice(2) } }),
      scope({ body: { ...BODY, response_format: { type: 'json_object' } } }),
      scope({ body: { ...BODY, temperature: 0.9 } }),
      scope({ body: { ...BODY, tools: [{ type: 'function', function: { name: 'f' } }] } }),
      scope({ body: { ...BODY, messages: [...BODY.messages, { role: 'assistant', content: 'The capital is' }] } }),
    ];
    for (const [i, other] of others.entries()) assert.notEqual(other, base, `variant ${i}`);
    assert.equal(new Set(others).size, others.length);
  });

  test('the name on the last user message still counts', () => {
    assert.notEqual(scope({ body: { ...BODY, messages: [...BODY.messages.slice(0, -1), { role: 'user', name: 'bob', content: 'What is the capital of France?' }] } }), scope());
  });

  test('none for a request without a last user text, which the semantic cache skips', () => {
    assert.equal(scope({ body: withLast([{ type: 'image_url', image_url: { url: 'data:,' } }]) }), undefined);
    assert.equal(scope({ body: { model: 'm' } }), undefined);
  });

  test('the same request in another key order is the same scope; one nested beyond reason has none', () => {
    const reordered = { messages: BODY.messages.map((m) => ({ content: m.content, role: m.role })), model: BODY.model };
    assert.equal(scope({ body: reordered }), scope());
    let deep: unknown = 'x';
    for (let i = 0; i < 100_000; i++) deep = [deep];
    assert.equal(scope({ body: { ...BODY, deep } }), undefined);
  });

  test('does not change the body', () => {
    const body = structuredClone(BODY);
    semanticScope({ ...PARTS, body });
    assert.deepEqual(body, BODY);
  });
});
