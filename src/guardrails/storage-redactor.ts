// Personal data and credentials never reach storage: whatever a request's policy let through to the model, the
// copies the gateway keeps (stored content, error texts in the request log) are masked first, always.
import type { Finding } from './finding.ts';
import { piiDetector } from './pii/detect-pii.ts';
import { detectSecrets } from './pii/detect-secrets.ts';
import { redact } from './redact.ts';
import { TextMemo } from '../text-memo.ts';

const detectPii = piiDetector();

export function redactForStorage(text: string): string {
  const hits = [...detectPii(text), ...detectSecrets(text)];
  if (hits.length === 0) return text;
  return redact(text, hits.map((h): Finding => ({ guardrail: 'storage', ...h })));
}

const holdsPersonalData = (text: string): boolean => detectPii(text).length > 0 || detectSecrets(text).length > 0;
const personalDataMemo = new TextMemo<boolean>();

/** Whether `text` holds personal data or a credential: such requests and answers are never cached. */
export function containsPersonalData(text: string): boolean {
  return personalDataMemo.through(text, holdsPersonalData);
}
