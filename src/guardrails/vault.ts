// Reversible redaction: what a `reversible` guardrail masks in a prompt is kept here, for this request only, under a
// numbered placeholder ([EMAIL_1], [PHONE_2]…). The model never sees the values; the answer gets them back, so the
// user still reads a useful reply. Nothing here outlives the request or is ever stored.
import { placeholderKind } from './redact.ts';

const PLACEHOLDER = /\[[A-Z][A-Z_]*_\d+\]/g;

export class RedactionVault {
  readonly #byOriginal = new Map<string, string>();
  readonly #byPlaceholder = new Map<string, string>();

  get size(): number {
    return this.#byPlaceholder.size;
  }

  /** The placeholder of `original` (the same value always gets the same one). */
  mask(kind: string, original: string): string {
    const known = this.#byOriginal.get(original);
    if (known !== undefined) return known;
    const placeholder = `[${placeholderKind(kind)}_${this.#byPlaceholder.size + 1}]`;
    this.#byOriginal.set(original, placeholder);
    this.#byPlaceholder.set(placeholder, original);
    return placeholder;
  }

  /** `text` with every placeholder of this vault replaced by its value; `escape` adapts the value (JSON text). */
  restore(text: string, escape: (value: string) => string = (v) => v): string {
    if (this.size === 0 || !text.includes('[')) return text;
    return text.replace(PLACEHOLDER, (p) => {
      const original = this.#byPlaceholder.get(p);
      return original === undefined ? p : escape(original);
    });
  }

  /** Where a placeholder may have started but not ended yet: text from there on must wait for the next chunk. */
  static openPlaceholderAt(text: string): number {
    const open = text.lastIndexOf('[');
    return open >= 0 && text.indexOf(']', open) < 0 && text.length - open <= 40 ? open : -1;
  }
}
