// A Redis that stops answering while its connection stays up (busy with a slow command, paused, packets dropped on
// the way) makes every command wait out its timeout, and each request pays that wait. After one command times out,
// the next ones fail at once, and one goes through every `probeMs` to learn whether Redis answers again. (A Redis
// that is gone is refused at once by the connection itself: see connection.ts.)

const TIMED_OUT = /timed out/i;

export class StallBreaker {
  readonly #probeMs: number;
  readonly #refusal: string;
  #stalled = false;
  #probeAt = 0;

  /** `refusal`: the message of the error a command gets when it is refused without being sent. */
  constructor(probeMs: number, refusal: string) {
    this.#probeMs = probeMs;
    this.#refusal = refusal;
  }

  /** Whether the last command timed out (and none has been answered since). */
  get stalled(): boolean {
    return this.#stalled;
  }

  /** `send`'s reply; while Redis is stalled and this is not a probe, an error with the refusal, without sending. */
  async run<T>(send: () => Promise<T>): Promise<T> {
    if (this.#stalled) {
      const now = performance.now();
      if (now < this.#probeAt) throw new Error(this.#refusal);
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
