/** Which frames go to disk: every Nth and/or at most F per second, per camera. */

/** Thinning settings; undefined means no thinning of that kind. */
export interface ThinningOptions {
  /** Write one frame in N. */
  every?: number;
  /** Write at most this many frames per second. */
  maxFps?: number;
}

/** Decides per camera whether a frame is written. */
export class Thinning {
  readonly #options: ThinningOptions;
  readonly #seen = new Map<string, number>();
  readonly #nextAt = new Map<string, number>();

  constructor(options: ThinningOptions) {
    this.#options = options;
  }

  /** True when this frame of `camera`, arriving at `nowMs`, should be written. */
  admit(camera: string, nowMs: number): boolean {
    const { every, maxFps } = this.#options;
    if (every !== undefined && every > 1) {
      const seen = this.#seen.get(camera) ?? 0;
      this.#seen.set(camera, seen + 1);
      if (seen % every !== 0) return false;
    }
    if (maxFps !== undefined) {
      const interval = 1000 / maxFps;
      const nextAt = this.#nextAt.get(camera) ?? Number.NEGATIVE_INFINITY;
      // 10% slack so a 30 fps stream thinned to 15 fps keeps every other frame despite jitter.
      if (nowMs < nextAt - interval * 0.1) return false;
      // On time: keep the cadence (no drift). More than an interval late (the first frame, or after
      // a pause): start a new cadence from this frame. (Restarting at `nowMs` itself let the very
      // next frame through too: two frames back to back after every pause.)
      this.#nextAt.set(camera, nowMs > nextAt + interval ? nowMs + interval : nextAt + interval);
    }
    return true;
  }
}
