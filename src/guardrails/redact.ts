// Masking what guardrails found: each span becomes a placeholder naming its kind ([EMAIL], [CREDIT_CARD], …), so the
// text still reads and nobody downstream sees the value.
import type { Finding } from './finding.ts';
import { resolveOverlaps } from './pii/detect-pii.ts';

/** The kind a placeholder names: EMAIL, CREDIT_CARD…; every credential is just SECRET (its kind says too much). */
export function placeholderKind(type: string): string {
  return type.replace(/^secret:.*/, 'SECRET').toUpperCase();
}

export function placeholder(type: string): string {
  return `[${placeholderKind(type)}]`;
}

/** `mask`: the placeholder of one finding (a reversible one is numbered and kept, see vault.ts). */
export function redact(text: string, findings: readonly Finding[], mask: (f: Finding, original: string) => string = (f) => placeholder(f.type)): string {
  if (findings.length === 0) return text;
  let out = '';
  let at = 0;
  for (const f of resolveOverlaps([...findings])) {
    out += text.slice(at, f.start) + mask(f, text.slice(f.start, f.end));
    at = f.end;
  }
  return out + text.slice(at);
}
