/**
 * The two clocks of the sender: a monotonic one for pacing (never jumps when the system clock is
 * set) and a wall clock for capture stamps that receivers compare with their own.
 */

/** Monotonic time in ms (sub-ms resolution), for schedules and durations. */
export function monotonicMs(): number {
  return performance.now();
}

/**
 * Wall-clock time in µs since the Unix epoch. Derived from the monotonic clock and its origin,
 * so it has µs resolution (Date.now() has ms) and consecutive stamps never go backwards.
 */
export function wallClockUs(): number {
  return Math.round((performance.timeOrigin + performance.now()) * 1000);
}
