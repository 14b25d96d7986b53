/**
 * The two clocks of the sender: a monotonic one for pacing (never jumps when the system clock is
 * set) and a wall clock for capture stamps that receivers compare with their own.
 */

import { epochMicrosAt, monotonicClock } from '@udpcam/protocol';

/** Monotonic time in ms (sub-ms resolution), for schedules and durations (protocol's monotonicClock). */
export const monotonicMs = monotonicClock;

/**
 * Wall-clock time in µs since the Unix epoch. Derived from the monotonic clock and its origin,
 * so it has µs resolution (Date.now() has ms) and consecutive stamps never go backwards.
 */
export function wallClockUs(): number {
  return epochMicrosAt(monotonicClock());
}
