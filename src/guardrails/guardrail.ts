// A guardrail built from its config: a named detector with a threshold, the stages it runs on, and its action.
import type { CountryCode } from 'libphonenumber-js';
import type { GuardrailConfig } from '../config/guardrails-schema.ts';
import type { Detector, Finding } from './finding.ts';
import { piiDetector } from './pii/detect-pii.ts';
import { detectSecrets } from './pii/detect-secrets.ts';
import { detectInjection } from './injection/detect-injection.ts';
import { wordListDetector } from './word-list.ts';
import { detectProfanity } from './profanity.ts';

export type Stage = 'input' | 'output';
export type Action = 'block' | 'redact' | 'flag';

export class Guardrail {
  readonly name: string;
  readonly action: Action;
  readonly stages: ReadonlySet<Stage>;
  readonly failOpen: boolean;
  /** Prompt injection is about the caller's own words and documents, not the application's system prompt. */
  readonly skipsSystem: boolean;
  readonly #detect: Detector;
  readonly #threshold: number;

  constructor(name: string, config: GuardrailConfig) {
    this.name = name;
    this.action = config.action;
    this.stages = new Set(config.stages);
    this.failOpen = config.on_error === 'fail-open';
    this.#threshold = config.threshold;
    this.skipsSystem = config.type === 'prompt_injection';
    this.#detect = detectorFor(config);
  }

  check(text: string): Finding[] {
    const out: Finding[] = [];
    for (const hit of this.#detect(text)) if (hit.score >= this.#threshold) out.push({ guardrail: this.name, ...hit });
    return out;
  }
}

function detectorFor(config: GuardrailConfig): Detector {
  switch (config.type) {
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
