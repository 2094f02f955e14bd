// Who is calling: the identity every later decision (models allowed, limits, logs) is made for.
import type { KeyRole } from '../stores/key-store.ts';

export interface Principal {
  /** The key's id (never the key itself). */
  readonly keyId: string;
  readonly name: string;
  readonly role: KeyRole;
  readonly teamId: string | null;
  /** Models this caller may use; null for all. */
  readonly models: ReadonlySet<string> | null;
}

export function mayUseModel(principal: Principal, model: string): boolean {
  return principal.models === null || principal.models.has(model);
}
