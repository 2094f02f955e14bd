// Credentials in text: cloud and API keys by their documented formats, private keys, bearer tokens. A prompt that
// carries one is about to leak it to a third party; an answer that carries one is leaking it to the user.
import type { Detector } from '../finding.ts';

const SECRETS: readonly [type: string, pattern: RegExp][] = [
  ['secret:aws_access_key', /\b(?:AKIA|ASIA)[0-9A-Z]{16}\b/g],
  ['secret:aws_secret_key', /(?<=aws_?secret_?(?:access_?)?key["'\s:=]{1,5})[A-Za-z0-9/+]{40}\b/gi],
  ['secret:github_token', /\b(?:gh[pousr]_[A-Za-z0-9]{36,255}|github_pat_[A-Za-z0-9_]{60,255})\b/g],
  ['secret:openai_key', /\bsk-(?:proj-|svcacct-|admin-)?[A-Za-z0-9_-]{20,}T3BlbkFJ[A-Za-z0-9_-]{20,}\b|\bsk-(?:proj|svcacct|admin)-[A-Za-z0-9_-]{40,}\b/g],
  ['secret:anthropic_key', /\bsk-ant-(?:api|admin)\d{2}-[A-Za-z0-9_-]{80,}\b/g],
  ['secret:archway_key', /\bsk-archway-[A-Za-z0-9_-]{32}\b/g],
  ['secret:slack_token', /\bxox[abposr]-[A-Za-z0-9-]{10,}\b/g],
  ['secret:google_api_key', /\bAIza[0-9A-Za-z_-]{35}\b/g],
  ['secret:stripe_key', /\b[rs]k_live_[0-9A-Za-z]{24,}\b/g],
  ['secret:private_key', /-----BEGIN (?:RSA |EC |DSA |OPENSSH |ENCRYPTED |PGP )?PRIVATE KEY(?: BLOCK)?-----[\s\S]*?-----END (?:RSA |EC |DSA |OPENSSH |ENCRYPTED |PGP )?PRIVATE KEY(?: BLOCK)?-----/g],
  ['secret:jwt', /\beyJ[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}\b/g],
  ['secret:password_assignment', /(?<=\b(?:password|passwd|pwd|secret|api_?key|token)["']?\s*[:=]\s*["']?)[^\s"']{8,}/gi],
];

// Every pattern above starts with, or is anchored on, one of these: two scans tell most texts they hold no secret,
// instead of a dozen (two of them with look-behinds, slow on long text). The prefixes of the case-sensitive
// patterns are matched case-sensitively and factored by first letters: one case-insensitive alternation of all of
// them cost every output guardrail pass (which scans the whole answer) about 60 instructions per character.
const PREFIX_TRIGGER = /A(?:KIA|SIA|Iza)|g(?:h[pousr]_|ithub_pat_)|[rs]k(?:-|_live_)|xox[abposr]-|-----BEGIN|eyJ/;
const WORD_TRIGGER = /aws_?secret|(?:password|passwd|pwd|secret|api_?key|token)["']?\s*[:=]/i;

export const detectSecrets: Detector = (text) => {
  if (!PREFIX_TRIGGER.test(text) && !WORD_TRIGGER.test(text)) return [];
  const out: ReturnType<Detector> = [];
  for (const [type, re] of SECRETS) {
    re.lastIndex = 0;
    for (let m = re.exec(text); m !== null; m = re.exec(text)) {
      out.push({ type, text: m[0], start: m.index, end: m.index + m[0].length, score: type === 'secret:password_assignment' ? 0.8 : 0.99 });
    }
  }
  return out;
};
