// Prompt injection and jailbreak signals in a user message or a retrieved document. Signals are structural, not a
// list of known attacks: an imperative aimed at the model's instructions (ignore / reveal / replace them), role-play
// framing that sheds restrictions, chat-template markers smuggled into content, text addressed to "the AI" inside a
// document, exfiltration links, and anything hidden: invisible or tag characters, and base64, hex or leetspeak
// payloads, which are decoded and checked again. Each signal has a weight; the score combines them (1 − Π(1 − w)).
import type { Finding } from '../finding.ts';

type Hit = Omit<Finding, 'guardrail'>;

interface Signal {
  readonly name: string;
  readonly weight: number;
  readonly pattern: RegExp;
}

const W = '[^.\\n!?]{0,60}?';
const re = (source: string, flags = 'giu'): RegExp => new RegExp(source, flags);

const SIGNALS: readonly Signal[] = [
  {
    name: 'override_instructions',
    weight: 0.9,
    pattern: re(
      `\\b(?:ignore|disregard|forget|override|bypass|skip|drop|abandon|discard|neglect|set aside|stop following|do not follow|don't follow)\\b${W}\\b(?:previous|prior|above|earlier|preceding|all|any|every|your|the|these|those|system|initial|original|old|existing|current|safety|developer)\\b${W}\\b(?:instructions?|prompts?|rules?|directives?|guidelines?|guardrails?|constraints?|polic(?:y|ies)|programming|restrictions?|directions|safeguards|filters)\\b`,
    ),
  },
  { name: 'new_instructions', weight: 0.6, pattern: re(`\\b(?:new|updated|real|actual|true|secret|hidden|additional|revised)\\s+(?:system\\s+)?(?:instructions?|directives?|orders?|rules|task)\\s*(?::|-|are\\b|is\\b)`) },
  {
    name: 'role_play_unrestricted',
    weight: 0.85,
    pattern: re(
      `\\b(?:you are now|you're now|you are|you're|from now on|pretend(?: to be| you are| that you)?|act as|acting as|role-?play(?: as)?|imagine (?:you are|you're|being)|simulate|behave (?:as|like)|you will be|become|if you were|suppose you were|let's play)\\b[^\\n]{0,120}?(?:\\b(?:no|without|free (?:of|from)|unfiltered|uncensored|unrestricted|unbound|unlimited|zero|ignores?|not bound by|doesn't have|does not have|has no|have no)\\b[^\\n]{0,30}?\\b(?:restrictions?|limits?|limitations?|filters?|rules?|guidelines?|censorship|ethics|ethical|morals?|moral|policies|polic(?:y)|boundaries|constraints?|safety|programming)\\b|\\b(?:unfiltered|uncensored|unrestricted|jailbroken)\\b|\\bnever (?:refuses?|says? no|declines?)\\b|\\balways compl(?:y|ies)\\b)`,
    ),
  },
  {
    name: 'jailbreak_persona_or_mode',
    weight: 0.9,
    pattern: re(
      `\\b(?:you are(?: now)?|you're(?: now)?|you will be|become|act as|play(?:ing)?(?: the role of)?|called|named)\\s+(?:DAN|STAN|DUDE|AIM|Evil ?Bot|FreeGPT|BetterDAN|Mongo Tom)\\b|\\bdo anything now\\b|\\bjailbr(?:oken|eak(?:ed)? mode)\\b|\\b(?:developer|dev|god|jailbreak|unrestricted|opposite|DAN|evil) mode\\b(?:[^.\\n]{0,80}\\b(?:you|your)\\b|[^.\\n]{0,40}\\b(?:unrestricted|uncensored|no (?:censorship|rules|limits|filters|restrictions)))`,
      'giu',
    ),
  },
  {
    name: 'system_prompt_extraction',
    weight: 0.85,
    pattern: re(
      `\\b(?:reveal|show|print|repeat|output|display|tell|give|leak|dump|share|disclose|recite|expose|write out|what (?:is|are|was|were))\\b${W}\\b(?:your|the|its|this (?:assistant|bot|model)'s)\\s+(?:(?:full|entire|exact|complete|original|initial|hidden|secret|system|developer|internal|confidential|pre-?)\\s*)+(?:prompt|instructions?|messages?|rules|directives|configuration|context)\\b`,
    ),
  },
  {
    name: 'credential_extraction',
    weight: 0.85,
    pattern: re(
      `\\b(?:print|show|reveal|tell|give|list|output|dump|display|share|send|leak|expose|what)\\b${W}\\b(?:api[ _-]?keys?|access keys?|passwords?|credentials|secrets?|tokens?|private keys?|connection strings?|environment variables|env vars|[A-Z_]*_(?:KEY|TOKEN|SECRET))\\b[^.\\n!?]{0,60}?\\b(?:your|you (?:were|are|have|know|'ve)|in (?:this|the) (?:conversation|chat|context)|(?:from|in) (?:your|the) (?:config(?:uration)?|context|instructions|prompt|memory|system)|mentioned|you(?:'ve| have)? seen|stored|configured)`,
    ),
  },
  {
    name: 'personal_data_harvesting',
    weight: 0.8,
    pattern: re(
      `\\b(?:list|give|dump|export|show|reveal|print|tell|repeat|send|what)\\b${W}\\b(?:e-?mail(?: address)?(?:es|s)?|phone numbers?|home address(?:es)?|addresses|social security numbers?|SSNs?|credit card numbers?|card numbers|passport numbers?|dates? of birth|personal (?:data|information|details)|contact details|salar(?:y|ies)|full names|customer list)\\b[^.\\n!?]{0,80}?\\b(?:of (?:all|the|other|every|previous|each)\\b|all (?:the )?(?:customers|users|employees)|other users|previous user|you(?:'ve| have)? seen|you know|stored|(?:in|from) (?:your|the) (?:memory|context|documents|files|retrieved documents)|mentioned (?:earlier|before|above)|earlier in this|retrieved|to https?://)|\\b(?:dump|export|leak|exfiltrate)\\b${W}\\b(?:all|every)\\b${W}\\b(?:personal|private|customer|user|employee)`,
    ),
  },
  { name: 'repeat_preceding_text', weight: 0.75, pattern: re(`\\b(?:repeat|print|output|copy|echo|recite)\\b${W}\\b(?:words|text|everything|all|content|lines?)\\s+(?:above|before|preceding|prior)\\b`) },
  { name: 'chat_template_marker', weight: 0.7, pattern: re(`<\\|(?:im_start|im_end|system|endoftext|start_header_id)\\|>|\\[/?INST\\]|<<SYS>>|^\\s*(?:#{2,}|\\*\\*)\\s*(?:system|instructions?)\\b|^\\s*system\\s*:`, 'gimu') },
  {
    name: 'addressed_to_the_model',
    weight: 0.65,
    pattern: re(`\\b(?:if you are (?:an? )?(?:AI|language model|LLM|assistant|chatbot)|note to (?:the )?(?:AI|assistant|LLM|model)|(?:AI|assistant|LLM)s? reading this|attention,? (?:AI|assistant|LLM))\\b`),
  },
  { name: 'exfiltration_link', weight: 0.7, pattern: re(`!\\[[^\\]]*\\]\\(https?://[^)\\s]+\\?[^)\\s]*(?:data|q|c|chat|conv|secret|key|token)=|\\b(?:send|post|forward|upload|exfiltrate)\\b${W}\\b(?:conversation|chat history|messages|data|secrets?|keys?|credentials|system prompt)\\b${W}\\b(?:to|at)\\s+https?://`) },
];

