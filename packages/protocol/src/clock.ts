/**
 * The one clock type of udpcam. Everything whose decisions depend on time (reassembly expiry,
 * frame pacing, rates, online/offline, the recent-frames window) reads it from an injected
 * `Clock` instead of calling performance.now() itself, so tests drive time with a fake clock and
 * never wait on the wall clock. The real clock is @udpcam/common's monotonicClock (protocol reads
 * no time itself).
 */

/** Monotonic time in ms (sub-ms resolution; never jumps when the system clock is set). */
export type Clock = () => number;
