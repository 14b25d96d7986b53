/**
 * The area warp on a worker thread, as the Sender's transform. A 1920x1080 → 1280x720 warp takes
 * ~25 ms of bilinear sampling; on the event loop that would stall an MJPEG or ffmpeg source's
 * reads, timers and status output, so it runs beside the codec's threads instead. The geometry
 * is checked here first (AreaWarp's constructor), so a bad quad fails before any worker starts.
 *
 *   apply(rgba) ─ copy, transfer ──▶ AreaWarp.warp (warp-worker.ts) ─┐
 *   ◀──────────────────────── transfer the warped frame back ────────┘
 */
import type { RgbaImage } from '../encoders/encoder.js';
import { WorkerClient } from '../worker-client.js';
import { AreaWarp, type CaptureArea } from './warp.js';
import type { WarpRequest, WarpResult } from './warp-worker.js';

const WORKER_URL = new URL('./warp-worker.js', import.meta.url);

export class WorkerWarp {
  /** Output size: the area's visible_rect. */
  readonly width: number;
  readonly height: number;
  readonly #client: WorkerClient<WarpRequest, WarpResult>;

  /** Throws UDPCAM_ERR_INVALID_OPTION for a degenerate quad, like AreaWarp. */
  constructor(area: CaptureArea) {
    const warp = new AreaWarp(area);
    this.width = warp.width;
    this.height = warp.height;
    this.#client = new WorkerClient(WORKER_URL, 'the area-warp worker', area);
  }

  /** Thread id of the worker (undefined before first use): lets tests see the work moved. */
  get threadId(): number | undefined {
    return this.#client.threadId;
  }

  /**
   * The warped frame (width x height RGBA, or `area`'s visible size when given), a buffer of its
   * own. `area` must already be checked (AreaWarp's constructor) by the caller.
   */
  async apply(image: RgbaImage, area?: CaptureArea): Promise<Buffer> {
    const data = new Uint8Array(image.data); // a copy the worker may own; sources reuse theirs
    const reply = await this.#client.call({ data, width: image.width, height: image.height, area }, [
      data.buffer as ArrayBuffer,
    ]);
    return Buffer.from(reply.data.buffer, reply.data.byteOffset, reply.data.byteLength);
  }

  /** Ends the worker. Idempotent. */
  close(): Promise<void> {
    return this.#client.close();
  }
}
