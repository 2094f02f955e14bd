// Output guardrails on a stream. Generated text is checked as it accumulates, per choice. The last HOLD characters
// are held back, since a match (a card number, an IBAN) may still be arriving in the next chunk. They are also held
// when a match could end inside them. Everything before that is released, redacted where a `redact` guardrail found
// something. A `block` finding stops the stream; respond-stream ends it with `finish_reason: "content_filter"` and
// an error event. Works on OpenAI chat-completion chunks, which every adapter's translator emits.
import type { Finding } from './finding.ts';
import type { Guardrail } from './guardrail.ts';
import { runGuardrails } from './guardrail-policies.ts';
import { redact } from './redact.ts';

/** Longer than any pattern that redaction must see whole (an IBAN with spaces is 42 characters). */
const HOLD = 48;

interface Chunk {
  choices?: { index?: number; delta?: { content?: unknown; role?: unknown; tool_calls?: unknown }; finish_reason?: unknown }[];
  [key: string]: unknown;
}

export interface StreamGuardResult {
  /** Frames to forward now. */
  frames: string;
  /** Set when a `block` guardrail fired: forward `frames`, then end the stream. */
  blocked?: { guardrail: string; types: string[] };
}

export class StreamOutputGuard {
  readonly #guardrails: readonly Guardrail[];
  readonly #held = new Map<number, string>();
  /** The last chunk seen, to shape the frame that releases held text at the end. */
  #template: Chunk | undefined;
  readonly findings: Finding[] = [];

  constructor(guardrails: readonly Guardrail[]) {
    this.#guardrails = guardrails.filter((g) => g.stages.has('output'));
  }

  get active(): boolean {
    return this.#guardrails.length > 0;
  }

  /** One or more `data: {…}\n\n` frames from the translator. */
  push(frames: string): StreamGuardResult {
    let out = '';
    for (const frame of frames.split('\n\n')) {
      if (frame === '') continue;
      const data = frame.startsWith('data: ') ? frame.slice(6) : undefined;
      let chunk: Chunk | undefined;
      try {
        chunk = data === undefined ? undefined : (JSON.parse(data) as Chunk);
      } catch {
        chunk = undefined;
      }
      if (chunk === undefined || !Array.isArray(chunk.choices) || chunk.choices.length === 0) {
        out += `${frame}\n\n`;
        continue;
      }
      this.#template = chunk;
      let keep = false;
      for (const choice of chunk.choices) {
        const index = choice.index ?? 0;
        const finishing = choice.finish_reason != null;
        const content = choice.delta?.content;
        if (typeof content === 'string' || finishing) {
          const result = this.#release(index, typeof content === 'string' ? content : '', finishing);
          if (result.blocked) return { frames: out, blocked: result.blocked };
          if (choice.delta !== undefined || result.text !== '') (choice.delta ??= {}).content = result.text;
          if (result.text !== '' || finishing || choice.delta?.role !== undefined || choice.delta?.tool_calls !== undefined) keep = true;
        } else keep = true;
      }
      if (keep) out += `data: ${JSON.stringify(chunk)}\n\n`;
    }
    return { frames: out };
  }

  /** The frame that ends a blocked stream: every choice seen finishes with `content_filter`. */
  contentFilterFrame(): string {
    const choices = [...new Set([0, ...this.#held.keys()])].map((index) => ({ index, delta: {}, finish_reason: 'content_filter' }));
    return `data: ${JSON.stringify({ ...this.#template, choices })}\n\n`;
  }

  /** At the end of the stream: whatever is still held, checked and released. */
  flush(): StreamGuardResult {
    let out = '';
    for (const index of [...this.#held.keys()]) {
      const result = this.#release(index, '', true);
      if (result.blocked) return { frames: out, blocked: result.blocked };
      if (result.text !== '' && this.#template !== undefined) {
        out += `data: ${JSON.stringify({ ...this.#template, choices: [{ index, delta: { content: result.text }, finish_reason: null }] })}\n\n`;
      }
    }
    return { frames: out };
  }

  #release(index: number, content: string, final: boolean): { text: string; blocked?: { guardrail: string; types: string[] } } {
    const text = (this.#held.get(index) ?? '') + content;
    const verdict = runGuardrails(this.#guardrails, 'output', text);
    if (verdict.action === 'block') {
      const types = verdict.findings.filter((f) => f.guardrail === verdict.blockedBy).map((f) => f.type);
      this.findings.push(...verdict.findings);
      return { text: '', blocked: { guardrail: verdict.blockedBy!, types: [...new Set(types)] } };
    }
    let cut = final ? text.length : Math.max(0, text.length - HOLD);
    // Never release part of a match: one that runs past the cut waits whole.
    for (const f of verdict.findings) if (f.start < cut && f.end > cut) cut = f.start;
    const released = verdict.findings.filter((f) => f.end <= cut);
    this.findings.push(...released);
    const redactions = released.filter((f) => this.#guardrails.find((g) => g.name === f.guardrail)?.action === 'redact');
    this.#held.set(index, text.slice(cut));
    if (final) this.#held.delete(index);
    const head = text.slice(0, cut);
    if (redactions.length === 0) return { text: head };
    return { text: redact(head, redactions) };
  }
}
