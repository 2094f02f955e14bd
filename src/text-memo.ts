// Results of deterministic work on a text (guardrail verdicts, token counts, the personal-data check), remembered by
// the text. A chat client sends the whole conversation every turn and the system prompt with every request, so most
// texts of a request were seen on an earlier one, and a Map lookup costs a fraction of a detector or tokenizer pass.
// Bounded in entries (the oldest goes first) and in the size of a text worth remembering.
const MAX_ENTRIES = 10_000;
const MAX_TEXT = 16 * 1024;

export class TextMemo<V> {
  readonly #entries = new Map<string, V>();

  get(text: string): V | undefined {
    return text.length > MAX_TEXT ? undefined : this.#entries.get(text);
  }

  set(text: string, value: V): void {
    if (text.length > MAX_TEXT) return;
    if (this.#entries.size >= MAX_ENTRIES) this.#entries.delete(this.#entries.keys().next().value!);
    this.#entries.set(text, value);
  }

  get size(): number {
    return this.#entries.size;
  }

  /** The remembered value, else `compute(text)`, remembered. */
  through(text: string, compute: (text: string) => V): V {
    let value = this.get(text);
    if (value === undefined) this.set(text, (value = compute(text)));
    return value;
  }
}
