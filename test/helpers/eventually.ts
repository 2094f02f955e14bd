// Waiting in a test for something another process or thread does in its own time: tried every 25 ms until it
// gives a value, and a failure that says what never happened.

/** `attempt`'s first value other than undefined (a throw counts as undefined); fails after `withinMs`. */
export async function eventually<T>(what: string, attempt: () => T | undefined | Promise<T | undefined>, withinMs = 5_000): Promise<T> {
  const deadline = Date.now() + withinMs;
  for (;;) {
    const result = await Promise.resolve().then(attempt).catch(() => undefined);
    if (result !== undefined) return result;
    if (Date.now() > deadline) throw new Error(`not within ${withinMs} ms: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
