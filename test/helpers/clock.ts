/**
 * A fake clock for code that takes a `Clock` (monotonic ms): time stands still until the test
 * moves it, so every time-dependent decision (rates, online/offline, ring age, pacing) is exact.
 */
import type { Clock } from '@udpcam/protocol';

/** A settable monotonic clock in ms; `now` is the `Clock` to inject. */
export class FakeClock {
  #ms: number;

  /** Starts at `startMs` (default 10 000 ms, so "a few seconds ago" is still a positive time). */
  constructor(startMs = 10_000) {
    this.#ms = startMs;
  }

  /** The current fake time in ms; pass this as the `clock` option. */
  readonly now: Clock = () => this.#ms;

  /** Moves time forward by `ms`. */
  advance(ms: number): void {
    if (!(ms >= 0)) throw new Error(`a clock only moves forward, got ${ms} ms`);
    this.#ms += ms;
  }
}
