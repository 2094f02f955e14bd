// `archway report usage|utilization`: what the gateway was used for (requests, tokens and spend per day, key, team
// and model, from the daily roll-up), and how much of what each backend pays for it uses (from the request log and
// the config's capacity and max_concurrency), flagging idle and saturated backends.
import type { Config } from '../../config/schema.ts';
import { resolvePrice } from '../../metering/pricing.ts';
import { SqliteDirectoryStore } from '../../stores/sqlite/directory-store.ts';
import { SqliteKeyStore } from '../../stores/sqlite/key-store.ts';
import { SqliteUsageStore } from '../../stores/sqlite/usage-store.ts';
import { USAGE_GROUPS, utcDay, type UsageGroup, type UsageRow, type UsageTotals } from '../../stores/usage-store.ts';
import { observeUtilization } from '../../cost-model/utilization-query.ts';
import { computeUtilization, type BackendUtilization, type ConfiguredBackend, type UtilizationReport } from '../../cost-model/utilization.ts';
import { formatCount, formatPercent, formatPlain, formatUsd, textTable } from '../../cost-model/text-table.ts';
import type { DatabaseSync } from 'node:sqlite';
import { parseCommandLine, UsageError } from '../usage-error.ts';
import { daysOption, openDataDatabase } from '../data-directory.ts';

const DAY_MS = 86_400_000;
const USAGE = `usage: archway report usage [--by day,key,team,model] [--days N] [--team T] [--key ID] [--model M] [--json]
       archway report utilization [--days N] [--json]`;

export async function reportCommand(argv: string[]): Promise<void> {
  const [action, ...rest] = argv;
  const { values, positionals } = parseCommandLine({
    args: rest,
    allowPositionals: true,
    strict: true,
    options: {
      by: { type: 'string' },
      days: { type: 'string' },
      team: { type: 'string' },
      key: { type: 'string' },
      model: { type: 'string' },
      json: { type: 'boolean' },
      config: { type: 'string', short: 'c' },
    },
  });
  if (positionals.length > 0) throw new UsageError(`unexpected "${positionals[0]}"\n${USAGE}`);
  if (action === 'usage') {
    const groupBy = groupOption(values.by);
    const days = daysOption(values.days, 30);
    const { db } = await openDataDatabase(values.config);
    try {
      await usageReport(db, { groupBy, days, team: values.team, key: values.key, model: values.model, json: values.json === true });
    } finally {
      db.close();
    }
    return;
  }
  if (action === 'utilization') {
    for (const option of ['by', 'team', 'key', 'model'] as const) {
      if (values[option] !== undefined) throw new UsageError(`--${option} is for report usage\n${USAGE}`);
    }
    const days = daysOption(values.days, 7);
    const { config, db } = await openDataDatabase(values.config);
    try {
      const until = Date.now();
      const since = until - days * DAY_MS;
      const report = computeUtilization(configuredBackends(config), observeUtilization(db, since, until), since, until);
      process.stdout.write(values.json ? `${JSON.stringify(report, null, 2)}\n` : utilizationText(report, days));
    } finally {
      db.close();
    }
    return;
  }
  throw new UsageError(USAGE);
}

function groupOption(text: string | undefined): UsageGroup[] {
  if (text === undefined) return ['model'];
  const groups = text.split(',').map((g) => g.trim()).filter(Boolean);
  for (const g of groups) {
    if (!(USAGE_GROUPS as readonly string[]).includes(g)) throw new UsageError(`--by: "${g}" is not one of ${USAGE_GROUPS.join(', ')}`);
  }
  return [...new Set(groups)] as UsageGroup[];
}

interface UsageOptions {
  groupBy: UsageGroup[];
  days: number;
  team: string | undefined;
  key: string | undefined;
  model: string | undefined;
  json: boolean;
}

async function usageReport(db: DatabaseSync, o: UsageOptions): Promise<void> {
  const directory = new SqliteDirectoryStore(db);
  let teamId: string | undefined;
  if (o.team !== undefined) {
    const team = await directory.team(o.team);
    if (team === undefined) throw new UsageError(`--team: no team "${o.team}"; \`archway teams list\` shows them`);
    teamId = team.id;
  }
  // The last N UTC days, today included.
  const since = utcDay(Date.now() - (o.days - 1) * DAY_MS);
  const rows = await new SqliteUsageStore(db).usage({ since, groupBy: o.groupBy, teamId, keyId: o.key, model: o.model });
  if (o.json) {
    process.stdout.write(`${JSON.stringify({ since, group_by: o.groupBy, rows })}\n`);
    return;
  }
  if (rows.length === 0) {
    process.stdout.write(`no usage since ${since} (UTC)${o.team || o.key || o.model ? ' for these filters' : ''}\n`);
    return;
  }
  const teams = new Map((await directory.listTeams()).map((t) => [t.id, t.name]));
  const keys = new Map((await new SqliteKeyStore(db).list()).map((k) => [k.id, k.name]));
  const label: Record<UsageGroup, (r: UsageRow) => string> = {
    day: (r) => r.day ?? '',
    key: (r) => (r.key_id == null ? '-' : keys.has(r.key_id) ? `${r.key_id} (${keys.get(r.key_id)})` : r.key_id),
    team: (r) => (r.team_id == null ? '-' : (teams.get(r.team_id) ?? r.team_id)),
    model: (r) => r.model ?? '-',
  };
  const groupCells = (r: UsageRow) => o.groupBy.map((g) => label[g](r));
  // With no grouping, the one row is the total.
  const grouped = o.groupBy.length > 0;
  const table = textTable({
    header: [...(grouped ? o.groupBy : ['']), 'requests', 'errors', 'prompt tok', 'completion tok', 'cached tok', 'cost USD', 'cache hits', 'saved USD'],
    rows: rows.map((r) => [...(grouped ? groupCells(r) : ['total']), ...usageCells(r)]),
    footer: grouped && rows.length > 1 ? [['total', ...o.groupBy.slice(1).map(() => ''), ...usageCells(sumUsage(rows))]] : [],
    align: [...(grouped ? o.groupBy : ['']).map(() => 'left' as const), ...usageCells(rows[0]!).map(() => 'right' as const)],
  });
  const filters = [o.team && `team ${o.team}`, o.key && `key ${o.key}`, o.model && `model ${o.model}`].filter(Boolean).join(', ');
  process.stdout.write(`Usage since ${since} (UTC)${filters ? `, ${filters}` : ''}\n\n${table}`);
}

