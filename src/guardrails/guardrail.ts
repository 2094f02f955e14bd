// A guardrail built from its config: a named detector with a threshold, the stages it runs on, and its action.
import type { CountryCode } from 'libphonenumber-js';
import type { GuardrailConfig } from '../config/guardrails-schema.ts';
import type { Detector, Finding } from './finding.ts';
import { piiDetector } from './pii/detect-pii.ts';
import { detectSecrets } from './pii/detect-secrets.ts';
import { detectInjection } from './injection/detect-injection.ts';
import { wordListDetector } from './word-list.ts';
import { detectProfanity } from './profanity.ts';
import { remoteCheck, type RemoteCheck } from './remote/remote-check.ts';
import { detectSchemaMismatch, detectSystemPromptEcho, type AnswerContext, type AnswerDetector } from './answer-checks.ts';

export type Stage = 'input' | 'output';
export type Action = 'block' | 'redact' | 'flag';

export class Guardrail {
  readonly name: string;
  readonly action: Action;
  readonly stages: ReadonlySet<Stage>;
  readonly failOpen: boolean;
  /** Its redactions are restored in the answer (see vault.ts). */
  readonly reversible: boolean;
  /** Prompt injection is about the caller's own words and documents, not the application's system prompt. */
  readonly skipsSystem: boolean;
  readonly #detect: Detector;
  readonly #threshold: number;
  /** For guardrails that call a service: the call. Local ones have none. */
  readonly #remote: RemoteCheck | undefined;
  readonly #timeoutMs: number;
  /** For guardrails that judge a whole answer against its request. */
  readonly #answer: AnswerDetector | undefined;

  constructor(name: string, config: GuardrailConfig) {
    this.name = name;
    this.action = config.action;
    this.stages = new Set(config.stages);
    this.failOpen = config.on_error === 'fail-open';
    this.reversible = config.reversible && config.action === 'redact';
    this.#threshold = config.threshold;
    this.skipsSystem = config.type === 'prompt_injection' || config.type === 'azure_prompt_shields';
    this.#remote = remoteCheck(config);
    this.#timeoutMs = config.timeout_ms;
    this.#answer = config.type === 'system_prompt_echo' ? detectSystemPromptEcho : config.type === 'json_schema' ? detectSchemaMismatch : undefined;
    this.#detect = detectorFor(config);
  }

  get judgesAnswers(): boolean {
    return this.#answer !== undefined;
  }

  /** An answer-level guardrail's verdict on the whole answer text. */
  checkAnswer(text: string, context: AnswerContext): Finding[] {
    if (this.#answer === undefined) return [];
    return this.#answer(text, context).map((h) => ({ guardrail: this.name, ...h }));
  }

  get remote(): boolean {
    return this.#remote !== undefined;
  }

  /** A remote guardrail's verdict on the text, within its timeout (a late or failing service throws). */
  async checkRemote(text: string): Promise<Finding[]> {
    if (this.#remote === undefined) return this.check(text);
    const hits = await this.#remote(text, AbortSignal.timeout(this.#timeoutMs));
    return hits.filter((h) => h.score >= this.#threshold).map((h) => ({ guardrail: this.name, ...h }));
  }

  check(text: string): Finding[] {
    const out: Finding[] = [];
    for (const hit of this.#detect(text)) if (hit.score >= this.#threshold) out.push({ guardrail: this.name, ...hit });
    return out;
  }
}

function detectorFor(config: GuardrailConfig): Detector {
  switch (config.type) {
    // Judged elsewhere: answer-level ones by checkAnswer, remote ones by checkRemote.
    case 'system_prompt_echo':
    case 'json_schema':
    case 'azure_content_safety':
    case 'azure_prompt_shields':
    case 'openai_moderation':
    case 'llm_judge':
    case 'presidio':
    case 'azure_pii':
      return () => [];
    case 'pii':
      return piiDetector({ types: config.pii_types, defaultCountry: config.default_country as CountryCode | undefined });
    case 'secrets':
      return detectSecrets;
    case 'word_list':
      return wordListDetector(config.words ?? []);
    case 'profanity':
      return detectProfanity;
    case 'prompt_injection':
      // One finding for the message, scored by all its signals together, with the strongest as its place.
      return (text) => {
        const { score, evidence } = detectInjection(text);
        if (evidence.length === 0) return [];
        const top = evidence.reduce((a, b) => (b.score > a.score ? b : a));
        return [{ ...top, type: 'prompt_injection', score, text: evidence.map((e) => e.type.replace('prompt_injection:', '')).join(', ') }];
      };
  }
}
