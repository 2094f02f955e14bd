// The simulator's embeddings are semantic enough for a semantic cache to be tested against: paraphrases are near,
// unrelated texts are not, and equal inputs give equal unit vectors.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { embed } from '../../../src/providers/simulator/embeddings.ts';

function cosine(a: string, b: string, dimensions = 256): number {
  const x = embed(a, dimensions);
  const y = embed(b, dimensions);
  let dot = 0;
  for (let i = 0; i < dimensions; i++) dot += x[i]! * y[i]!;
  return dot;
}

describe('simulator embeddings', () => {
  test('paraphrases are at 0.85 or more', () => {
    const paraphrases: [string, string][] = [
      ['What is the capital of France?', "what's the capital city of France"],
      ['How do I reset my password?', 'How can I reset my password'],
      ['Can you recommend a good book on machine learning?', 'Recommend a good machine learning book'],
      ["I don't understand recursion", 'I do not understand recursion!'],
      ['List the planets of the solar system', 'list the planet of the Solar System.'],
    ];
    for (const [a, b] of paraphrases) {
      const similarity = cosine(a, b);
      assert.ok(similarity >= 0.85, `${similarity.toFixed(3)}: "${a}" / "${b}"`);
    }
  });

  test('unrelated texts are below 0.3, and another subject in the same words is below a paraphrase', () => {
    assert.ok(cosine('What is the capital of France?', 'How do I bake sourdough bread?') < 0.3);
    assert.ok(cosine('Write a haiku about autumn leaves', 'Summarise this article about climate policy') < 0.3);
    const paraphrase = cosine('What is the capital of France?', "what's the capital city of France");
    assert.ok(cosine('What is the capital of France?', 'What is the capital of Spain?') < paraphrase);
  });

  test('word order still counts a little', () => {
    const similarity = cosine('dog bites man', 'man bites dog');
    assert.ok(similarity < 0.999 && similarity > 0.8, `${similarity}`);
  });

  test('deterministic unit vectors, in any dimension, for any input', () => {
    for (const input of ['What is the capital of France?', '', '?!', '1,2,3', 'é😀 ünïcödé']) {
      for (const dimensions of [1, 8, 256, 1536]) {
        const v = embed(input, dimensions);
        assert.equal(v.length, dimensions);
        assert.deepEqual(v, embed(input, dimensions));
        assert.ok(Math.abs(Math.hypot(...v) - 1) < 1e-5, `${input} @ ${dimensions}`);
      }
    }
    assert.notDeepEqual(embed('alpha', 256), embed('beta', 256));
  });
});
