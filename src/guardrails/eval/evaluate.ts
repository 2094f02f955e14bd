// Scoring a guardrail policy on labelled prompts: per category, how many attacks it stopped (detection) and how many
// benign prompts it stopped (false positives). Shared by `archway redteam`, which gets its verdicts from a live
// gateway, and by tests, which get them from the policy directly.
export interface LabelledPrompt {
  category: string;
  text: string;
  /** A benign prompt made to look like an attack (mentions passwords, instructions, system prompts…). */
  hard?: boolean;
}

export const BENIGN = 'benign';

export interface CategoryScore {
  category: string;
  total: number;
  stopped: number;
  /** stopped / total: detection for attacks, the false-positive rate for benign prompts. */
  rate: number;
  /** The prompts it got wrong (attacks let through, benign prompts stopped), for the report. */
  misses: string[];
}

export interface Scorecard {
  categories: CategoryScore[];
  /** Over every attack category. */
  detection: number;
  falsePositiveRate: number;
}

export function scorecard(results: readonly { prompt: LabelledPrompt; stopped: boolean }[]): Scorecard {
  const byCategory = new Map<string, CategoryScore>();
  for (const { prompt, stopped } of results) {
    let score = byCategory.get(prompt.category);
    if (score === undefined) byCategory.set(prompt.category, (score = { category: prompt.category, total: 0, stopped: 0, rate: 0, misses: [] }));
    score.total++;
    if (stopped) score.stopped++;
    if (stopped === (prompt.category === BENIGN)) score.misses.push(prompt.text);
  }
  const categories = [...byCategory.values()].map((s) => ({ ...s, rate: s.total === 0 ? 0 : s.stopped / s.total }));
  const attacks = categories.filter((c) => c.category !== BENIGN);
  const attackTotal = attacks.reduce((n, c) => n + c.total, 0);
  const benign = categories.find((c) => c.category === BENIGN);
  return {
    categories,
    detection: attackTotal === 0 ? 0 : attacks.reduce((n, c) => n + c.stopped, 0) / attackTotal,
    falsePositiveRate: benign?.rate ?? 0,
  };
}

export function parseCorpus(text: string, source: string): LabelledPrompt[] {
  return text
    .split('\n')
    .map((line, i) => [line, i] as const)
    .filter(([line]) => line.trim() !== '')
    .map(([line, i]) => {
      const value = JSON.parse(line) as Partial<LabelledPrompt>;
      if (typeof value.text !== 'string' || typeof value.category !== 'string') throw new Error(`${source} line ${i + 1}: expected {"category", "text"}`);
      return { category: value.category, text: value.text, hard: value.hard === true };
    });
}
