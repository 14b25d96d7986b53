/**
 * The one slot between a capture and its readers (µStreamer's `_stream_expose_frame`): it holds
 * only the newest frame, never a queue. A camera source puts each frame it captures; a reader
 * takes the newest one it has not had yet, or waits for the next (up to a timeout). A frame
 * replaced before anyone took it is counted as skipped, never sent late. Waits time out on
 * setTimeout, which tests drive with node:test's mock.timers.
 */

/** A waiting reader; a `taker` takes the frame that wakes it. `true`: a frame came; `false`: timeout or abort. */
interface Waiter {
  taker: boolean;
  wake(outcome: boolean | Error): void;
}

/** Newest frame + its waiters; see the file comment. */
export class LatestFrame<T> {
  #newest: T | undefined;
  #seq = 0;
  #taken = 0;
  #skipped = 0;
  readonly #waiters = new Set<Waiter>();

  /** The newest frame put, if any. */
  get newest(): T | undefined {
    return this.#newest;
  }

  /** Frames put so far: the newest frame's number, from 1. */
  get seq(): number {
    return this.#seq;
  }

  /** Frames replaced by a newer one before `take` had them. */
  get skipped(): number {
    return this.#skipped;
  }

  /** True when the newest frame has not been taken yet. */
  get fresh(): boolean {
    return this.#seq > this.#taken;
  }

  /** Readers waiting now. */
  get waiting(): number {
    return this.#waiters.size;
  }

  /** Makes `frame` the newest and wakes every waiting reader. */
  put(frame: T): void {
    if (this.fresh) this.#skipped++;
    this.#newest = frame;
    this.#seq++;
    const waiters = [...this.#waiters];
    if (waiters.some((waiter) => waiter.taker)) this.#taken = this.#seq;
    for (const waiter of waiters) waiter.wake(true);
  }

  /**
   * For one reader: the newest frame not taken yet, at once or when it comes. Rejects with
   * `timeoutError()` after `timeoutMs` (ms) without one, or with the error given to `cancel`.
   */
  take(timeoutMs: number, timeoutError: () => Error): Promise<T> {
    if (this.fresh) {
      this.#taken = this.#seq;
      return Promise.resolve(this.#newest as T);
    }
    return this.#wait(true, this.#taken, timeoutMs).then((outcome) => {
      if (outcome !== true) throw outcome === false ? timeoutError() : outcome;
      return this.#newest as T;
    });
  }

  /**
   * For many readers, each at its own place: resolves true once a frame numbered above `afterSeq`
   * is there (at once if it is) or the next frame comes; false after `timeoutMs` (ms), when
   * `signal` aborts or on `cancel`. Does not take the frame.
   */
  next(afterSeq: number, timeoutMs: number, signal?: AbortSignal): Promise<boolean> {
    return this.#wait(false, afterSeq, timeoutMs, signal).then((outcome) => outcome === true);
  }

  /** Ends every wait now: `take` rejects with `error`, `next` resolves false. */
  cancel(error: Error): void {
    for (const waiter of [...this.#waiters]) waiter.wake(error);
  }

  #wait(taker: boolean, afterSeq: number, timeoutMs: number, signal?: AbortSignal): Promise<boolean | Error> {
    if (this.#seq > afterSeq) return Promise.resolve(true);
    if (signal?.aborted) return Promise.resolve(false);
    return new Promise((resolve) => {
      const onAbort = () => waiter.wake(false);
      const timer = setTimeout(onAbort, timeoutMs);
      const waiter: Waiter = {
        taker,
        wake: (outcome) => {
          clearTimeout(timer);
          signal?.removeEventListener('abort', onAbort);
          this.#waiters.delete(waiter);
          resolve(outcome);
        },
      };
      signal?.addEventListener('abort', onAbort);
      this.#waiters.add(waiter);
    });
  }
}
