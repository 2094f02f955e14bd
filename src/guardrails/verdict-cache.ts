// Verdicts of input guardrails, remembered by text. A chat client sends the whole conversation every turn, so all
// but the newest message were checked on an earlier turn; detectors are deterministic, so their verdict on the same
// text under the same guardrails is the same. Bounded in entries and in the size of a text worth remembering.
import type { Verdict } from './guardrail-policies.ts';

const MAX_ENTRIES = 10_000;
const MAX_TEXT = 16 * 1024;

export class VerdictCache {
  readonly #entries = new Map<string, Verdict>();

  get(key: string): Verdict | undefined {
    return key.length > MAX_TEXT ? undefined : this.#entries.get(key);
  }

  set(key: string, verdict: Verdict): void {
    if (key.length > MAX_TEXT) return;
    if (this.#entries.size >= MAX_ENTRIES) this.#entries.delete(this.#entries.keys().next().value!);
    this.#entries.set(key, verdict);
  }
}
