// The cost table as people read it (fixed-width text), or as JSON for a spreadsheet or another program.
import type { Price } from '../config/cost-schema.ts';
import type { CostTable, ModelCost, ProvisionedComparison } from './compute.ts';
import { formatCount, formatPercent, formatPlain, formatUsd, textTable } from './text-table.ts';

export function costTableJson(table: CostTable): string {
  return `${JSON.stringify(table, null, 2)}\n`;
}

function priceText(p: Price): string {
  return `${formatPlain(p.input)}/${formatPlain(p.cached_input ?? p.input)}/${formatPlain(p.output)}`;
}

function modelRow(m: ModelCost): string[] {
  return [
    m.model,
    formatPercent(m.share),
    formatCount(m.requests_per_month),
    formatCount(m.input_tokens_per_month),
    formatCount(m.output_tokens_per_month),
    formatPercent(m.cache_hit_rate),
    formatCount(m.upstream_requests_per_month),
    formatUsd(m.pay_as_you_go_usd),
    formatUsd(m.cache_savings_usd),
    `${priceText(m.price)} (${m.price_source})`,
  ];
}

function provisionedLines(p: ProvisionedComparison): string[] {
  const what = p.model ?? 'the whole mix';
  const lines = [
    `Provisioned (${what}): ${formatCount(p.units)} units × ${formatCount(p.tokens_per_minute_per_unit)} TPM = ${formatCount(p.capacity_tpm)} TPM, ${formatUsd(p.provisioned_usd)} USD/month`,
    `  traffic:        ${formatCount(p.average_tpm)} TPM on average, ${formatCount(p.peak_tpm)} at peak (peak_factor ${formatPlain(p.peak_factor)}); ` +
      `needs ${formatCount(p.units_needed)} unit${p.units_needed === 1 ? '' : 's'}: ${p.fits ? 'fits' : `does NOT fit (${formatCount(p.units)} committed)`}`,
    `  pay-as-you-go:  ${formatUsd(p.pay_as_you_go_usd)} USD/month for the same traffic: ` +
      (p.saving_usd >= 0 ? `provisioned saves ${formatUsd(p.saving_usd)} USD/month` : `provisioned costs ${formatUsd(-p.saving_usd)} USD/month more`),
  ];
  if (p.break_even_use !== null && p.break_even_requests_per_day !== null) {
    lines.push(
      `  break-even:     ${formatCount(p.break_even_requests_per_day)} requests/day to ${what} (now ${formatCount(p.covered_requests_per_day)}), ` +
        `i.e. ${formatPercent(p.break_even_use)} average use of the units (now ${formatPercent(p.average_use)}; at most ${formatPercent(p.max_average_use)} with this peak_factor)`,
    );
  } else {
    lines.push('  break-even:     none: the covered traffic costs nothing at list price');
  }
  return lines;
}

export function costTableText(table: CostTable): string {
  const title = table.name === null ? 'Cost model' : `Cost model: ${table.name}`;
  const volume = `${formatCount(table.requests_per_day)} requests/day × ${formatPlain(table.days_per_month)} days = ${formatCount(table.total.requests_per_month)} requests/month`;
  const t = table.total;
  const body = textTable({
    header: ['model', 'share', 'requests/mo', 'input tok/mo', 'output tok/mo', 'cache hits', 'upstream req/mo', 'pay-as-you-go USD', 'cache saves USD', 'USD/1M in/cached/out'],
    rows: table.models.map(modelRow),
    footer: [
      [
        'total',
        formatPercent(table.models.reduce((acc, m) => acc + m.share, 0)),
        formatCount(t.requests_per_month),
        formatCount(t.input_tokens_per_month),
        formatCount(t.output_tokens_per_month),
        formatPercent(t.requests_per_month > 0 ? t.cache_hits_per_month / t.requests_per_month : 0),
        formatCount(t.upstream_requests_per_month),
        formatUsd(t.pay_as_you_go_usd),
        formatUsd(t.cache_savings_usd),
        '',
      ],
    ],
    align: ['left', 'right', 'right', 'right', 'right', 'right', 'right', 'right', 'right', 'left'],
  });
  const out = [`${title}: ${volume}`, '', body.trimEnd()];
  if (table.provisioned !== null) out.push('', ...provisionedLines(table.provisioned));
  for (const note of table.notes) out.push(`note: ${note}`);
  return `${out.join('\n')}\n`;
}