// Characters that hide text from a human reader: tag characters (U+E0000–E007F), zero-width and bidi controls.
const TAG_CHARS = /[\u{E0000}-\u{E007F}]/gu;
const INVISIBLE = /[\u200B-\u200F\u2060-\u2064\uFEFF\u202A-\u202E\u2066-\u2069\u00AD]/g;
const BASE64_RUN = /[A-Za-z0-9+/]{24,}={0,2}/g;
// Base64 of text mixes cases and digits within a word; prose almost never does. Only then is it worth the scan.
const BASE64_HINT = /[A-Za-z0-9+/]{24}/;
const HEX_HINT = /[0-9a-fA-F]{8}/;
const HEX_RUN = /\b(?:[0-9a-fA-F]{2}[\s:]?){16,}\b/g;
const LEET: Readonly<Record<string, string>> = { '0': 'o', '1': 'i', '3': 'e', '4': 'a', '5': 's', '7': 't', '@': 'a', $: 's', '!': 'i', '|': 'l', '8': 'b' };

// Every signal needs one of these words (or a marker) to be present: one scan clears most text before the dozen
// detailed patterns run. Checked again on decoded payloads, which go through the same scan.
const TRIGGER =
  /ignor|disregard|forget|overrid|bypass|skip|drop|abandon|discard|neglect|set aside|follow|instruction|directive|direction|order|rules|task|pretend|copy|echo|refus|compl|hypothetical|suppose|if you were|let's play|you are|you're|key|password|credential|secret|token|connection string|environment|env var|e-?mail|phone|address|social security|ssn|passport|birth|personal|contact|salar|names|customer list|dump|export|list|mode|called|named|play|act(?:ing)? as|role-?play|imagine|simulat|behave|you are now|you're now|from now on|you will be|become|\bDAN\b|do anything now|\bSTAN\b|\bDUDE\b|\bAIM\b|evil ?bot|jailbr|developer mode|dev mode|god mode|unrestricted|opposite mode|reveal|show|print|repeat|output|display|tell|give|leak|dump|share|disclos|recite|expos|write out|what (?:is|are|was|were)|<\||\[\/?INST\]|<<SYS>>|system|note to|reading this|attention|if you are|!\[|send|post|forward|upload|exfiltrat/i;

