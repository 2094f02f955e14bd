// `archway encryption rotate|generate-key`: re-encrypts stored content under the current key (the first of
// logging.content.key_file, or ARCHWAY_ENCRYPTION_KEY with the old ones in ARCHWAY_ENCRYPTION_OLD_KEYS), or prints a
// new key. Start the gateway with the new key first (current, the old one after it), then rotate: rows it writes
// meanwhile are sealed under the new key already.
import { loadConfig, resolveConfigPath } from '../../config/load.ts';
import { ContentDecryptError } from '../../security/content-cipher.ts';
import { generateKey, KeyringError, loadKeyring } from '../../security/keyring.ts';
import { databasePath, openDatabase } from '../../stores/sqlite/database.ts';
import { SqliteRequestContentStore } from '../../stores/sqlite/request-content-store.ts';
import { CommandFailed, parseCommandLine, UsageError } from '../usage-error.ts';

export async function encryptionCommand(argv: string[]): Promise<void> {
  const [action, ...rest] = argv;
  const { values } = parseCommandLine({ args: rest, strict: true, options: { config: { type: 'string', short: 'c' } } });
  if (action === 'generate-key') {
    process.stdout.write(`${generateKey()}\n`);
    return;
  }
  if (action !== 'rotate') throw new UsageError('usage: archway encryption rotate | encryption generate-key');
  const { config } = await loadConfig(resolveConfigPath(values.config, process.env));
  let keyring;
  try {
    keyring = loadKeyring({ env: process.env, keyFile: config.logging.content.key_file });
  } catch (err) {
    if (err instanceof KeyringError) throw new CommandFailed(err.message);
    throw err;
  }
  if (keyring === undefined) throw new CommandFailed('no encryption key: set ARCHWAY_ENCRYPTION_KEY (old keys in ARCHWAY_ENCRYPTION_OLD_KEYS) or logging.content.key_file');
  const db = openDatabase(databasePath(config.data_dir));
  try {
    // A large table takes a while: show the count as it goes, on a terminal only (scripts read stdout's one line).
    const progress = process.stderr.isTTY ? (n: number) => process.stderr.write(`\r${n} records re-encrypted…`) : undefined;
    const { rotated, alreadyCurrent } = new SqliteRequestContentStore(db, keyring).rotate(progress);
    if (progress !== undefined && rotated > 0) process.stderr.write('\n');
    process.stdout.write(`re-encrypted ${rotated} records under key ${keyring.current.kid} (${alreadyCurrent} already current)\n`);
  } catch (err) {
    // A record that cannot be opened is a finding to report (which key to add), not a crash.
    if (err instanceof ContentDecryptError) throw new CommandFailed(err.message);
    throw err;
  } finally {
    db.close();
  }
}
