// Whether the client has gone away before its response was complete, and who to tell when it does. A plain
// listener list instead of an AbortController per request: the common request never disconnects, and EventTarget
// listeners cost more than the rest of the bookkeeping. An AbortSignal is made only for the slow paths that take one
// (waiting in a bulkhead queue, sleeping before a retry).
export class ClientGone {
  #gone = false;
  #listeners: (() => void)[] = [];
  #controller: AbortController | undefined;

  get gone(): boolean {
    return this.#gone;
  }

  on(listener: () => void): void {
    this.#listeners.push(listener);
  }

  off(listener: () => void): void {
    const at = this.#listeners.indexOf(listener);
    if (at >= 0) this.#listeners.splice(at, 1);
  }

  /** Called once, when the connection closes before the response was finished. */
  fire(): void {
    if (this.#gone) return;
    this.#gone = true;
    const listeners = this.#listeners;
    this.#listeners = [];
    for (const listener of listeners) listener();
    this.#controller?.abort(CLIENT_GONE);
  }

  get signal(): AbortSignal {
    if (this.#controller === undefined) {
      this.#controller = new AbortController();
      if (this.#gone) this.#controller.abort(CLIENT_GONE);
    }
    return this.#controller.signal;
  }
}

export const CLIENT_GONE = new Error('the client closed the connection');
