// Cool-downs for a single replica: there is no one else to tell, so a publication goes straight to the listeners.
import type { CoolDownBus } from '../quota-store.ts';

export class LocalCoolDownBus implements CoolDownBus {
  readonly #listeners: ((backendId: string, until: number) => void)[] = [];

  publish(backendId: string, until: number): void {
    for (const listener of this.#listeners) listener(backendId, until);
  }

  subscribe(listener: (backendId: string, until: number) => void): void {
    this.#listeners.push(listener);
  }

  async close(): Promise<void> {
    this.#listeners.length = 0;
  }
}
