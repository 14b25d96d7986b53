/**
 * The frame clock, as pure arithmetic (the caller passes `now`): slot k is due at
 * start + k * interval. Deadlines come from the start, not from the previous frame, so timer
 * lateness never accumulates into drift. When a frame runs long, the slots whose time has gone
 * are skipped — the next frame goes out at the next due slot with a fresh grab — instead of
 * bursting to catch up with frames that would all be stale.
 */

/** Absolute schedule of frame slots, in ms of a monotonic clock. */
export class FrameSchedule {
  /**
   * @param intervalMs time between slots (1000 / fps)
   * @param startMs due time of slot 0
   * @param lateToleranceMs how late (ms) a slot may still start rather than be skipped; default half an interval
   */
  constructor(
    readonly intervalMs: number,
    readonly startMs: number,
    readonly lateToleranceMs: number = intervalMs / 2,
  ) {}

  /** When slot `slot` is due (ms). */
  dueAt(slot: number): number {
    return this.startMs + slot * this.intervalMs;
  }

  /**
   * The slot to run after `slot`, at time `nowMs`: slot + 1, or the first later slot that is not
   * more than `lateToleranceMs` past due. Slots in between are missed (the caller counts them).
   */
  nextSlot(slot: number, nowMs: number): number {
    const earliest = Math.ceil((nowMs - this.startMs - this.lateToleranceMs) / this.intervalMs);
    return Math.max(slot + 1, earliest);
  }

  /** Number of slots due before `durationMs` after the start: slots 0 .. n-1. */
  slotsWithin(durationMs: number): number {
    return Math.ceil(durationMs / this.intervalMs);
  }
}
