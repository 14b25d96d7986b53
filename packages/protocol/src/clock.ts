/**
 * The one clock type of udpcam. Everything whose decisions depend on time (reassembly expiry,
 * frame pacing, rates, online/offline, the recent-frames window) reads it from an injected
 * `Clock` instead of calling performance.now() itself, so tests drive time with a fake clock and
 * never wait on the wall clock.
 */

/** Monotonic time in ms (sub-ms resolution; never jumps when the system clock is set). */
export type Clock = () => number;

/** The real clock: performance.now(), ms since the process started. */
export const monotonicClock: Clock = () => performance.now();

/**
 * Wall-clock µs since the Unix epoch at monotonic time `nowMs` of the real clock's timeline:
 * performance.timeOrigin + nowMs. µs resolution (Date.now() has ms), and it never goes backwards
 * while the monotonic clock does not. With a fake clock it is a fixed origin plus fake time.
 */
export function epochMicrosAt(nowMs: number): number {
  return Math.round((performance.timeOrigin + nowMs) * 1000);
}
