/**
 * Exponential backoff for what restarts or waits after a failure (ffmpeg, a camera connection,
 * the sender's next frame, the area tool's next grab, the receiver's slow disk and failed logins):
 * the first retry after `initialMs`, each one after that twice as long up to `maxMs`, and
 * `initialMs` again after a success. It also holds the one pending retry timer (setTimeout, which
 * tests drive with node:test's mock.timers), so a source cancels it in one call when it stops.
 */

/** Failures in a row → delays before the next try; see the file comment. */
export class Backoff {
  #failures = 0;
  #timer: NodeJS.Timeout | undefined;

  /** Delays (ms) after the first failure in a row, and at most (`maxMs` wins over `initialMs`). */
  constructor(
    readonly initialMs = 250,
    readonly maxMs = 5000,
  ) {}

  /** Failures since the last success. */
  get failures(): number {
    return this.#failures;
  }

  /** True while a retry scheduled by `retry` has not run yet. */
  get pending(): boolean {
    return this.#timer !== undefined;
  }

  /** Records a failure; returns how long to wait before the next try (ms). */
  fail(): number {
    return this.delayAfter(++this.#failures);
  }

  /** The delay after the `failures`-th failure in a row (ms), for callers that keep their own count. */
  delayAfter(failures: number): number {
    // The exponent's cap keeps 0 * 2 ** n a number for any count.
    return Math.min(this.maxMs, this.initialMs * 2 ** Math.min(failures - 1, 30));
  }

  /** Records a success: the next failure waits `initialMs` again. */
  succeed(): void {
    this.#failures = 0;
  }

  /** Records a failure and runs `again` after its delay (replacing a pending retry); returns the delay (ms). */
  retry(again: () => void): number {
    const delayMs = this.fail();
    this.cancel();
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      again();
    }, delayMs);
    return delayMs;
  }

  /** Drops the pending retry, if any. */
  cancel(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}
