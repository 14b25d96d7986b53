/**
 * Waiting without timers, for tests that mock them (node:test `mock.timers`): a turn of the event
 * loop at a time (setImmediate is not mocked, and each turn polls real I/O).
 */

/** Resolves once `done()` holds; throws after 20 s of real time (only a guard against hangs). */
export async function settle(done: () => boolean, what: string): Promise<void> {
  const deadline = performance.now() + 20_000;
  while (!done()) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setImmediate(resolve));
  }
}

/** Lets `count` turns of the event loop go by (for "nothing happens until the clock moves" checks). */
export async function turns(count = 50): Promise<void> {
  for (let i = 0; i < count; i++) await new Promise((resolve) => setImmediate(resolve));
}
