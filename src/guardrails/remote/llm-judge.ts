// A model as judge, through any OpenAI-compatible endpoint (a Llama Guard deployment, or a model of this gateway).
// The answer is read the Llama Guard way: a first line "safe" or "unsafe", then the violated categories (S1, S2…).
import type { RemoteCheck } from './remote-check.ts';
import { postJson, whole } from './remote-check.ts';
import { RemoteGuardrailError } from './remote-check.ts';

export function llmJudge(endpoint: string, key: string, model: string): RemoteCheck {
  const url = `${endpoint}/chat/completions`;
  return async (text, signal) => {
    const answer = (await postJson(url, key === '' ? {} : { authorization: `Bearer ${key}` }, { model, messages: [{ role: 'user', content: text }], max_tokens: 20, temperature: 0 }, signal)) as {
      choices?: { message?: { content?: unknown } }[];
    };
    const verdict = answer.choices?.[0]?.message?.content;
    if (typeof verdict !== 'string') throw new RemoteGuardrailError('the judge gave no verdict');
    const [first = '', ...rest] = verdict.trim().split(/\s*\n\s*|,\s*/);
    if (/^safe$/i.test(first)) return [];
    if (!/^unsafe$/i.test(first)) throw new RemoteGuardrailError(`the judge answered "${verdict.slice(0, 40)}", neither safe nor unsafe`);
    const categories = rest.filter((c) => /^S\d+$/i.test(c));
    return (categories.length > 0 ? categories : ['unsafe']).map((c) => whole(text, `judge:${c}`, 1));
  };
}
