/**
 * One reader of the capture source for every page and preview: it keeps only the newest frame as
 * a JPEG (RGBA frames are encoded once, here) and never a queue — a request that is slow simply
 * gets the newest frame next time. The reader grabs only while someone has asked for a frame in
 * the last few seconds, so an idle tab left open does not keep a camera busy encoding.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { Backoff, monotonicClock } from '@udpcam/common';
import { type Clock, UdpcamError } from '@udpcam/protocol';
import { type FrameSource, type JpegCodec, jpegSize, LatestFrame, type RgbaImage } from '@udpcam/sender';

/** A frame as the page gets it. */
export interface LiveFrame {
  /** Counts frames from 1 in the order they were grabbed. */
  readonly seq: number;
  /** One whole JPEG. */
  readonly jpeg: Buffer;
  /** Pixel size. */
  readonly width: number;
  readonly height: number;
  /** Capture time in µs since the Unix epoch. */
  readonly captureUs: number;
}

/** Options of LiveFrames. */
export interface LiveFramesOptions {
  /** Most frames per second to grab; default 15. */
  fps?: number;
  /** JPEG quality for sources that give RGBA; default 85. */
  quality?: number;
  /** Stop grabbing this long after the last request (ms); default 3000. */
  idleMs?: number;
  /** Told about frames that failed (a camera hiccup); grabbing goes on after a pause. */
  onWarning?: (message: string) => void;
  /** Monotonic ms the idle rule and the grab interval read; default performance.now. */
  clock?: Clock;
}

/** The newest frame of a source, grabbed on demand; see the file comment. */
export class LiveFrames {
  readonly #source: FrameSource;
  readonly #codec: JpegCodec;
  readonly #intervalMs: number;
  readonly #quality: number;
  readonly #idleMs: number;
  readonly #onWarning: (message: string) => void;
  readonly #clock: Clock;
  readonly #latest = new LatestFrame<LiveFrame>();
  /** Pause after failed grabs in a row, 500 ms doubling to 5 s: a reconnecting camera is not hammered. */
  readonly #retry = new Backoff(500, 5000);
  /** Pixels of the newest frame: kept for RGBA sources, decoded on first use for JPEG ones. */
  #pixels: { seq: number; image: Promise<RgbaImage> } | undefined;
  #lastDemandMs = 0;
  #wake: (() => void) | undefined;
  #loop: Promise<void> | undefined;
  #stopped = false;

  constructor(source: FrameSource, codec: JpegCodec, options: LiveFramesOptions = {}) {
    this.#source = source;
    this.#codec = codec;
    this.#intervalMs = 1000 / (options.fps ?? 15);
    this.#quality = options.quality ?? 85;
    this.#idleMs = options.idleMs ?? 3000;
    this.#onWarning = options.onWarning ?? (() => {});
    this.#clock = options.clock ?? monotonicClock;
  }

  /** True while grabbing is paused because nobody asked for a frame within idleMs. */
  get idle(): boolean {
    return this.#wake !== undefined;
  }

  /** The source's name, for logs and the page. */
  get name(): string {
    return this.#source.name;
  }

  /** Starts the source and resolves with its first frame (so its size is known); rejects with the source's error. */
  async start(): Promise<LiveFrame> {
    await this.#source.start();
    const first = await this.#grab();
    this.#lastDemandMs = this.#clock();
    this.#loop = this.#run();
    return first;
  }

  /** The newest frame (start() has resolved, so there is one). */
  get newest(): LiveFrame {
    this.#lastDemandMs = this.#clock();
    this.#wake?.();
    return this.#latest.newest!;
  }

  /**
   * A frame newer than `afterSeq` — at once when there is one, else the next one grabbed — or the
   * newest after `timeoutMs` or once `signal` aborts (a client that went away).
   */
  async next(afterSeq: number, timeoutMs: number, signal?: AbortSignal): Promise<LiveFrame> {
    const newest = this.newest;
    if (newest.seq > afterSeq || this.#stopped) return newest;
    await this.#latest.next(afterSeq, timeoutMs, signal);
    return this.#latest.newest!;
  }

  /** The RGBA pixels of `frame` (decoded once for the newest frame; rejects with UDPCAM_ERR_SOURCE). */
  pixels(frame: LiveFrame): Promise<RgbaImage> {
    if (this.#pixels?.seq === frame.seq) return this.#pixels.image;
    const image = this.#codec.decode(frame.jpeg);
    if (frame.seq === this.#latest.seq) {
      this.#pixels = { seq: frame.seq, image };
      // A frame that cannot be decoded is retried on the next request, not cached as failed.
      image.catch(() => {
        if (this.#pixels?.image === image) this.#pixels = undefined;
      });
    }
    return image;
  }

  /** Stops grabbing and stops the source; pending `next` calls get the newest frame. */
  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    this.#wake?.();
    this.#latest.cancel(new UdpcamError('UDPCAM_ERR_CLOSED', `${this.name}: stopped`));
    await this.#loop;
    await this.#source.stop();
  }

  async #run(): Promise<void> {
    while (!this.#stopped) {
      if (this.#latest.waiting === 0 && this.#clock() - this.#lastDemandMs > this.#idleMs) {
        await new Promise<void>((resolve) => {
          this.#wake = resolve;
        });
        this.#wake = undefined;
        continue;
      }
      const startedMs = this.#clock();
      try {
        await this.#grab();
        this.#retry.succeed();
      } catch (error) {
        if (this.#stopped) break;
        this.#onWarning((error as Error).message);
        await sleep(this.#retry.fail());
      }
      const restMs = this.#intervalMs - (this.#clock() - startedMs);
      if (restMs > 0 && !this.#stopped) await sleep(restMs);
    }
  }

  /** Grabs one frame, makes it a JPEG we own (the source reuses its buffers) and publishes it. */
  async #grab(): Promise<LiveFrame> {
    const captured = await this.#source.grab();
    const seq = this.#latest.seq + 1;
    let frame: LiveFrame;
    if (captured.kind === 'rgba') {
      const rgba = Buffer.from(captured.data);
      const { width, height } = captured;
      const jpeg = await this.#codec.encode(rgba, width, height, this.#quality);
      frame = { seq, jpeg, width, height, captureUs: captured.captureUs };
      this.#pixels = { seq, image: Promise.resolve({ data: rgba, width, height }) };
    } else {
      const jpeg = Buffer.from(captured.data);
      const size = jpegSize(jpeg);
      if (size === undefined) {
        throw new UdpcamError(
          'UDPCAM_ERR_SOURCE',
          `${this.#source.name}: a frame without a JPEG frame header`,
        );
      }
      frame = { seq, jpeg, ...size, captureUs: captured.captureUs };
      this.#pixels = undefined;
    }
    this.#latest.put(frame);
    return frame;
  }
}
