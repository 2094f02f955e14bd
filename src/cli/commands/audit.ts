// `archway audit verify|export`: checks the audit log's hash chain (exit 1 and the first broken entry when it was
// tampered with), or writes it as NDJSON, hashes included, for an auditor to keep and re-verify elsewhere.
import { once } from 'node:events';
import { SqliteAuditLog } from '../../stores/sqlite/audit-log-store.ts';
import { CommandFailed, parseCommandLine, UsageError } from '../usage-error.ts';
import { openDataDatabase } from '../data-directory.ts';

function isoOption(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const ms = Date.parse(value);
  if (!Number.isFinite(ms)) throw new UsageError(`--${name}: expected an ISO date such as 2026-11-01, got "${value}"`);
  return ms;
}

export async function auditCommand(argv: string[]): Promise<void> {
  const [action, ...rest] = argv;
  const { values } = parseCommandLine({ args: rest, strict: true, options: { config: { type: 'string', short: 'c' }, since: { type: 'string' }, until: { type: 'string' } } });
  if (action !== 'verify' && action !== 'export') throw new UsageError('usage: archway audit verify | audit export [--since DATE] [--until DATE]');
  const since = isoOption('since', values.since);
  const until = isoOption('until', values.until);
  // A missing database is an error: "intact: 0 entries" for a mistyped data_dir would mislead an auditor.
  const { db } = await openDataDatabase(values.config);
  try {
    const log = new SqliteAuditLog(db);
    if (action === 'verify') {
      const result = await log.verify();
      if (!result.ok) throw new CommandFailed(`audit log tampered with at entry ${result.problem.seq} (${result.problem.kind}): ${result.problem.message}`);
      process.stdout.write(`audit log intact: ${result.entries} entries, head ${result.head}\n`);
      return;
    }
    for await (const entry of log.entries()) {
      if ((since !== undefined && entry.ts < since) || (until !== undefined && entry.ts >= until)) continue;
      // Waits when stdout is a slow pipe, so a large log streams through in bounded memory.
      if (!process.stdout.write(`${JSON.stringify(entry)}\n`)) await once(process.stdout, 'drain');
    }
  } finally {
    db.close();
  }
}
