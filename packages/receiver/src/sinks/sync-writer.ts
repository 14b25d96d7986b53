/**
 * When the disk sink may write a frame file synchronously (write-frame.ts). A 64 kB frame into
 * the page cache is a few tens of µs of syscalls; through fs.promises it is four thread-pool
 * hand-offs, ~500 µs of CPU in wake-ups per frame on a small VM (issue 16). GStreamer's
 * multifilesink writes synchronously too. But a synchronous write holds up the event loop, so each
 * one is timed with the injected clock:
 *  - a write slower than `slowWriteMs` sends all writes to the thread pool for `backoffMs`,
 *    doubling while the probe after each backoff is slow too, up to `maxBackoffMs`;
 *  - synchronous writes may take `dutyCycle` of the time (a token bucket of at most `burstMs`), so
 *    a flood of large frames cannot starve the socket.
 */
import { Backoff } from '@udpcam/common';

/** Limits of synchronous writing; every one has a default (DEFAULT_SYNC_WRITE_OPTIONS). */
export interface SyncWriteOptions {
  /** A synchronous write taking longer than this (ms) means the disk is not keeping up. */
  slowWriteMs: number;
  /** Async-only time after a slow write (ms); doubles while the probes stay slow. */
  backoffMs: number;
  maxBackoffMs: number;
  /** Share of the clock's time (0..1) synchronous writes may take, on average. */
  dutyCycle: number;
  /** Synchronous write time (ms) that may be spent at once after an idle spell. */
  burstMs: number;
}

export const DEFAULT_SYNC_WRITE_OPTIONS: Readonly<SyncWriteOptions> = Object.freeze({
  // A 64 kB write into the page cache takes ~0.1 ms; 20 ms is a disk in trouble, well above
  // the few ms a busy machine's scheduler may take the core away in the middle of a write.
  slowWriteMs: 20,
  backoffMs: 1000,
  maxBackoffMs: 30_000,
  dutyCycle: 0.2,
  burstMs: 20,
});

/** Decides, write by write, whether the next frame may be written synchronously. Pure: time is passed in. */
export class SyncWriteGate {
  readonly options: Readonly<SyncWriteOptions>;
  /** Synchronous writes slower than slowWriteMs so far. */
  slowWrites = 0;
  #tokensMs: number;
  #refilledAt: number | undefined;
  #asyncUntil = Number.NEGATIVE_INFINITY;
  readonly #backoff: Backoff;

  constructor(options: Partial<SyncWriteOptions> = {}) {
    this.options = Object.freeze({ ...DEFAULT_SYNC_WRITE_OPTIONS, ...options });
    this.#tokensMs = this.options.burstMs;
    this.#backoff = new Backoff(this.options.backoffMs, this.options.maxBackoffMs);
  }

  /** Whether a write starting at `now` (ms) may be synchronous. */
  allows(now: number): boolean {
    if (this.#refilledAt !== undefined && now > this.#refilledAt) {
      const refill = (now - this.#refilledAt) * this.options.dutyCycle;
      this.#tokensMs = Math.min(this.options.burstMs, this.#tokensMs + refill);
    }
    this.#refilledAt = now;
    return now >= this.#asyncUntil && this.#tokensMs > 0;
  }

  /** Records a synchronous write that ran from `start` to `end` (ms). */
  record(start: number, end: number): void {
    const took = Math.max(0, end - start);
    // The refill since `start` (at the next allows) counts the write's own time: on average
    // synchronous writes take dutyCycle of all the time.
    this.#tokensMs -= took;
    this.#refilledAt ??= start;
    if (took <= this.options.slowWriteMs) {
      this.#backoff.succeed();
      return;
    }
    this.slowWrites++;
    this.#asyncUntil = end + this.#backoff.fail();
  }
}