const usageCells = (r: UsageTotals): string[] => [
  formatCount(r.requests),
  formatCount(r.errors),
  formatCount(r.prompt_tokens),
  formatCount(r.completion_tokens),
  formatCount(r.cached_tokens),
  formatUsd(r.cost_usd),
  formatCount(r.cache_hits),
  formatUsd(r.saved_usd),
];

function sumUsage(rows: readonly UsageTotals[]): UsageTotals {
  const sum = (field: keyof UsageTotals) => rows.reduce((acc, r) => acc + r[field], 0);
  return {
    requests: sum('requests'),
    errors: sum('errors'),
    prompt_tokens: sum('prompt_tokens'),
    completion_tokens: sum('completion_tokens'),
    cached_tokens: sum('cached_tokens'),
    reasoning_tokens: sum('reasoning_tokens'),
    cost_usd: sum('cost_usd'),
    cache_hits: sum('cache_hits'),
    saved_usd: sum('saved_usd'),
  };
}

function configuredBackends(config: Config): ConfiguredBackend[] {
  return Object.entries(config.models).flatMap(([model, m]) =>
    m.backends.map((b, i) => ({
      model,
      backend: b.name ?? `${b.provider}-${i}`,
      max_concurrency: b.max_concurrency,
      capacity: b.capacity ?? null,
      price: resolvePrice(b.pricing, config.pricing, model, b.model ?? model) ?? null,
    })),
  );
}

const perCent = (share: number | null): string => (share === null ? '-' : formatPercent(share));
const limit = (n: number | null): string => (n === null ? '-' : formatCount(n));

function costCell(b: BackendUtilization): string {
  if (b.usd_per_million_tokens === null) return b.monthly_usd === null ? '-' : 'nothing served';
  const list = b.list_usd_per_million_tokens === null ? '' : ` (list ${formatPlain(b.list_usd_per_million_tokens, 2)})`;
  return `${formatPlain(b.usd_per_million_tokens, 2)}${list}`;
}

function utilizationText(report: UtilizationReport, days: number): string {
  const from = new Date(report.since).toISOString().slice(0, 16).replace('T', ' ');
  const to = new Date(report.until).toISOString().slice(0, 16).replace('T', ' ');
  const table = textTable({
    header: ['model', 'backend', 'requests', 'tokens', 'avg TPM', 'peak TPM', 'TPM cap', 'avg conc', 'peak conc', 'max conc', '429s', 'use', 'peak use', 'USD/1M tok', 'flags'],
    rows: report.backends.map((b) => [
      b.model,
      b.in_config ? b.backend : `${b.backend} (not in config)`,
      formatCount(b.requests),
      formatCount(b.prompt_tokens + b.completion_tokens),
      formatCount(b.average_tpm),
      formatCount(b.peak_tpm),
      limit(b.capacity_tpm),
      formatPlain(b.average_concurrency, 2),
      formatCount(b.peak_concurrency),
      limit(b.max_concurrency),
      formatCount(b.throttled),
      perCent(b.use),
      perCent(b.peak_use),
      costCell(b),
      b.flags.join(',') || '-',
    ]),
    align: ['left', 'left', ...Array<'right'>(12).fill('right'), 'left'],
  });
  const flagged = report.backends.flatMap((b) => b.flags.map((f) => `${f.padEnd(9)}  ${b.model}/${b.backend}: ${b.reasons[f] ?? ''}`));
  const lines = [
    `Utilization over the last ${days} day${days === 1 ? '' : 's'} (${from} to ${to} UTC; averages over ${formatCount(report.observed_minutes)} minutes of traffic)`,
    '',
    table.trimEnd(),
    '',
    ...(flagged.length > 0 ? flagged : ['no backend is idle or saturated']),
    `(idle: below ${formatPercent(report.idle_below)} average use of capacity it pays for; saturated: ${formatPercent(report.saturated_at)} of a limit at its busiest, or 429s)`,
  ];
  return `${lines.join('\n')}\n`;
}
