import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TextMemo } from '../../src/text-memo.ts';

test('a remembered value comes back for an equal text (a fresh string), never for a different one', () => {
  const memo = new TextMemo<number>();
  const text = 'You are a helpful assistant. '.repeat(20);
  memo.set(text, 1);
  assert.equal(memo.get(JSON.parse(JSON.stringify(text)) as string), 1);
  // Same length, differing in one character.
  const twin = `${text.slice(0, 100)}X${text.slice(101)}`;
  assert.equal(twin.length, text.length);
  assert.equal(memo.get(twin), undefined);
  memo.set(twin, 2);
  assert.equal(memo.get(twin), 2);
  assert.equal(memo.get(text), 1);
  assert.equal(memo.get(''), undefined);
  memo.set('', 3);
  assert.equal(memo.get(''), 3);
});

test('texts of one template are all remembered; the memo stays bounded; long texts are not kept', () => {
  const memo = new TextMemo<number>();
  const base = 'a'.repeat(1000);
  // A template's texts (a conversation's numbered messages): same length, differing in one place. All remembered, in
  // any order of asking.
  const twins = Array.from({ length: 20 }, (_, i) => `${base.slice(0, 500)}${String(i).padStart(2, '0')}${base.slice(502)}`);
  twins.forEach((t, i) => memo.set(t, i));
  for (let round = 0; round < 2; round++) twins.forEach((t, i) => assert.equal(memo.get(t), i));
  assert.equal(memo.size, 20);
  for (let i = 0; i < 12_000; i++) memo.set(`text number ${i}`, i);
  assert.ok(memo.size <= 10_000, `size ${memo.size}`);
  assert.equal(memo.get('text number 11999'), 11_999);
  assert.equal(memo.get('text number 0'), undefined, 'the oldest went first');
  const long = 'x'.repeat(17 * 1024);
  memo.set(long, 1);
  assert.equal(memo.get(long), undefined);
  assert.equal(memo.through(long, () => 5), 5);
});
