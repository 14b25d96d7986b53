/**
 * `webcam[:DEVICE]`: one still per grab through the npm package node-webcam. On Linux node-webcam
 * runs `fswebcam` (imagesnap on macOS, CommandCam on Windows) once per shot, and it builds that
 * command as ONE SHELL STRING from its options. So everything that reaches it is checked here
 * first, against patterns that admit no shell syntax:
 *
 *   DEVICE            Linux: ^/dev/video\d{1,3}$; macOS/Windows: ^[A-Za-z0-9._-]+$
 *   width, height, fps  positive numbers (fps: the most shots per second grab() takes); the
 *                       limits are in @udpcam/cli's schemas/camera_config.schema.json (the CLI checks)
 *   quality           an integer 1..100
 *   output path       a fresh folder under os.tmpdir() whose path must be [A-Za-z0-9._/-]+
 *
 * Starting a process per shot (the camera opens, settles, captures, closes) reaches only a few
 * frames per second at best; `fps` reports what it measured. For a real frame rate use
 * `v4l2:/dev/videoN` (FfmpegSource), which keeps the camera open.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { epochMicrosAt, monotonicClock, RateMeter } from '@udpcam/common';
import { type Clock, isWellFormedJpeg, UdpcamError } from '@udpcam/protocol';
import type { CameraConfig } from './ffmpeg.js';
import { type FrameSource, type JpegFrame, notStarted } from './source.js';

/** The camera config of the original sender (configs/camera_config.example.json). */
export const DEFAULT_CAMERA_CONFIG: Readonly<CameraConfig> = Object.freeze({
  width: 640,
  height: 360,
  fps: 60,
});
export const DEFAULT_WEBCAM_QUALITY = 90;

const LINUX_DEVICE = /^\/dev\/video\d{1,3}$/;
const PLAIN_DEVICE = /^[A-Za-z0-9._-]+$/;
const SAFE_PATH_POSIX = /^[A-Za-z0-9._/-]+$/;
const SAFE_PATH_WINDOWS = /^[A-Za-z0-9._\\/:-]+$/;

/** Options of WebcamSource. */
export interface WebcamSourceOptions {
  /** Size and the most shots per second; default {width: 640, height: 360, fps: 60}. */
  config?: CameraConfig;
  /** JPEG quality asked of the capture tool, 1..100; default 90. */
  quality?: number;
  /** The platform whose rules apply (tests); default os.platform(). */
  platform?: NodeJS.Platform;
  /** Monotonic ms for the pacing between shots, the fps figure and capture stamps; default monotonicClock. */
  clock?: Clock;
}

/** The part of node-webcam's API used here (it ships no types). */
interface NodeWebcamCamera {
  capture(location: string, callback: (error: Error | null, location?: string) => void): void;
}
interface NodeWebcamModule {
  create(options: Record<string, unknown>): NodeWebcamCamera;
}

function fail(message: string): never {
  throw new UdpcamError('UDPCAM_ERR_SOURCE_SPEC', message);
}

/** Checks a `webcam[:DEVICE]` spec; returns the device, or undefined for the default camera. */
export function parseWebcamSpec(spec: string, platform: NodeJS.Platform = os.platform()): string | undefined {
  if (spec === 'webcam') return undefined;
  if (!spec.startsWith('webcam:'))
    fail(`not a webcam source spec: ${JSON.stringify(spec)} (use webcam[:DEVICE])`);
  const device = spec.slice('webcam:'.length);
  const pattern = platform === 'linux' ? LINUX_DEVICE : PLAIN_DEVICE;
  if (!pattern.test(device)) {
    fail(
      platform === 'linux'
        ? `webcam device must look like /dev/video0, got ${JSON.stringify(device)}`
        : `webcam device must be a plain name of letters, digits, '.', '_' and '-', got ${JSON.stringify(device)}`,
    );
  }
  return device;
}

/**
 * The camera config's limits live only in @udpcam/cli/schemas/camera_config.schema.json (the CLI
 * checks it with ajv). What stays here, for any caller, is what the shell command and the shot
 * pacing need: three positive finite numbers (no string ever reaches the shell).
 */
function checkCameraConfig(config: CameraConfig): CameraConfig {
  const { width, height, fps } = config ?? {};
  if (![width, height, fps].every((value) => typeof value === 'number' && value > 0 && value < Infinity)) {
    fail(`camera config needs positive numbers width, height and fps, got ${JSON.stringify(config)}`);
  }
  return { width, height, fps };
}

/** A FrameSource taking one still per grab with node-webcam (see the file comment). */
export class WebcamSource implements FrameSource {
  readonly name: string;
  readonly device: string | undefined;
  readonly config: Readonly<CameraConfig>;
  readonly quality: number;
  readonly #platform: NodeJS.Platform;
  readonly #clock: Clock;
  readonly #rate = new RateMeter(5000);
  #camera: NodeWebcamCamera | undefined;
  #dir: string | undefined;
  #shotPath = '';
  #inFlight: Promise<unknown> | undefined;
  #lastShotStartMs = -Infinity;
  #shots = 0;

