/**
 * The sender loop: on each slot of an absolute frame schedule, grab the newest frame from the
 * source, encode it if it is pixels, stamp udpcam's metadata (seq, capture time) into the JPEG and
 * hand it to the transmitter. One frame at a time, never a queue: a slow frame makes the loop skip
 * the slots it overran (counted in `framesSkipped`) and carry on with a fresh grab.
 *
 *   source.grab() ─▶ [decode] ─▶ [transform] ─▶ encode ─▶ withFrameMeta() ─▶ transmitter.send()
 *        (newest)    (JPEG, only    (pixels)    (fitted to     (COM segment)     (chunks → UDP)
 *                    if needed)                 100 chunks)
 *
 * A JPEG frame passes straight to withFrameMeta() unless a transform needs its pixels, or it is
 * too large for 100 chunks (then it is decoded and re-encoded at a quality that fits). Encoding
 * is async: the codec runs on a worker thread or libuv's pool, so the event loop stays free.
 *
 * The Sender owns what it is given: stop() (or the end of run()) stops the source, closes the
 * transmitter and closes the codec and the transform.
 */
import { EventEmitter } from 'node:events';
import { Backoff, monotonicClock, RateMeter } from '@udpcam/common';
import {
  type Clock,
  checkCameraName,
  type ErrorCode,
  MAX_CHUNKS,
  UdpcamError,
  withFrameMeta,
} from '@udpcam/protocol';
import {
  assertQuality,
  assertRgbaSize,
  DEFAULT_QUALITY,
  type JpegCodec,
  type RgbaImage,
} from './encoders/encoder.js';
import { minJpegBytes } from './jpeg-bound.js';
import { FrameSchedule } from './schedule.js';
import { jpegSize } from './sources/jpeg-info.js';
import type { FrameSource } from './sources/source.js';
import type { FrameTransmitter } from './transmitter.js';

/** Lowest quality the fitting steps down to unless told otherwise. */
export const DEFAULT_MIN_QUALITY = 10;
export const MAX_FPS = 1000;

/**
 * Per-frame pixel work between capture and encode (e.g. a perspective warp). `apply` gets the
 * frame's RGBA and returns (or resolves to) width x height RGBA (4 bytes a pixel). It may return a
 * buffer it reuses: the Sender is done with it before the next call. Heavy work belongs off the
 * event loop (WorkerWarp runs the area warp on a worker thread); the Sender closes it when it stops.
 */
export interface FrameTransform {
  /** Size of the images `apply` returns. */
  readonly width: number;
  readonly height: number;
  apply(rgba: RgbaImage): Buffer | Promise<Buffer>;
  close?(): Promise<void> | void;
}

/** Options of a Sender. */
export interface SenderOptions {
  source: FrameSource;
  /** The JPEG codec (see loadCodec); the Sender closes it when it stops. */
  encoder: JpegCodec;
  transmitter: FrameTransmitter;
  /** Frames per second (a frame slot every 1000 / fps ms), > 0 and <= 1000. */
  fps: number;
  /** JPEG quality 1..100 for pixel sources; default 80. */
  quality?: number;
  /** Quality may step down to this (1..quality) when a frame does not fit 100 chunks; default 10. */
  minQuality?: number;
  /** Stop after this many frames sent. */
  frames?: number;
  /** Stop after this long (ms): no slot due at or past it is started. */
  durationMs?: number;
  /** Stamp each JPEG with udpcam's metadata (seq, capture µs) in a COM segment; default true. */
  meta?: boolean;
  /**
   * Camera name carried in the metadata (CAMERA_NAME_PATTERN), so the receiver keeps this
   * camera's identity when the sender restarts from another port. Needs `meta`.
   */
  name?: string;
  /** Pixel work on every frame; JPEG frames are decoded for it (and then encoded). */
  transform?: FrameTransform;
  /** Monotonic ms the frame schedule, retry waits and fps read; default performance.now. */
  clock?: Clock;
}

