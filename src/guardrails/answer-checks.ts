// Checks of a whole answer against its request: does it echo the system prompt (a run of eight or more of its words,
// verbatim), and does it match the JSON schema the request asked for (`response_format: json_schema`)?
import type { Detector } from './finding.ts';
import { compile, type Validator } from '../validation/compile.ts';

export interface AnswerContext {
  /** The request's system messages, joined. */
  systemPrompt?: string;
  /** `response_format.json_schema.schema` of the request. */
  jsonSchema?: object;
}

export type AnswerDetector = (text: string, context: AnswerContext) => ReturnType<Detector>;

const SHINGLE = 8;
const WORD = /[\p{L}\p{N}']+/gu;

function words(text: string): { word: string; start: number; end: number }[] {
  return [...text.matchAll(WORD)].map((m) => ({ word: m[0].toLowerCase(), start: m.index, end: m.index + m[0].length }));
}

export const detectSystemPromptEcho: AnswerDetector = (text, context) => {
  const system = context.systemPrompt;
  if (system === undefined || system.length < 40) return [];
  const source = words(system).map((w) => w.word);
  if (source.length < SHINGLE) return [];
  const shingles = new Set<string>();
  for (let i = 0; i + SHINGLE <= source.length; i++) shingles.add(source.slice(i, i + SHINGLE).join(' '));
  const answer = words(text);
  const hits: ReturnType<Detector> = [];
  for (let i = 0; i + SHINGLE <= answer.length; i++) {
    if (!shingles.has(answer.slice(i, i + SHINGLE).map((w) => w.word).join(' '))) continue;
    const start = answer[i]!.start;
    let last = i + SHINGLE - 1;
    // Extend over the overlapping shingles that follow: one finding per echoed run.
    while (last + 1 < answer.length && shingles.has(answer.slice(last + 2 - SHINGLE, last + 2).map((w) => w.word).join(' '))) last++;
    const end = answer[last]!.end;
    hits.push({ type: 'system_prompt_echo', text: text.slice(start, end).slice(0, 200), start, end, score: 1 });
    i = last;
  }
  return hits;
};

const validators = new Map<string, Validator<unknown>>();
const MAX_CACHED_SCHEMAS = 1_000;

export const detectSchemaMismatch: AnswerDetector = (text, context) => {
  if (context.jsonSchema === undefined) return [];
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return [{ type: 'json_schema:not_json', text: text.slice(0, 200), start: 0, end: text.length, score: 1 }];
  }
  const key = JSON.stringify(context.jsonSchema);
  let validate = validators.get(key);
  if (validate === undefined) {
    try {
      validate = compile<unknown>(context.jsonSchema, { transient: true });
    } catch {
      return []; // the client's schema is not one we can compile: nothing to hold the answer to
    }
    if (validators.size >= MAX_CACHED_SCHEMAS) validators.clear();
    validators.set(key, validate);
  }
  if (validate(value)) return [];
  const problem = validate.errors()[0];
  return [{ type: 'json_schema:mismatch', text: `${problem?.path || '(root)'} ${problem?.message ?? ''}`.trim(), start: 0, end: text.length, score: 1 }];
};