export interface InjectionResult {
  score: number;
  evidence: Hit[];
}

function scan(text: string, offset: number, length: number, via: string, evidence: Hit[]): void {
  if (!TRIGGER.test(text)) return;
  for (const signal of SIGNALS) {
    signal.pattern.lastIndex = 0;
    const m = signal.pattern.exec(text);
    if (m === null) continue;
    const direct = via === '';
    evidence.push({
      type: `prompt_injection:${signal.name}${direct ? '' : `:${via}`}`,
      text: direct ? m[0] : text.slice(0, 200),
      start: direct ? offset + m.index : offset,
      end: direct ? offset + m.index + m[0].length : offset + length,
      score: signal.weight,
    });
  }
}

function printable(s: string): boolean {
  if (s.length < 8) return false;
  let ok = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if ((c >= 32 && c < 127) || c === 10 || c === 9) ok++;
  }
  return ok / s.length > 0.95;
}

export function detectInjection(input: string): InjectionResult {
  const evidence: Hit[] = [];
  scan(input, 0, input.length, '', evidence);

  const tags = input.match(TAG_CHARS);
  if (tags !== null) {
    const hidden = tags.map((ch) => String.fromCharCode(ch.codePointAt(0)! - 0xe0000)).join('');
    const at = input.search(TAG_CHARS);
    evidence.push({ type: 'prompt_injection:hidden_tag_characters', text: hidden.slice(0, 200), start: at, end: input.length, score: 0.8 });
    scan(hidden, at, input.length - at, 'tag_characters', evidence);
  }
  const invisible = input.match(INVISIBLE);
  if (invisible !== null && invisible.length >= 3) {
    const at = input.search(INVISIBLE);
    evidence.push({ type: 'prompt_injection:invisible_characters', text: `${invisible.length} invisible characters`, start: at, end: at + 1, score: 0.5 });
    const visible = input.replace(INVISIBLE, '');
    if (evidence.length === 1) scan(visible, 0, input.length, 'invisible_characters', evidence);
  }
  if (BASE64_HINT.test(input)) for (const m of input.matchAll(BASE64_RUN)) {
    const decoded = Buffer.from(m[0], 'base64').toString('utf8');
    if (printable(decoded)) scan(decoded, m.index, m[0].length, 'base64', evidence);
  }
  if (HEX_HINT.test(input)) for (const m of input.matchAll(HEX_RUN)) {
    const decoded = Buffer.from(m[0].replace(/[\s:]/g, ''), 'hex').toString('utf8');
    if (printable(decoded)) scan(decoded, m.index, m[0].length, 'hex', evidence);
  }
  // Leetspeak: digits or symbols standing in for letters inside words.
  if (evidence.length === 0 && /[A-Za-z][0-9@$|!][A-Za-z0-9@$|!]|[0-9@$|!][A-Za-z]/.test(input)) {
    const unleet = input.replace(/[0-9@$|!]/g, (c) => LEET[c] ?? c);
    if (unleet !== input) scan(unleet, 0, input.length, 'leetspeak', evidence);
  }
  const score = 1 - evidence.reduce((keep, e) => keep * (1 - e.score), 1);
  return { score: Math.round(score * 1000) / 1000, evidence };
}
