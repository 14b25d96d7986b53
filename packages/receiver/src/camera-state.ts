/**
 * What the receiver knows of one camera: frame counts, rates and capture → receive latency. Kept
 * inside the Receiver; consumers read it through `Receiver.stats()` (stats.ts).
 */
import { percentile, RateMeter } from '@udpcam/common';
import type { LatencyPercentiles } from './stats.js';

/** Latency above this (µs) means the sender's clock is off, not that the frame was late. */
export const MAX_PLAUSIBLE_LATENCY_US = 10_000_000;
/** A negative latency within this (µs) is two clocks a little apart; beyond it, a wrong clock. */
export const MAX_CLOCK_SKEW_US = 1_000_000;

/** Latency samples kept per camera for percentiles. */
const LATENCY_SAMPLES = 512;

/** The fields CameraStats (stats.ts) shows, as frames come. */
export class CameraState {
  /** Frames and frame bytes per second over the last ~2 s. */
  readonly frameRate = new RateMeter();
  readonly byteRate = new RateMeter();
  frames = 0;
  bytes = 0;
  lastFrameUs = 0;
  /** Receiver clock time (ms) of the last frame. */
  lastFrameAt = Number.NEGATIVE_INFINITY;
  lastLatencyUs: number | undefined = undefined;
  readonly #latencies = new Float64Array(LATENCY_SAMPLES);
  implausibleLatencies = 0;
  latencySumUs = 0;
  latencyCount = 0;

  constructor(
    /** Camera id: its name, or its address made safe for paths and URLs. */
    readonly camera: string,
    /** The sender key ("address:port") its frames come from now: a restart brings a new port. */
    public sender: string,
    readonly named: boolean,
  ) {}

  /** Records a frame of `bytes` at `nowMs`, with its latency if known. */
  record(bytes: number, nowMs: number, receivedUs: number, latencyUs: number | undefined): void {
    this.frames++;
    this.bytes += bytes;
    this.lastFrameUs = receivedUs;
    this.lastFrameAt = nowMs;
    this.frameRate.add(nowMs);
    this.byteRate.add(nowMs, bytes);
    if (latencyUs === undefined) return;
    // A sender's clock far off (or a forged stamp) is flagged, not averaged in (issue 11, finding 17).
    if (latencyUs < -MAX_CLOCK_SKEW_US || latencyUs > MAX_PLAUSIBLE_LATENCY_US) {
      this.implausibleLatencies++;
      return;
    }
    this.lastLatencyUs = latencyUs;
    this.#latencies[this.latencyCount % LATENCY_SAMPLES] = latencyUs;
    this.latencySumUs += latencyUs;
    this.latencyCount++;
  }

  /** Latency percentiles (µs, nearest rank) over the last 512 frames that carried metadata; undefined if none. */
  latencyPercentiles(): LatencyPercentiles | undefined {
    const n = Math.min(this.latencyCount, LATENCY_SAMPLES);
    if (n === 0) return undefined;
    const sorted = this.#latencies.slice(0, n).sort(); // a Float64Array sorts numerically
    const at = (q: number) => percentile(sorted, q);
    return { p50: at(0.5), p95: at(0.95), p99: at(0.99), max: at(1) };
  }
}
