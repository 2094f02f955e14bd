// A Redis that stops answering while its connection stays up (busy with a slow command, paused, packets dropped on
// the way) makes every command wait out its timeout, and each request pays that wait. After one command times out,
// the next ones fail at once, and one goes through every `probeMs` to learn whether Redis answers again. (A Redis
// that is gone is refused at once by the connection itself: see connection.ts.)

const TIMED_OUT = /timed out/i;

export class StallBreaker {
  readonly #probeMs: number;
  #stalled = false;
  #probeAt = 0;

  constructor(probeMs: number) {
    this.#probeMs = probeMs;
  }

  /** Whether the last command timed out (and none has been answered since). */
  get stalled(): boolean {
    return this.#stalled;
  }

  /** `send`'s reply; while Redis is stalled and this is not a probe, the error `refuse` makes, without sending. */
  async run<T>(send: () => Promise<T>, refuse: () => Error): Promise<T> {
    if (this.#stalled) {
      const now = performance.now();
      if (now < this.#probeAt) throw refuse();
      this.#probeAt = now + this.#probeMs;
    }
    try {
      const reply = await send();
      this.#stalled = false;
      return reply;
    } catch (error) {
      if (TIMED_OUT.test(error instanceof Error ? error.message : String(error))) {
        this.#stalled = true;
        this.#probeAt = performance.now() + this.#probeMs;
      }
      throw error;
    }
  }
}
