/**
 * The one slot between a capture and its readers (µStreamer's `_stream_expose_frame`): it holds
 * only the newest frame, never a queue. A camera source puts each frame it captures; a reader
 * takes the newest one it has not had yet, or waits for the next (up to a timeout). A frame
 * replaced before anyone took it is counted as skipped, never sent late. Waits time out on
 * setTimeout, which tests drive with node:test's mock.timers.
 */

/** Wakes a waiting reader: `true`, a frame came; `false`, timeout or abort; an error, `cancel`. */
type Waiter = (outcome: boolean | Error) => void;

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

  /** Makes `frame` the newest and wakes every waiting reader (a frame that wakes one counts as taken). */
  put(frame: T): void {
    if (this.fresh) this.#skipped++;
    this.#newest = frame;
    this.#seq++;
    if (this.#waiters.size > 0) this.#taken = this.#seq;
    for (const wake of [...this.#waiters]) wake(true);
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
    return this.#wait(this.#taken, timeoutMs).then((outcome) => {
      if (outcome !== true) throw outcome === false ? timeoutError() : outcome;
      return this.#newest as T;
    });
  }

  /**
   * For many readers, each at its own place (a slot serves `take` or `next`, not both): resolves
   * true once a frame numbered above `afterSeq` is there (at once if it is) or the next frame
   * comes; false after `timeoutMs` (ms), when `signal` aborts or on `cancel`.
   */
  next(afterSeq: number, timeoutMs: number, signal?: AbortSignal): Promise<boolean> {
    return this.#wait(afterSeq, timeoutMs, signal).then((outcome) => outcome === true);
  }

  /** Ends every wait now: `take` rejects with `error`, `next` resolves false. */
  cancel(error: Error): void {
    for (const wake of [...this.#waiters]) wake(error);
  }

  #wait(afterSeq: number, timeoutMs: number, signal?: AbortSignal): Promise<boolean | Error> {
    if (this.#seq > afterSeq) return Promise.resolve(true);
    if (signal?.aborted) return Promise.resolve(false);
    return new Promise((resolve) => {
      const onAbort = () => wake(false);
      const timer = setTimeout(onAbort, timeoutMs);
      const wake: Waiter = (outcome) => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        this.#waiters.delete(wake);
        resolve(outcome);
      };
      signal?.addEventListener('abort', onAbort);
      this.#waiters.add(wake);
    });
  }
}