/** One frame sent. */
export interface FrameEvent {
  /** Sender's frame counter, from 0 (the `seq` in the metadata). */
  seq: number;
  /** Schedule slot it went out in (slots not sent were skipped). */
  slot: number;
  /** Capture time from the source, µs since the epoch. */
  captureUs: number;
  /** JPEG bytes, metadata included. */
  jpegBytes: number;
  imageId: number;
  datagrams: number;
  /** UDP payload bytes, headers included. */
  wireBytes: number;
  /** Quality it was encoded at; undefined for a JPEG frame sent as it came. */
  quality: number | undefined;
  /** How late the slot started (ms). */
  lateMs: number;
  /** Time spent in grab, in decode + transform + encode (with metadata) and in send (ms). */
  grabMs: number;
  encodeMs: number;
  sendMs: number;
}

/**
 * The quality was lowered so frames fit in 100 chunks; or (`reencoded`) JPEG frames from the
 * source are too large to send as they come, so they are decoded and re-encoded at `toQuality`.
 */
export interface QualityReducedWarning {
  code: 'UDPCAM_WARN_QUALITY_REDUCED';
  message: string;
  /** True when the frame came as a JPEG and was re-encoded instead of sent as is. */
  reencoded: boolean;
  fromQuality: number;
  toQuality: number;
  /** JPEG bytes at `fromQuality`, and at `toQuality`. */
  frameBytes: number;
  fittedBytes: number;
  /** Largest frame the transmitter can carry (bytes). */
  maxFrameBytes: number;
}

/** A frame could not be grabbed or sent (a retryable error); the sender waits `retryInMs` and goes on. */
export interface FrameFailedWarning {
  code: 'UDPCAM_WARN_FRAME_FAILED';
  message: string;
  /** The failure's code (its kind in the error table is retryable). */
  error: ErrorCode;
  /** Where it failed: capturing the frame, or sending it. */
  stage: 'grab' | 'send';
  /** Failures in a row, and how long the sender waits before the next try (ms). */
  failures: number;
  retryInMs: number;
}

export type SenderWarning = QualityReducedWarning | FrameFailedWarning;

/** Counters of a Sender. */
export interface SenderStats {
  framesSent: number;
  /** UDP payload bytes, headers included. */
  bytesSent: number;
  datagramsSent: number;
  /** Schedule slots missed because a frame ran past them. */
  framesSkipped: number;
  /** Frames sent in the last second. */
  fps: number;
  /** JPEG bytes and datagrams of the last frame. */
  lastFrameBytes: number;
  lastFrameChunks: number;
  /** Quality pixel frames are encoded at now (lower than asked after a quality-reduced warning). */
  quality: number;
}

export type SenderEvents = {
  frame: [FrameEvent];
  warning: [SenderWarning];
};

/** The next quality to try when a frame is too large: 10 steps at a time, 5 below 30. */
function lowerQuality(quality: number, minQuality: number): number {
  return Math.max(minQuality, quality > 30 ? quality - 10 : quality - 5);
}

function invalid(message: string): UdpcamError {
  return new UdpcamError('UDPCAM_ERR_INVALID_OPTION', message);
}

/** Paces frames from a source through an encoder to a transmitter; see the file comment. */
export class Sender extends EventEmitter<SenderEvents> {
  readonly fps: number;
  readonly #source: FrameSource;
  readonly #encoder: JpegCodec;
  readonly #transform: FrameTransform | undefined;
  readonly #transmitter: FrameTransmitter;
  readonly #minQuality: number;
  readonly #frames: number | undefined;
  readonly #durationMs: number | undefined;
  readonly #meta: boolean;
  readonly #name: string | undefined;
  readonly #rate = new RateMeter();
  readonly #clock: Clock;
  #quality: number;
  #framesSent = 0;
  #bytesSent = 0;
  #datagramsSent = 0;
  #framesSkipped = 0;
  #lastFrameBytes = 0;
  #lastFrameChunks = 0;
  /** Whether the re-encoding of too-large JPEG frames was reported yet. */
  #reencodeWarned = false;
  #running: Promise<void> | undefined;
  #stopping = false;
  #wake: (() => void) | undefined;
  /** Resolves when stop() is called: the loop stops waiting for the frame in progress then. */
  #stopped: Promise<void>;
  #onStop: () => void = noop;
  #shutdown: Promise<void> | undefined;
  #sourceStopped: Promise<void> | undefined;
  /** What the frame in progress is doing, for failure reports. */
  #stage: 'grab' | 'send' = 'grab';

