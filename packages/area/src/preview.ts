/**
 * The page's warped preview: the newest source frame through the sender's own AreaWarp (one warp
 * implementation, so the preview is what `udpcam send --area` will send), encoded as a JPEG.
 * Renders run one at a time — a 2-core machine gains nothing from more — and at most `maxPending`
 * wait; past that the caller is told to come back. The warp itself runs on a worker thread, so a
 * large preview never stalls the server's other answers.
 */
import { type AreaWarp, type CaptureArea, type JpegCodec, WorkerWarp } from '@udpcam/sender';
import type { LiveFrame, LiveFrames } from './live-frames.js';

/** Checks a capture area (schema, convex quad, inside the source); throws a UdpcamError whose message the page shows. */
export type AreaCheck = (value: unknown) => { area: CaptureArea; warp: AreaWarp };

/** Options of PreviewRenderer. */
export interface PreviewOptions {
  /** JPEG quality; default 80. */
  quality?: number;
  /** Renders allowed to wait behind the running one; default 4. */
  maxPending?: number;
}

/** Warps and encodes preview frames one at a time; see the file comment. */
export class PreviewRenderer {
  readonly #live: LiveFrames;
  readonly #codec: JpegCodec;
  readonly #check: AreaCheck;
  readonly #quality: number;
  readonly #maxPending: number;
  /** The warp of the last area asked for (areas change only when a corner moves). */
  #warp: { key: string; warp: AreaWarp } | undefined;
  /** The last preview made, for a second tab asking for the same frame and area. */
  #last: { key: string; seq: number; jpeg: Buffer } | undefined;
  #queue: Promise<unknown> = Promise.resolve();
  #pending = 0;
  /** The warp runs here, off the event loop (issue 11, finding 18): made on first use. */
  #worker: WorkerWarp | undefined;

  constructor(live: LiveFrames, codec: JpegCodec, check: AreaCheck, options: PreviewOptions = {}) {
    this.#live = live;
    this.#codec = codec;
    this.#check = check;
    this.#quality = options.quality ?? 80;
    this.#maxPending = options.maxPending ?? 4;
  }

  /** True when a new render would wait behind too many others (answer 503 and let the page retry). */
  get busy(): boolean {
    return this.#pending > this.#maxPending;
  }

  /**
   * The JPEG of `frame` warped by `area`, at the visible_rect's size. Rejects with the check's
   * UdpcamError for an area that cannot be warped.
   */
  render(frame: LiveFrame, area: CaptureArea): Promise<Buffer> {
    this.#pending++;
    const job = this.#queue.then(() => this.#render(frame, area));
    this.#queue = job.catch(() => {});
    return job.finally(() => {
      this.#pending--;
    });
  }

  async #render(frame: LiveFrame, area: CaptureArea): Promise<Buffer> {
    const key = JSON.stringify(area);
    if (this.#last?.key === key && this.#last.seq === frame.seq) return this.#last.jpeg;
    if (this.#warp?.key !== key) this.#warp = { key, warp: this.#check(area).warp };
    const { warp } = this.#warp;
    const pixels = await this.#live.pixels(frame);
    this.#worker ??= new WorkerWarp(area);
    const warped = await this.#worker.apply(pixels, area);
    const jpeg = await this.#codec.encode(warped, warp.width, warp.height, this.#quality);
    this.#last = { key, seq: frame.seq, jpeg };
    return jpeg;
  }

  /** Thread id of the warp worker (undefined before the first render): lets tests see the work moved. */
  get warpThreadId(): number | undefined {
    return this.#worker?.threadId;
  }

  /** Ends the warp worker. */
  async close(): Promise<void> {
    await this.#worker?.close();
    this.#worker = undefined;
  }
}
