// What the default guardrails cost per request, outside any server: the input policy over the messages of the
// benchmark's ~1 KB chat body (without the verdict cache, so every message is checked), and the output policy over a
// chat answer's JSON. Run: npm run bench:guardrails
import { parseConfig } from '../src/config/load.ts';
import { GuardrailPolicies, runGuardrails } from '../src/guardrails/guardrail-policies.ts';

const ROUNDS = 20_000;
const policy = new GuardrailPolicies(parseConfig('models:\n  m:\n    backends:\n      - provider: simulator\n', 'bench', {}).guardrails).named('default')!;
const messages = [
  'You are a helpful assistant used for gateway benchmarking. '.repeat(3),
  ...Array.from({ length: 9 }, (_, i) => `Benchmark message ${i}: the quick brown fox jumps over the lazy dog.`),
];
const answer = JSON.stringify({
  id: 'chatcmpl-1',
  object: 'chat.completion',
  created: 1_700_000_000,
  model: 'gpt-4o-mini',
  choices: [{ index: 0, message: { role: 'assistant', content: 'The quick brown fox jumps over the lazy dog. '.repeat(8) }, finish_reason: 'stop' }],
  usage: { prompt_tokens: 230, completion_tokens: 80, total_tokens: 310 },
});

function perCall(run: () => void): number {
  for (let i = 0; i < ROUNDS / 10; i++) run();
  const start = performance.now();
  for (let i = 0; i < ROUNDS; i++) run();
  return ((performance.now() - start) * 1000) / ROUNDS;
}

const input = perCall(() => {
  for (const m of messages) runGuardrails(policy, 'input', m, 'user');
});
const output = perCall(() => runGuardrails(policy, 'output', answer));
console.log(`default input guardrails, ${messages.length} messages (${messages.join('').length} chars): ${input.toFixed(1)} µs per request`);
console.log(`default output guardrails, ${answer.length}-byte answer: ${output.toFixed(1)} µs per response`);
