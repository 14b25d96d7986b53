/**
 * The one clock type of udpcam: everything whose decisions depend on time reads an injected
 * `Clock`, so tests drive time with a fake one. The real one is @udpcam/common's monotonicClock.
 */

/** Monotonic time in ms (sub-ms resolution; never jumps when the system clock is set). */
export type Clock = () => number;
