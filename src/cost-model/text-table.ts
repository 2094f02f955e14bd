// Fixed-width text tables and number formats for the cost and usage reports: columns padded to their widest cell,
// numbers right-aligned with thousands separators in one fixed locale, so output is the same on every machine.

export type Align = 'left' | 'right';

export interface TableSpec {
  readonly header: readonly string[];
  readonly rows: readonly (readonly string[])[];
  /** Rows under a rule, such as totals. */
  readonly footer?: readonly (readonly string[])[];
  /** Per column; default: the first left, the others right. */
  readonly align?: readonly Align[];
}

export function textTable(spec: TableSpec): string {
  const all = [spec.header, ...spec.rows, ...(spec.footer ?? [])];
  const widths = spec.header.map((_, c) => Math.max(...all.map((row) => (row[c] ?? '').length)));
  const alignOf = (c: number): Align => spec.align?.[c] ?? (c === 0 ? 'left' : 'right');
  const line = (row: readonly string[]) =>
    widths.map((w, c) => (alignOf(c) === 'left' ? (row[c] ?? '').padEnd(w) : (row[c] ?? '').padStart(w))).join('  ').trimEnd();
  const rule = widths.map((w) => '-'.repeat(w)).join('  ');
  const out = [line(spec.header), rule, ...spec.rows.map(line)];
  if (spec.footer !== undefined && spec.footer.length > 0) out.push(rule, ...spec.footer.map(line));
  return `${out.join('\n')}\n`;
}

const counts = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });
const money = new Intl.NumberFormat('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 });

/** 1234567.4 → "1,234,567" */
export function formatCount(n: number): string {
  return counts.format(n);
}

/**
 * USD with cents, half a cent rounded up as by hand: 84,000 × 0.00034875 is 29.295, which floating point holds as
 * 29.29499…, so the cents are taken after dropping the noise beyond 12 significant digits. Amounts below a cent keep
 * their first significant digits ("0.0042"), not a misleading "0.00".
 */
export function formatUsd(n: number): string {
  if (n !== 0 && Math.abs(n) < 0.01) return n.toPrecision(2);
  const cents = Math.sign(n) * Math.round(Number(Math.abs(n * 100).toPrecision(12)));
  return money.format(cents / 100);
}

/** 0.437 → "43.7 %" */
export function formatPercent(share: number): string {
  return `${(share * 100).toFixed(1)} %`;
}

/** A number with at most `digits` decimals and no trailing zeros: 2.50 → "2.5", 0.075 → "0.075". */
export function formatPlain(n: number, digits = 4): string {
  return String(Number(n.toFixed(digits)));
}
