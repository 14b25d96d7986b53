/**
 * Events per second over a sliding window (the sender's achieved fps). Pure: the caller passes
 * `now` in ms. Keeps the times of the events still in the window, in a queue that is compacted
 * when half of it is spent, so a long run holds about one window of entries.
 */

/** Counts events in the last `windowMs` (default 1000 ms). */
export class RateMeter {
  readonly #times: number[] = [];
  #head = 0;

  constructor(readonly windowMs = 1000) {}

  /** Records one event at `nowMs`. */
  record(nowMs: number): void {
    this.#times.push(nowMs);
    this.#evict(nowMs);
  }

  /** Events per second over the window ending at `nowMs`. */
  rate(nowMs: number): number {
    this.#evict(nowMs);
    return ((this.#times.length - this.#head) * 1000) / this.windowMs;
  }

  #evict(nowMs: number): void {
    const times = this.#times;
    while (this.#head < times.length && times[this.#head]! <= nowMs - this.windowMs) this.#head++;
    if (this.#head > 64 && this.#head * 2 > times.length) {
      times.splice(0, this.#head);
      this.#head = 0;
    }
  }
}
