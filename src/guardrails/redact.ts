// Masking what guardrails found: each span becomes a placeholder naming its kind ([EMAIL], [CREDIT_CARD], …), so the
// text still reads and nobody downstream sees the value.
import type { Finding } from './finding.ts';
import { resolveOverlaps } from './pii/detect-pii.ts';

export function placeholder(type: string): string {
  return `[${type.replace(/^secret:.*/, 'SECRET').toUpperCase()}]`;
}

export function redact(text: string, findings: readonly Finding[]): string {
  if (findings.length === 0) return text;
  let out = '';
  let at = 0;
  for (const f of resolveOverlaps([...findings])) {
    out += text.slice(at, f.start) + placeholder(f.type);
    at = f.end;
  }
  return out + text.slice(at);
}
