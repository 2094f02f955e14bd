// Output guardrails on a stream. Generated text is checked as it accumulates, per choice. The last HOLD characters
// are held back, since a match (a card number, an IBAN) may still be arriving in the next chunk. They are also held
// when a match could end inside them. Everything before that is released, redacted where a `redact` guardrail found
// something. A `block` finding stops the stream; respond-stream ends it with `finish_reason: "content_filter"` and
// an error event. Works on OpenAI chat-completion chunks, which every adapter's translator emits.
// Two ways of holding: whole frames, released as they came once the guardrails found nothing in their text (the
// usual stream: nothing to rebuild, and one check for an answer shorter than HOLD); and, from the first finding or
// a frame of another shape on, text, released in frames rebuilt around it (redacted, cut short of a match).
import type { Finding } from './finding.ts';
import type { Guardrail } from './guardrail.ts';
import { runGuardrails } from './guardrail-policies.ts';
import { redact } from './redact.ts';
import { RedactionVault } from './vault.ts';

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
  /** Text held per choice (the text way). */
  readonly #held = new Map<number, string>();
  /** Frames held whole (the frame way), each with its newlines; their text, and where each frame's text ends in it. */
  #frames: string[] = [];
  #frameEnds: number[] = [];
  #framesText = '';
  /** Where the last chunk seen is (its JSON text, not copied out until needed), to shape the frames that release
   *  held text or end a blocked stream; `text` is empty until there is one. Updated in place: frames are many. */
  readonly #last = { text: '', from: 0, to: 0 };
  /** The previous frame's shape: the frames of a stream share theirs, so the next one's is checked against it first. */
  readonly #shape: ChunkShape = { delta: -1, tail: '' };
  readonly findings: Finding[] = [];

  readonly #vault: RedactionVault | null;

  /** `vault`: values masked in the prompt, restored in the answer as it streams. */
  constructor(guardrails: readonly Guardrail[], vault: RedactionVault | null = null) {
    this.#guardrails = guardrails.filter((g) => g.stages.has('output'));
    this.#vault = vault;
  }

  get active(): boolean {
    return this.#guardrails.length > 0 || this.#vault !== null;
  }

  /** One or more `data: {…}\n\n` frames from the translator. */
  push(frames: string): StreamGuardResult {
    let out = '';
    // Frames are read in place, by their bounds in `frames`: no split, and no copy of a frame that goes as it came.
    for (let start = 0; start < frames.length; ) {
      const found = frames.indexOf('\n\n', start);
      const end = found < 0 ? frames.length : found;
      const frameStart = start;
      start = found < 0 ? frames.length : found + 2;
      if (end === frameStart) continue;
      const dataAt = has(frames, 'data: ', frameStart) ? frameStart + 6 : -1;
      const fast = dataAt < 0 ? undefined : singleChoiceContent(frames, this.#shape, dataAt, end);
      if (fast !== undefined) {
        this.#lastChunkAt(frames, dataAt, end);
        // A role comes first and must not wait behind text, so a frame with both takes the text way.
        if (this.#vault === null && this.#held.size === 0 && !(fast.hasRole && fast.value !== '')) {
          const released = this.#holdFrame(frameAt(frames, frameStart, found), fast.value, fast.finishing);
          if (released !== undefined) {
            out += released;
            continue;
          }
        }
        // The usual frame (one choice, text content) the text way: its text found and replaced in place, without
        // parsing the frame.
        const result = this.#release(0, fast.value, fast.finishing);
        if (result.blocked) return { frames: out, blocked: result.blocked };
        if (fast.empty) out += result.text === '' ? frameAt(frames, frameStart, found) : `${frames.slice(frameStart, fast.start)}"content":${JSON.stringify(result.text)}${frames.slice(fast.end, end)}\n\n`;
        else if (result.text !== '' || fast.finishing || fast.hasRole) out += `${frames.slice(frameStart, fast.start)}${JSON.stringify(result.text)}${frames.slice(fast.end, end)}\n\n`;
        continue;
      }
      // Any other frame: what is held goes on the text way, which releases it around frames of any shape.
      this.#framesToText();
      let chunk: Chunk | undefined;
      try {
        chunk = dataAt < 0 ? undefined : (JSON.parse(frames.slice(dataAt, end)) as Chunk);
      } catch {
        chunk = undefined;
      }
      if (chunk === undefined || !Array.isArray(chunk.choices) || chunk.choices.length === 0) {
        out += frameAt(frames, frameStart, found);
        continue;
      }
      this.#lastChunkAt(frames, dataAt, end);
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
    return `data: ${JSON.stringify({ ...this.#template(), choices })}\n\n`;
  }

  /** At the end of the stream: whatever is still held, checked and released. */
  flush(): StreamGuardResult {
    if (this.#frames.length > 0) {
      const released = this.#holdFrame('', '', true);
      if (released !== undefined) return { frames: released };
    }
    let out = '';
    for (const index of [...this.#held.keys()]) {
      const result = this.#release(index, '', true);
      if (result.blocked) return { frames: out, blocked: result.blocked };
      if (result.text !== '' && this.#last.text !== '') {
        out += `data: ${JSON.stringify({ ...this.#template(), choices: [{ index, delta: { content: result.text }, finish_reason: null }] })}\n\n`;
      }
    }
    return { frames: out };
  }

  #lastChunkAt(text: string, from: number, to: number): void {
    this.#last.text = text;
    this.#last.from = from;
    this.#last.to = to;
  }

  #template(): Chunk {
    try {
      return this.#last.text === '' ? {} : (JSON.parse(this.#last.text.slice(this.#last.from, this.#last.to)) as Chunk);
    } catch {
      return {};
    }
  }

  /**
   * The frame way: holds `frame` (whose text is `content`) behind the frames held before it, and returns the frames
   * that can go now, as they came: those followed by HOLD characters of text (all of them when `final`), once the
   * guardrails found nothing in the held text. Undefined when they found something: the held frames' text has gone
   * on the text way, and `frame` is still to be taken there.
   */
  #holdFrame(frame: string, content: string, final: boolean): string | undefined {
    // Nothing held and nothing to check: the frame goes now (a role, a finish with nothing before it).
    if (this.#frames.length === 0 && content === '') return frame;
    const text = this.#framesText + content;
    const firstEnd = this.#frames.length === 0 ? text.length : this.#frameEnds[0]!;
    if (!final && text.length - firstEnd < HOLD) {
      this.#keepFrame(frame, text);
      return '';
    }
    const verdict = runGuardrails(this.#guardrails, 'output', text);
    if (verdict.findings.length > 0) {
      this.#framesToText();
      return undefined;
    }
    this.#keepFrame(frame, text);
    const cut = final ? text.length : text.length - HOLD;
    let n = 0;
    while (n < this.#frames.length && this.#frameEnds[n]! <= cut) n++;
    const released = n === 1 ? this.#frames[0]! : this.#frames.slice(0, n).join('');
    const releasedEnd = n === 0 ? 0 : this.#frameEnds[n - 1]!;
    this.#frames.splice(0, n);
    this.#frameEnds.splice(0, n);
    for (let i = 0; i < this.#frameEnds.length; i++) this.#frameEnds[i]! -= releasedEnd;
    this.#framesText = text.slice(releasedEnd);
    return released;
  }

  #keepFrame(frame: string, text: string): void {
    if (frame === '') return;
    this.#frames.push(frame);
    this.#frameEnds.push(text.length);
    this.#framesText = text;
  }

  /** Puts the text of the frames held whole in the first choice's held text (the frame way only ever holds that choice). */
  #framesToText(): void {
    if (this.#frames.length === 0) return;
    if (this.#framesText !== '') this.#held.set(0, this.#framesText);
    this.#frames = [];
    this.#frameEnds = [];
    this.#framesText = '';
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
    // Never release part of a match: one that runs past the cut waits whole. Nor half a placeholder to restore.
    for (const f of verdict.findings) if (f.start < cut && f.end > cut) cut = f.start;
    if (this.#vault !== null && !final) {
      const open = RedactionVault.openPlaceholderAt(text.slice(0, cut));
      if (open >= 0) cut = open;
    }
    const released = verdict.findings.filter((f) => f.end <= cut);
    this.findings.push(...released);
    const redactions = released.filter((f) => this.#guardrails.find((g) => g.name === f.guardrail)?.action === 'redact');
    this.#held.set(index, text.slice(cut));
    if (final) this.#held.delete(index);
    const head = redactions.length === 0 ? text.slice(0, cut) : redact(text.slice(0, cut), redactions);
    return { text: this.#vault === null ? head : this.#vault.restore(head) };
  }
}

const DELTA = '"delta":{';
const CONTENT = '"content":"';
const ROLE = '"role":"assistant",';
/** What precedes the delta of the first choice in OpenAI's chunks: `"choices":[{"index":0,"delta":{…}`. */
const FIRST_CHOICE = '"choices":[{"index":0,';
/** The rest of that choice after its delta: scalar fields only (logprobs null, finish_reason), then the end of the
 *  choices array. Anything else (a second choice, logprobs, an object) takes the full parse. */
const CHOICE_TAIL = /(?:,"[a-z_]+":(?:null|"[a-z_]*"|-?\d+|true|false))*\}\]/y;
/** A finish reason that is a string (not null): the choice ends with this chunk. */
const FINISH_REASON = '"finish_reason":"';

/** The frame from `start` with its newlines (`found`: where they are, or -1 when it came without them). */
function frameAt(frames: string, start: number, found: number): string {
  return found < 0 ? `${frames.slice(start)}\n\n` : frames.slice(start, found + 2);
}

/**
 * Whether `text` has `literal` at `at`: a slice compared whole, by a builtin. An inlined `startsWith` goes through the
 * string's representation for every character instead (about 40 instructions each when `text` is itself a slice).
 */
function has(text: string, literal: string, at: number): boolean {
  return at >= 0 && text.slice(at, at + literal.length) === literal;
}

/** A chunk's layout, as the previous chunk of the same stream had it: where its delta was (from the start of its
 *  JSON), and the rest of the choice after a delta that did not finish it. A stream's chunks share both. */
export interface ChunkShape {
  delta: number;
  tail: string;
}

/** Where the text of a chunk's only choice is: the bounds of its string literal in the chunk (`empty`: a delta with
 *  no content, where one would be inserted) and its value. */
interface ChoiceContent {
  start: number;
  end: number;
  value: string;
  finishing: boolean;
  hasRole: boolean;
  empty: boolean;
}

/**
 * The content of an OpenAI chunk (the JSON in `text` from `from` to `to`) with one choice (index 0) whose delta holds
 * only text (after an optional role), located without parsing: the string literal's bounds in `text` and its value.
 * Undefined for any other shape, which then takes the full parse. Every check is at a known place in the chunk: a
 * chunk is searched once, up to its delta, and not at all when its delta and tail are where `shape` (the previous
 * chunk's, updated to this one's) has them. (A `"delta":{` outside a string literal is a key; only the one right after
 * the choices' opening is taken.)
 */
export function singleChoiceContent(text: string, shape: ChunkShape = { delta: -1, tail: '' }, from = 0, to = text.length): ChoiceContent | undefined {
  let delta = shape.delta < 0 ? -1 : from + shape.delta;
  if (delta < 0 || delta >= to || text.charCodeAt(delta + 1) !== 100 /* d */ || !has(text, DELTA, delta) || !has(text, FIRST_CHOICE, delta - FIRST_CHOICE.length)) {
    delta = text.indexOf(DELTA, from);
    if (delta < 0 || delta >= to || !has(text, FIRST_CHOICE, delta - FIRST_CHOICE.length) || delta - FIRST_CHOICE.length < from) return undefined;
    shape.delta = delta - from;
  }
  let key = delta + DELTA.length;
  if (text.charCodeAt(key) === 125 /* } */) {
    // An empty delta: the frame that finishes the choice, into which held text is released.
    const finishing = choiceTail(text, key + 1, to, shape);
    return finishing === undefined ? undefined : { start: key, end: key, value: '', finishing, hasRole: false, empty: true };
  }
  const hasRole = text.charCodeAt(key + 1) === 114 /* r */ && has(text, ROLE, key);
  if (hasRole) key += ROLE.length;
  if (text.charCodeAt(key + 1) !== 99 /* c */ || !has(text, CONTENT, key)) return undefined;
  const start = key + CONTENT.length - 1;
  let escaped = false;
  let i = start + 1;
  for (; i < to; i++) {
    const c = text.charCodeAt(i);
    if (c === 92 /* \\ */) {
      escaped = true;
      i++;
    } else if (c === 34 /* " */) break;
  }
  const end = i + 1;
  // The delta ends with its content (no tool call or other field after it), and the choice and the array end after.
  if (end >= to || text.charCodeAt(end) !== 125 /* } */) return undefined;
  const finishing = choiceTail(text, end + 1, to, shape);
  if (finishing === undefined) return undefined;
  let value: string;
  try {
    value = escaped ? (JSON.parse(text.slice(start, end)) as string) : text.slice(start + 1, end - 1);
  } catch {
    return undefined;
  }
  return { start, end, value, finishing, hasRole, empty: false };
}

/** Whether the rest of the choice, from `from` (just after its delta), names a finish reason; undefined when that rest
 *  is not CHOICE_TAIL. A rest that does not finish the choice is kept in `shape`: the next chunk's is then one check. */
function choiceTail(text: string, from: number, to: number, shape: ChunkShape): boolean | undefined {
  if (shape.tail !== '' && text.charCodeAt(from) === shape.tail.charCodeAt(0) && has(text, shape.tail, from)) return false;
  CHOICE_TAIL.lastIndex = from;
  if (!CHOICE_TAIL.test(text) || CHOICE_TAIL.lastIndex > to) return undefined;
  const finish = text.indexOf(FINISH_REASON, from);
  const finishing = finish >= 0 && finish < CHOICE_TAIL.lastIndex;
  if (!finishing) shape.tail = text.slice(from, CHOICE_TAIL.lastIndex);
  return finishing;
}
