// What the CLI's read-only commands (audit, report, cost-model) share: the database of the configured data directory,
// which must exist (opening would create an empty one, and a report of nothing for a mistyped data_dir misleads),
// and the `--days N` window of the reports.
import { existsSync } from 'node:fs';
import type { DatabaseSync } from 'node:sqlite';
import { loadConfig, resolveConfigPath } from '../config/load.ts';
import type { Config } from '../config/schema.ts';
import { databasePath, openDatabase } from '../stores/sqlite/database.ts';
import { CommandFailed, UsageError } from './usage-error.ts';

/** The config and the database of its data directory; a missing database is an error, not a new empty one. */
export async function openDataDatabase(configFlag: string | undefined): Promise<{ config: Config; db: DatabaseSync }> {
  const { config } = await loadConfig(resolveConfigPath(configFlag, process.env));
  const path = databasePath(config.data_dir);
  if (!existsSync(path)) throw new CommandFailed(`no database at ${path}: is data_dir (${config.data_dir}) right?`);
  return { config, db: openDatabase(path) };
}

/** `--days N`: a whole number of days from 1 to 3660, or a usage error naming the option. */
export function daysOption(text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  const days = /^\d+$/.test(text) ? Number(text) : Number.NaN;
  if (!(days >= 1 && days <= 3660)) throw new UsageError(`--days: expected a whole number of days from 1 to 3660, got "${text}"`);
  return days;
}
