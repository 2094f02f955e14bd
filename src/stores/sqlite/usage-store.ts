// Usage aggregates over the daily roll-up (usage_daily, one row per UTC day, key, team and model), never a scan of
// the request log: a year of a busy gateway is a few hundred thousand rows at most.
import type { DatabaseSync } from 'node:sqlite';
import { isUtcDay, type UsageGroup, type UsageQuery, type UsageRow, type UsageStore } from '../usage-store.ts';

// The only column names that reach the SQL text; everything a caller gives is a bound parameter. The table stores
// "none" as '' (it is part of the primary key, and NULLs never conflict), so it is turned back into null here.
const GROUP_COLUMNS: Readonly<Record<UsageGroup, { column: string; select: string }>> = {
  day: { column: 'day', select: 'day AS day' },
  key: { column: 'key_id', select: "NULLIF(key_id, '') AS key_id" },
  team: { column: 'team_id', select: "NULLIF(team_id, '') AS team_id" },
  model: { column: 'model', select: "NULLIF(model, '') AS model" },
};

const SUMS = `COUNT(*) AS row_count,
  COALESCE(SUM(requests), 0) AS requests, COALESCE(SUM(errors), 0) AS errors,
  COALESCE(SUM(prompt_tokens), 0) AS prompt_tokens, COALESCE(SUM(completion_tokens), 0) AS completion_tokens,
  COALESCE(SUM(cached_tokens), 0) AS cached_tokens, COALESCE(SUM(reasoning_tokens), 0) AS reasoning_tokens,
  COALESCE(SUM(cost_usd), 0) AS cost_usd, COALESCE(SUM(cache_hits), 0) AS cache_hits, COALESCE(SUM(saved_usd), 0) AS saved_usd`;

export class SqliteUsageStore implements UsageStore {
  readonly #db: DatabaseSync;

  constructor(db: DatabaseSync) {
    this.#db = db;
  }

  async usage(query: UsageQuery): Promise<UsageRow[]> {
    if (!isUtcDay(query.since)) throw new RangeError(`since: expected a day as YYYY-MM-DD, got "${query.since}"`);
    if (query.until !== undefined && !isUtcDay(query.until)) throw new RangeError(`until: expected a day as YYYY-MM-DD, got "${query.until}"`);
    const where = ['day >= ?'];
    const args: string[] = [query.since];
    if (query.until !== undefined) (where.push('day < ?'), args.push(query.until));
    if (query.keyId !== undefined) (where.push('key_id = ?'), args.push(query.keyId));
    if (query.teamId !== undefined) (where.push('team_id = ?'), args.push(query.teamId));
    if (query.model !== undefined) (where.push('model = ?'), args.push(query.model));
    const groups = [...new Set(query.groupBy)].map((g) => {
      const spec = GROUP_COLUMNS[g];
      if (spec === undefined) throw new RangeError(`groupBy: "${String(g)}" is not one of ${Object.keys(GROUP_COLUMNS).join(', ')}`);
      return spec;
    });
    const columns = groups.map((g) => g.column).join(', ');
    const sql = `SELECT ${[...groups.map((g) => g.select), SUMS].join(', ')} FROM usage_daily WHERE ${where.join(' AND ')}${
      groups.length > 0 ? ` GROUP BY ${columns} ORDER BY ${columns}` : ''
    }`;
    const rows = this.#db.prepare(sql).all(...args) as unknown as (UsageRow & { row_count: number })[];
    // Without GROUP BY an aggregate answers one row even when nothing matched: that is no usage, not a zero group.
    return rows.filter((r) => r.row_count > 0).map(({ row_count: _count, ...row }) => row);
  }
}
