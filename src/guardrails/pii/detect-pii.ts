// Personal data in free text, found locally with patterns and checked where a check exists: e-mail addresses, phone
// numbers (libphonenumber's metadata, so national formats and lengths are real ones), payment cards (issuer prefix,
// length and Luhn), IBANs (country length and mod-97), IP addresses, and US social security numbers. Look-alikes
// (order numbers, timestamps, version strings, numbers that fail their checksum) are what the checks are for.
import { isIPv6 } from 'node:net';
import { findNumbers, type CountryCode } from 'libphonenumber-js/max';
import type { Detector, Finding } from '../finding.ts';
import { ibanValid, luhnValid, plausibleCard } from './checksums.ts';

type Hit = Omit<Finding, 'guardrail'>;

const EMAIL = /\b[A-Za-z0-9._%+-]{1,64}@(?:[A-Za-z0-9-]{1,63}\.)+[A-Za-z]{2,24}\b/g;
// 12–19 digits, optionally grouped by single spaces or dashes, not glued to other digits.
const CARD = /(?<![\d-])\d(?:[ -]?\d){11,18}(?![\d-])/g;
const IBAN = /\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?\b/gi;
const IPV4 = /(?<![\d.])(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(?![\d.])/g;
const IPV6_CANDIDATE = /(?<![0-9A-Fa-f:])(?:[0-9A-Fa-f]{0,4}:){2,7}[0-9A-Fa-f]{0,4}(?![0-9A-Fa-f:])/g;
// Area 000, 666 and 900–999, group 00 and serial 0000 are never issued.
const SSN = /\b(?!000|666|9\d\d)\d{3}-(?!00)\d{2}-(?!0000)\d{4}\b/g;

function* matches(re: RegExp, text: string): Generator<RegExpExecArray> {
  re.lastIndex = 0;
  for (let m = re.exec(text); m !== null; m = re.exec(text)) yield m;
}

function hit(type: string, m: RegExpExecArray, score: number): Hit {
  return { type, text: m[0], start: m.index, end: m.index + m[0].length, score };
}

export function detectEmails(text: string): Hit[] {
  if (!text.includes('@')) return [];
  return [...matches(EMAIL, text)].map((m) => hit('email', m, 0.99));
}

export function detectCards(text: string): Hit[] {
  if (!/\d{4}/.test(text)) return [];
  const out: Hit[] = [];
  for (const m of matches(CARD, text)) {
    const digits = m[0].replace(/[ -]/g, '');
    // Grouped digits must be grouped like a card (4-4-4-4, 4-6-5), not like a phone number or a date.
    const groups = m[0].split(/[ -]/);
    if (groups.length > 1 && groups.some((g, i) => g.length < 4 && i < groups.length - 1)) continue;
    if (plausibleCard(digits) && luhnValid(digits)) out.push(hit('credit_card', m, 0.97));
  }
  return out;
}

export function detectIbans(text: string): Hit[] {
  if (!/[A-Za-z]{2}\d\d/.test(text)) return [];
  const out: Hit[] = [];
  for (const m of matches(IBAN, text)) {
    const compact = m[0].replace(/ /g, '');
    if (ibanValid(compact)) out.push(hit('iban', m, 0.99));
  }
  return out;
}

// "version 2.4.1.1", "build 10.0.19045.3570": dotted numbers after these words are versions, not addresses.
const VERSION_BEFORE = /\b(?:version|ver\.?|v|build|release|rev\.?)\s*$/i;

export function detectIps(text: string): Hit[] {
  const out: Hit[] = [];
  if (/\d\.\d/.test(text)) {
    for (const m of matches(IPV4, text)) if (!VERSION_BEFORE.test(text.slice(Math.max(0, m.index - 12), m.index))) out.push(hit('ip_address', m, 0.9));
  }
  if (/[0-9A-Fa-f]:[0-9A-Fa-f]|::/.test(text)) {
    for (const m of matches(IPV6_CANDIDATE, text)) {
      // A time (12:30:45) or a ratio is not an address: require what only IPv6 has (a hex letter, or "::").
      if ((m[0].includes('::') || /[a-f]/i.test(m[0])) && isIPv6(m[0])) out.push(hit('ip_address', m, 0.9));
    }
  }
  return out;
}

export function detectSsns(text: string): Hit[] {
  if (!/\d-\d\d-\d/.test(text)) return [];
  return [...matches(SSN, text)].map((m) => hit('us_ssn', m, 0.85));
}

/** `defaultCountry`: how to read numbers written without a country code (US unless configured). */
export function detectPhones(text: string, defaultCountry?: CountryCode): Hit[] {
  if (!/(?:\d[\s().-]{0,2}){7}/.test(text)) return [];
  const out: Hit[] = [];
  for (const found of findNumbers(text, { defaultCountry: defaultCountry ?? 'US', v2: true })) {
    const raw = text.slice(found.startsAt, found.endsAt);
    // Written as a phone number: with a country code, or grouped (spaces, dashes, dots, parentheses). A bare run of
    // digits is an id far more often than a phone number.
    if (!raw.startsWith('+') && !/[\s().-]/.test(raw)) continue;
    if (!found.number.isValid()) continue;
    out.push({ type: 'phone', text: raw, start: found.startsAt, end: found.endsAt, score: raw.startsWith('+') ? 0.95 : 0.85 });
  }
  return out;
}

export interface PiiOptions {
  defaultCountry?: CountryCode;
  /** Types to look for; all when absent. */
  types?: readonly string[];
}

const DETECTORS: Readonly<Record<string, (text: string, options: PiiOptions) => Hit[]>> = {
  email: detectEmails,
  credit_card: detectCards,
  iban: detectIbans,
  ip_address: detectIps,
  us_ssn: detectSsns,
  phone: (text, options) => detectPhones(text, options.defaultCountry),
};

export const PII_TYPES = Object.keys(DETECTORS);

/** Every PII item, overlaps resolved in favour of the earlier, then longer, then surer finding. */
export function piiDetector(options: PiiOptions = {}): Detector {
  const active = (options.types ?? PII_TYPES).map((t) => DETECTORS[t]).filter((d) => d !== undefined);
  return (text) => resolveOverlaps(active.flatMap((detect) => detect(text, options)));
}

export function resolveOverlaps<T extends { start: number; end: number; score: number }>(hits: T[]): T[] {
  hits.sort((a, b) => a.start - b.start || b.end - b.start - (a.end - a.start) || b.score - a.score);
  const kept: T[] = [];
  for (const h of hits) {
    const last = kept[kept.length - 1];
    if (last !== undefined && h.start < last.end) continue;
    kept.push(h);
  }
  return kept;
}
