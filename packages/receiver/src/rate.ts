/** Events per second over the last ~2 s, from whole-second buckets: O(1) per event, no arrays. */
export class RateCounter {
  #bucket = -1;
  #current = 0;
  #previous = 0;

  /** Counts `n` events at `nowMs` (any monotonic clock in ms). */
  add(nowMs: number, n = 1): void {
    this.#roll(nowMs);
    this.#current += n;
  }

  /** Events per second: the last full second, blended with the one in progress. */
  rate(nowMs: number): number {
    this.#roll(nowMs);
    const fraction = (nowMs % 1000) / 1000;
    return this.#previous * (1 - fraction) + this.#current;
  }

  #roll(nowMs: number): void {
    const bucket = Math.floor(nowMs / 1000);
    if (bucket === this.#bucket) return;
    this.#previous = bucket === this.#bucket + 1 ? this.#current : 0;
    this.#current = 0;
    this.#bucket = bucket;
  }
}
