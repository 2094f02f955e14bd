// OpenAI's moderation endpoint: flagged or not, with the categories that flagged it.
import type { RemoteCheck } from './remote-check.ts';
import { postJson, whole } from './remote-check.ts';

export function openaiModeration(endpoint: string, key: string, model: string): RemoteCheck {
  const url = `${endpoint}/moderations`;
  return async (text, signal) => {
    const answer = (await postJson(url, { authorization: `Bearer ${key}` }, { model, input: text }, signal)) as {
      results?: { flagged?: boolean; categories?: Record<string, boolean>; category_scores?: Record<string, number> }[];
    };
    const result = answer.results?.[0];
    if (result?.flagged !== true) return [];
    const categories = Object.entries(result.categories ?? {}).filter(([, on]) => on).map(([name]) => name);
    return (categories.length > 0 ? categories : ['flagged']).map((c) => whole(text, `moderation:${c}`, result.category_scores?.[c] ?? 1));
  };
}
