import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Histogram, Registry } from 'prom-client';
import { TalliedHistogram } from '../../src/observability/tallied-histogram.ts';

test("a tallied histogram prints exactly what prom-client's Histogram prints for the same observations", async () => {
  const buckets = [0.005, 0.1, 1, 30];
  const theirs = new Registry();
  const ours = new Registry();
  const reference = new Histogram({ name: 'h_seconds', help: 'help', labelNames: ['endpoint', 'model'], buckets, registers: [theirs] });
  const tallied = new TalliedHistogram<'endpoint' | 'model'>({ name: 'h_seconds', help: 'help', buckets, registers: [ours] });
  const a = tallied.series({ endpoint: '/v1/chat/completions', model: 'gpt' });
  const b = tallied.series({ endpoint: '/v1/embeddings', model: '' });
  for (const v of [0.001, 0.005, 0.0051, 0.2, 1, 29.9, 30, 31, 1e6]) {
    reference.observe({ endpoint: '/v1/chat/completions', model: 'gpt' }, v);
    tallied.observe(a, v);
  }
  reference.observe({ endpoint: '/v1/embeddings', model: '' }, 0.05);
  tallied.observe(b, 0.05);
  assert.equal(await ours.metrics(), await theirs.metrics());
  reference.reset();
  tallied.reset();
  reference.zero({ endpoint: '/v1/chat/completions', model: 'gpt' });
  reference.zero({ endpoint: '/v1/embeddings', model: '' });
  assert.equal(await ours.metrics(), await theirs.metrics());
});