  constructor(spec: string, options: WebcamSourceOptions = {}) {
    this.#platform = options.platform ?? os.platform();
    this.#clock = options.clock ?? monotonicClock;
    this.device = parseWebcamSpec(spec, this.#platform);
    this.config = Object.freeze(checkCameraConfig(options.config ?? DEFAULT_CAMERA_CONFIG));
    this.quality = options.quality ?? DEFAULT_WEBCAM_QUALITY;
    if (!Number.isInteger(this.quality) || this.quality < 1 || this.quality > 100) {
      fail(`webcam quality must be an integer 1..100, got ${this.quality}`);
    }
    this.name = this.device ? `webcam:${this.device}` : 'webcam';
  }

  /** Shots per second measured over the last 5 s (a process per shot: expect a few at most). */
  get fps(): number {
    return this.#rate.rate(this.#clock());
  }

  /** Shots taken so far. */
  get shots(): number {
    return this.#shots;
  }

  /** The file each shot is written to (empty before start). */
  get shotPath(): string {
    return this.#shotPath;
  }

  async start(): Promise<void> {
    if (this.#camera) return;
    const dir = await mkdtemp(path.join(os.tmpdir(), 'udpcam-webcam-'));
    const shotPath = path.join(dir, 'shot.jpg');
    const safe = this.#platform === 'win32' ? SAFE_PATH_WINDOWS : SAFE_PATH_POSIX;
    if (!safe.test(shotPath)) {
      await rm(dir, { recursive: true, force: true });
      fail(
        `temp path ${JSON.stringify(shotPath)} has characters node-webcam's shell command cannot take safely; set TMPDIR to a plain path`,
      );
    }
    let NodeWebcam: NodeWebcamModule;
    try {
      NodeWebcam = createRequire(import.meta.url)('node-webcam') as NodeWebcamModule;
    } catch (error) {
      await rm(dir, { recursive: true, force: true });
      throw new UdpcamError('UDPCAM_ERR_SOURCE_SPEC', 'the webcam source needs the npm package node-webcam', {
        cause: error,
      });
    }
    // Every value here was checked above; none is a free-form string.
    this.#camera = NodeWebcam.create({
      width: this.config.width,
      height: this.config.height,
      quality: this.quality,
      output: 'jpeg',
      device: this.device ?? false,
      callbackReturn: 'location',
      saveShots: false,
      delay: 0,
      verbose: false,
      title: false,
      subtitle: false,
      timestamp: false,
    });
    this.#dir = dir;
    this.#shotPath = shotPath;
  }

  /** Takes one shot (no sooner than 1/fps after the previous one started) and returns it. */
  async grab(): Promise<JpegFrame> {
    const camera = this.#camera;
    if (!camera) throw notStarted(this.name);
    if (this.#inFlight) fail(`${this.name}: grab() called while a shot is being taken`);
    const wait = this.#lastShotStartMs + 1000 / this.config.fps - this.#clock();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    this.#lastShotStartMs = this.#clock();
    const shot = this.#shoot(camera);
    this.#inFlight = shot;
    try {
      return await shot;
    } finally {
      this.#inFlight = undefined;
    }
  }

  async #shoot(camera: NodeWebcamCamera): Promise<JpegFrame> {
    const shotPath = this.#shotPath;
    await rm(shotPath, { force: true });
    await new Promise<void>((resolve, reject) => {
      camera.capture(shotPath, (error) => {
        if (error) {
          const detail = error.message.split('\n').filter(Boolean).slice(-1)[0] ?? error.message;
          reject(
            new UdpcamError('UDPCAM_ERR_SOURCE', `${this.name}: capture failed: ${detail}`, { cause: error }),
          );
        } else resolve();
      });
    });
    // The capture tool grabs the image at the end of its run: stamp it when the tool is done.
    const captureUs = epochMicrosAt(this.#clock());
    let data: Buffer;
    try {
      data = await readFile(shotPath);
    } catch (error) {
      throw new UdpcamError('UDPCAM_ERR_SOURCE', `${this.name}: the capture tool wrote no image`, {
        cause: error,
      });
    }
    if (!isWellFormedJpeg(data)) fail(`${this.name}: the capture tool wrote something that is not a JPEG`);
    this.#shots++;
    this.#rate.add(this.#clock());
    return { kind: 'jpeg', data, captureUs };
  }

  /** Waits for a shot in progress, then removes the temp folder; safe to call twice. */
  async stop(): Promise<void> {
    this.#camera = undefined;
    await this.#inFlight?.catch(() => {});
    const dir = this.#dir;
    this.#dir = undefined;
    if (dir) await rm(dir, { recursive: true, force: true });
  }
}
