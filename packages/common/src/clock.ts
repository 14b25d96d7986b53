/**
 * The process's real clocks. The `Clock` type stays in @udpcam/protocol (the reassembler takes
 * one and protocol depends on nothing); reading the process's time lives here.
 */
import type { Clock } from '@udpcam/protocol';

/** The real monotonic clock: performance.now(), ms since the process started (sub-ms resolution). */
export const monotonicClock: Clock = () => performance.now();

/**
 * Wall-clock µs since the Unix epoch at `nowMs` of the monotonic clock: µs resolution (Date.now()
 * has ms), and it never goes backwards. With a fake clock: a fixed origin plus fake time.
 */
export function epochMicrosAt(nowMs: number): number {
  return Math.round((performance.timeOrigin + nowMs) * 1000);
}

/** Wall-clock now in µs since the Unix epoch (`clock` defaults to the real monotonic clock). */
export function wallClockUs(clock: Clock = monotonicClock): number {
  return epochMicrosAt(clock());
}