  constructor(options: SenderOptions) {
    super();
    const { fps, frames, durationMs } = options;
    if (typeof fps !== 'number' || !Number.isFinite(fps) || fps <= 0 || fps > MAX_FPS) {
      throw invalid(`fps must be a number above 0 and at most ${MAX_FPS}, got ${fps}`);
    }
    if (frames !== undefined && (!Number.isSafeInteger(frames) || frames < 1)) {
      throw invalid(`frames must be a positive integer, got ${frames}`);
    }
    if (durationMs !== undefined && (!Number.isFinite(durationMs) || durationMs <= 0)) {
      throw invalid(`durationMs must be a positive number of ms, got ${durationMs}`);
    }
    const quality = options.quality ?? DEFAULT_QUALITY;
    assertQuality(quality);
    const minQuality = options.minQuality ?? Math.min(DEFAULT_MIN_QUALITY, quality);
    assertQuality(minQuality, 'minQuality');
    if (minQuality > quality)
      throw invalid(`minQuality (${minQuality}) must not be above quality (${quality})`);
    this.fps = fps;
    this.#source = options.source;
    this.#encoder = options.encoder;
    this.#transform = options.transform;
    if (this.#transform) {
      const { width, height } = this.#transform;
      if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
        throw invalid(`transform size must be positive integers, got ${width}x${height}`);
      }
    }
    this.#transmitter = options.transmitter;
    this.#quality = quality;
    this.#minQuality = minQuality;
    this.#frames = frames;
    this.#durationMs = durationMs;
    this.#meta = options.meta ?? true;
    this.#clock = options.clock ?? monotonicClock;
    this.#stopped = new Promise((resolve) => {
      this.#onStop = resolve;
    });
    if (options.name !== undefined) {
      checkCameraName(options.name, '--name');
      if (!this.#meta) throw invalid('--name travels in the frame metadata: it cannot go with --no-meta');
    }
    this.#name = options.name;
  }

  /** A snapshot of the counters; `fps` is measured over the last second. */
  get stats(): SenderStats {
    return {
      framesSent: this.#framesSent,
      bytesSent: this.#bytesSent,
      datagramsSent: this.#datagramsSent,
      framesSkipped: this.#framesSkipped,
      fps: this.#rate.rate(this.#clock()),
      lastFrameBytes: this.#lastFrameBytes,
      lastFrameChunks: this.#lastFrameChunks,
      quality: this.#quality,
    };
  }

  /**
   * Starts the source and sends frames until `frames` or `durationMs` is reached or stop() is
   * called, then stops the source and closes the transmitter. Rejects with the first error (a
   * source, encode or send failure); things are closed either way. Call once.
   */
  run(): Promise<void> {
    if (this.#running) throw new UdpcamError('UDPCAM_ERR_CLOSED', 'Sender.run() was already called');
    this.#running = this.#run();
    return this.#running;
  }

  /**
   * Ends the run and waits until everything is closed. Idempotent. The source is stopped at once,
   * so a grab waiting for a camera that sends nothing ends now, not at its timeout (issue 11,
   * finding 12); errors that stopping causes are not failures.
   */
  stop(): Promise<void> {
    this.#stopping = true;
    this.#wake?.();
    this.#onStop();
    if (this.#running) {
      this.#stopSource().catch(noop);
      return this.#running.then(noop, noop);
    }
    return this.#close();
  }

  async #run(): Promise<void> {
    let failure: { error: unknown } | undefined;
    try {
      if (!this.#stopping) {
        await this.#source.start();
        await this.#loop();
      }
    } catch (error) {
      if (!this.#stopping) failure = { error };
    }
    try {
      await this.#close();
    } catch (error) {
      failure ??= { error };
    }
    if (failure) throw failure.error;
  }

  async #loop(): Promise<void> {
    const schedule = new FrameSchedule(1000 / this.fps, this.#clock());
    const slotLimit = this.#durationMs === undefined ? Infinity : schedule.slotsWithin(this.#durationMs);
    const frameLimit = this.#frames ?? Infinity;
    let slot = 0;
    const backoff = new Backoff();
    while (!this.#stopping && slot < slotLimit && this.#framesSent < frameLimit) {
      const due = schedule.dueAt(slot);
      await this.#sleepUntil(due);
      if (this.#stopping) break;
      try {
        // A frame in progress (a decode or encode of a huge frame can take seconds) is abandoned
        // on stop(): it starts no further step, and nothing waits for the step it is in.
        const frame = this.#sendFrame(slot, this.#clock() - due);
        frame.catch(noop);
        await Promise.race([frame, this.#stopped]);
        if (this.#stopping) break;
        backoff.succeed();
      } catch (error) {
        if (this.#stopping) break; // the source was stopped under the grab: not a failure
        // Only what the error table calls retryable is retried; the rest ends the run.
        if (!(error instanceof UdpcamError) || error.kind !== 'retryable') throw error;
        const retryInMs = backoff.fail();
        this.emit('warning', {
          code: 'UDPCAM_WARN_FRAME_FAILED',
          message: `${error.message}; retrying in ${retryInMs} ms`,
          error: error.code,
          stage: this.#stage,
          failures: backoff.failures,
          retryInMs,
        });
        await this.#sleepUntil(this.#clock() + retryInMs);
      }
      const next = schedule.nextSlot(slot, this.#clock());
      this.#framesSkipped += Math.min(next, slotLimit) - slot - 1;
      slot = next;
    }
  }

  async #sendFrame(slot: number, lateMs: number): Promise<void> {
    const seq = this.#framesSent;
    const t0 = this.#clock();
    this.#stage = 'grab';
    const frame = await this.#source.grab();
    const t1 = this.#clock();
    const captureUs = Math.round(frame.captureUs);
    let jpeg: Buffer;
    let quality: number | undefined;
    if (frame.kind === 'rgba' || this.#transform) {
      const image = frame.kind === 'rgba' ? frame : await this.#encoder.decode(frame.data);
      ({ jpeg, quality } = await this.#encodeToFit(await this.#transformed(image), seq, captureUs));
    } else {
      jpeg = this.#stamp(frame.data, seq, captureUs);
      if (jpeg.length > this.#transmitter.maxFrameBytes) {
        // Too large to pass through: re-encode it at a quality that fits, if any quality can.
        const size = jpegSize(frame.data);
        if (size) this.#assertCanFit(size.width, size.height, `JPEG frame (${jpeg.length} bytes as sent)`);
        const image = await this.#encoder.decode(frame.data);
        this.#abandonIfStopped();
        ({ jpeg, quality } = await this.#encodeToFit(image, seq, captureUs, jpeg.length));
      }
    }
    const t2 = this.#clock();
    this.#abandonIfStopped();
    this.#stage = 'send';
    const sent = await this.#transmitter.send(jpeg);
    const t3 = this.#clock();

    this.#framesSent++;
    this.#bytesSent += sent.bytes;
    this.#datagramsSent += sent.datagrams;
    this.#lastFrameBytes = jpeg.length;
    this.#lastFrameChunks = sent.datagrams;
    this.#rate.add(t3);
    this.emit('frame', {
      seq,
      slot,
      captureUs,
      jpegBytes: jpeg.length,
      imageId: sent.imageId,
      datagrams: sent.datagrams,
      wireBytes: sent.bytes,
      quality,
      lateMs,
      grabMs: t1 - t0,
      encodeMs: t2 - t1,
      sendMs: t3 - t2,
    });
  }

  /** The image after the transform (or as it is without one). */
  async #transformed(image: RgbaImage): Promise<RgbaImage> {
    const transform = this.#transform;
    if (!transform) return image;
    const data = await transform.apply(image);
    assertRgbaSize(data, transform.width, transform.height);
    return { data, width: transform.width, height: transform.height };
  }

  /**
   * Encodes at the current quality, stepping it down until the stamped JPEG fits the
   * transmitter's 100 chunks. A lower quality sticks for later frames (one warning per step
   * down), so a steady scene costs one encode per frame. `passthroughBytes` is the size of the
   * source's own JPEG when this re-encodes one that did not fit; that is reported once.
   */
  async #encodeToFit(
    image: RgbaImage,
    seq: number,
    captureUs: number,
    passthroughBytes?: number,
  ): Promise<{ jpeg: Buffer; quality: number }> {
    const maxBytes = this.#transmitter.maxFrameBytes;
    if (passthroughBytes === undefined) this.#assertCanFit(image.width, image.height, 'frame');
    let quality = this.#quality;
    let firstBytes = passthroughBytes;
    for (;;) {
      this.#abandonIfStopped();
      const encoded = await this.#encoder.encode(image.data, image.width, image.height, quality);
      const jpeg = this.#stamp(encoded, seq, captureUs);
      if (jpeg.length <= maxBytes) {
        const reencoded = passthroughBytes !== undefined;
        if (quality !== this.#quality || (reencoded && !this.#reencodeWarned)) {
          this.#warnQuality(quality, firstBytes ?? jpeg.length, jpeg.length, maxBytes, reencoded);
        }
        return { jpeg, quality };
      }
      firstBytes ??= jpeg.length;
      if (quality <= this.#minQuality) {
        const what =
          passthroughBytes === undefined ? 'frame' : `JPEG frame (${passthroughBytes} bytes as sent)`;
        throw new UdpcamError(
          'UDPCAM_ERR_FRAME_TOO_LARGE',
          `a ${image.width}x${image.height} ${what} from ${this.#source.name} is ${jpeg.length} bytes even at quality ${quality}, over the ${maxBytes} bytes that fit ${MAX_CHUNKS} chunks; raise the packet size or lower the resolution`,
        );
      }
      quality = lowerQuality(quality, this.#minQuality);
    }
  }

  /** Refuses a frame no quality can fit into MAX_CHUNKS chunks (see jpeg-bound.ts), before any codec work. */
  #assertCanFit(width: number, height: number, what: string): void {
    const maxBytes = this.#transmitter.maxFrameBytes;
    const leastBytes = minJpegBytes(width, height);
    if (leastBytes <= maxBytes) return;
    throw new UdpcamError(
      'UDPCAM_ERR_FRAME_TOO_LARGE',
      `a ${width}x${height} ${what} from ${this.#source.name} cannot fit ${MAX_CHUNKS} chunks at any quality (at least ${leastBytes} bytes, ${maxBytes} fit); raise the packet size or lower the resolution`,
    );
  }

  /** Ends a frame abandoned by stop() before its next step (its caller no longer waits for it). */
  #abandonIfStopped(): void {
    if (this.#stopping) throw new UdpcamError('UDPCAM_ERR_CLOSED', 'the sender was stopped');
  }

  #warnQuality(
    toQuality: number,
    frameBytes: number,
    fittedBytes: number,
    maxFrameBytes: number,
    reencoded: boolean,
  ): void {
    const fromQuality = this.#quality;
    this.#quality = toQuality;
    if (reencoded) this.#reencodeWarned = true;
    const message = reencoded
      ? `JPEG of ${frameBytes} bytes from ${this.#source.name} does not fit ${MAX_CHUNKS} chunks (max ${maxFrameBytes} bytes); re-encoding such frames at quality ${toQuality} (${fittedBytes} bytes)`
      : `frame of ${frameBytes} bytes at quality ${fromQuality} does not fit ${MAX_CHUNKS} chunks (max ${maxFrameBytes} bytes); quality lowered to ${toQuality} (${fittedBytes} bytes)`;
    this.emit('warning', {
      code: 'UDPCAM_WARN_QUALITY_REDUCED',
      message,
      reencoded,
      fromQuality,
      toQuality,
      frameBytes,
      fittedBytes,
      maxFrameBytes,
    });
  }

  #stamp(jpeg: Buffer, seq: number, captureUs: number): Buffer {
    return this.#meta ? withFrameMeta(jpeg, { seq, captureUs, name: this.#name }) : jpeg;
  }

  /** Resolves at `dueMs` (monotonic ms), or at once when stop() is called. */
  #sleepUntil(dueMs: number): Promise<void> {
    const delay = dueMs - this.#clock();
    if (delay <= 0) return Promise.resolve();
    return new Promise((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        this.#wake = undefined;
        resolve();
      };
      const timer = setTimeout(wake, delay);
      this.#wake = wake;
    });
  }

  /** Stops the source, once (stop() does it early, #close again). */
  #stopSource(): Promise<void> {
    this.#sourceStopped ??= this.#source.stop();
    return this.#sourceStopped;
  }

  /** Stops the source, closes the transmitter, codec and transform, once; rejects with the first failure. */
  #close(): Promise<void> {
    this.#shutdown ??= Promise.allSettled([
      this.#stopSource(),
      this.#transmitter.close(),
      this.#encoder.close?.(),
      this.#transform?.close?.(),
    ]).then((results) => {
      for (const result of results) if (result.status === 'rejected') throw result.reason;
    });
    return this.#shutdown;
  }
}

function noop(): void {}
