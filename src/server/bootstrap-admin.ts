// The first start must not leave the gateway open, nor locked with no way in: without ARCHWAY_ADMIN_KEY and with
// no admin key stored yet, an admin key is created and shown once.
import type { KeyStore } from '../stores/key-store.ts';
import type { Logger } from '../observability/logger.ts';

export async function ensureAdminKey(store: KeyStore, envAdminKey: string | undefined, announce: (secret: string) => void, log: Logger): Promise<void> {
  if (envAdminKey) return;
  const keys = await store.list();
  if (keys.some((k) => k.role === 'admin' && k.revokedAt === null)) return;
  const { record, secret } = await store.create({ name: 'bootstrap-admin', role: 'admin' });
  log.warn({ keyId: record.id, prefix: record.prefix }, 'no admin key existed: created one (shown once on the console)');
  announce(secret);
}
