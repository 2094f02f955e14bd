// What the cost features cost per request, outside any server: the exact cache's key, a semantic cache lookup, the
// prompt's token count (new texts, and texts seen before), and admission plus settlement against a budget and both
// rate limits in the process's own store. Run: npm run bench:cost
import { exactCacheKey } from '../src/cache/exact-key.ts';
import { SemanticIndex } from '../src/cache/semantic-index.ts';
import { countPromptTokens } from '../src/metering/estimate-usage.ts';
import { InProcessQuotaStore } from '../src/stores/memory/quota-store.ts';
import { planCharges, type QuotaSubject } from '../src/quota/quota-plan.ts';
import { addRateLimitHeaders } from '../src/quota/rate-limit-headers.ts';

function perCall(rounds: number, run: (i: number) => unknown): number {
  for (let i = 0; i < rounds / 10; i++) run(i);
  const start = performance.now();
  for (let i = 0; i < rounds; i++) run(i);
  return ((performance.now() - start) * 1000) / rounds;
}

async function perCallAsync(rounds: number, run: (i: number) => Promise<unknown>): Promise<number> {
  for (let i = 0; i < rounds / 10; i++) await run(i);
  const start = performance.now();
  for (let i = 0; i < rounds; i++) await run(i);
  return ((performance.now() - start) * 1000) / rounds;
}

// The shared benchmark's ~1 KB chat body (../shared/bench/peer-bench.sh).
const messages: { role: string; content: string }[] = [{ role: 'system', content: 'You are a helpful assistant used for gateway benchmarking. '.repeat(3) }];
for (let i = 0; JSON.stringify(messages).length < 900; i++) {
  messages.push({ role: i % 2 ? 'assistant' : 'user', content: `Benchmark message ${i}: the quick brown fox jumps over the lazy dog.` });
}
const body = { model: 'gpt-4o-mini', messages, temperature: 0, max_tokens: 64 };
const scope = { tenant: 'team_1', model: 'gpt-4o-mini', modelVersion: 'openai:gpt-4o-mini' };
const bytes = JSON.stringify(body).length;
const results: [string, number][] = [];

results.push([`exact cache key, ${bytes}-byte body`, perCall(50_000, () => exactCacheKey(scope, body))]);

const unit = (seed: number, dims: number): Float32Array => {
  const v = new Float32Array(dims);
  let s = seed;
  for (let i = 0; i < dims; i++) v[i] = ((s = (s * 1_103_515_245 + 12_345) >>> 0) / 2 ** 32) * 2 - 1;
  return v;
};
const index = new SemanticIndex<string>(10_000);
for (let i = 0; i < 1000; i++) index.insert('scope', unit(i + 1, 1536), `answer ${i}`, 3_600_000);
const query = unit(500, 1536);
results.push(['semantic lookup among 1,000 entries of 1,536 dimensions', perCall(500, () => index.lookup('scope', query, 0.95))]);

await countPromptTokens('chat', body); // loads the tokenizer
results.push([`prompt tokens, ${messages.length} messages seen before`, await perCallAsync(50_000, () => countPromptTokens('chat', body))]);
results.push([
  `prompt tokens, ${messages.length} new messages`,
  await perCallAsync(5_000, (i) => countPromptTokens('chat', { ...body, messages: messages.map((m) => ({ ...m, content: `${m.content} ${i}` })) })),
]);

const store = new InProcessQuotaStore();
const subject: QuotaSubject = { scope: 'key', id: 'key_1', label: 'key "bench"', quota: { budget_usd: 1e9, period: 'month', rpm: 1e9, tpm: 1e12 } };
results.push([
  'admission and settlement: budget, requests and tokens per minute, with the rate-limit headers',
  await perCallAsync(50_000, async () => {
    const now = Date.now();
    const charges = planCharges([subject], { tokens: 300, microUsd: 90 }, now);
    const result = await store.admit(charges, now);
    addRateLimitHeaders({}, charges, result.states, now);
    await store.adjust(charges.filter((c) => c.limitKind !== 'requests').map((c) => ({ key: c.key, window: c.window, delta: -10, chargedAt: now })));
  }),
]);

for (const [what, us] of results) console.log(`${what}: ${us.toFixed(1)} µs`);
