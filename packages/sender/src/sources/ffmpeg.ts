/**
 * Capture through one persistent ffmpeg process whose stdout is a stream of JPEGs:
 *
 *   ffmpeg:ARGS         ARGS are ffmpeg input arguments, e.g. `-f lavfi -i testsrc2=size=1280x720:rate=30`;
 *                       encoded with `-c:v mjpeg -q:v 3` (or `-c:v copy` when the input is already MJPEG)
 *   v4l2:/dev/videoN    `-f v4l2 -input_format mjpeg [-video_size WxH] [-framerate F] -i /dev/videoN`
 *                       with `-c:v copy`: the camera's JPEG bytes pass through with no re-encode
 *
 * ffmpeg writes them as `-f mpjpeg` (each JPEG a multipart part with its Content-Length), which
 * @udpcam/common's MultipartParser splits, as it does an IP camera's MJPEG stream.
 *
 * ARGS are split into argv by `splitArgs` (quote-aware, no expansion) and ffmpeg is started with
 * child_process.spawn and an argv array: nothing goes through a shell.
 *
 * The source keeps only the newest frame split from stdout. When ffmpeg exits (a camera unplugged,
 * a network input gone), the source reports it through `onState` with the last stderr line and
 * starts ffmpeg again after 250 ms, doubling up to 5 s; a good frame resets the delay. The only
 * error `start` reports is that ffmpeg cannot be run at all, which no retry fixes.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { Backoff, MultipartParser, wallClockUs } from '@udpcam/common';
import { isWellFormedJpeg, UdpcamError } from '@udpcam/protocol';
import { LatestFrame } from '../latest-frame.js';
import { jpegSize } from './jpeg-info.js';
import { type FrameSource, type JpegFrame, notStarted } from './source.js';

export const DEFAULT_GRAB_TIMEOUT_MS = 10_000;
/**
 * Time between SIGTERM and SIGKILL in stop(). Short: ffmpeg writes only to our pipe, so nothing
 * it would still finish is wanted, and ffmpeg ends a frame in progress first (an 8000x8000 one
 * took 0.8-1.7 s here), which held a stop past a second (issue 11, finding 12).
 */
export const KILL_GRACE_MS = 300;
/** Longest stderr line kept for reports. */
const MAX_STDERR_LINE = 1024;

/** What the process is doing: being started, delivering frames, or waiting to be started again. */
export type FfmpegState = 'starting' | 'streaming' | 'retrying';

/** Pixel size and rate asked of a camera (@udpcam/cli/schemas/camera_config.schema.json). */
export interface CameraConfig {
  width: number;
  height: number;
  fps: number;
}

/** Options of FfmpegSource. */
export interface FfmpegSourceOptions {
  /** The ffmpeg executable; default 'ffmpeg' (looked up on PATH). */
  ffmpegPath?: string;
  /** Size and rate for `v4l2:` specs (limits: @udpcam/cli's camera_config schema); ignored for `ffmpeg:` (put them in ARGS). */
  config?: CameraConfig;
  /** How long grab() waits for a new frame before rejecting; default 10 s. */
  grabTimeoutMs?: number;
  /** Called on each state change; `detail` says why (with ffmpeg's last stderr line on exit). */
  onState?: (state: FfmpegState, detail: string) => void;
}

/** Counters of an FfmpegSource. */
export interface FfmpegSourceStats {
  /** Frames split from ffmpeg's output (including ones replaced before a grab took them). */
  frames: number;
  /** Frames replaced by a newer one before any grab took them. */
  skipped: number;
  /** Times ffmpeg was started again after it exited. */
  restarts: number;
  /** Frames dropped: larger than 16 MiB, or not a whole JPEG. */
  dropped: number;
}

/**
 * Splits a command-line string into arguments like a POSIX shell would split words, but with no
 * expansion of any kind: whitespace separates, '…' quotes literally, "…" quotes with \" and \\
 * escapes, a backslash outside quotes escapes the next character. Throws on an unclosed quote.
 */
export function splitArgs(text: string): string[] {
  const args: string[] = [];
  let current = '';
  let inWord = false;
  let quote: '"' | "'" | undefined;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quote === "'") {
      if (c === "'") quote = undefined;
      else current += c;
    } else if (quote === '"') {
      if (c === '"') quote = undefined;
      else if (c === '\\' && (text[i + 1] === '"' || text[i + 1] === '\\')) current += text[++i];
      else current += c;
    } else if (c === "'" || c === '"') {
      quote = c;
      inWord = true;
    } else if (c === '\\' && i + 1 < text.length) {
      current += text[++i];
      inWord = true;
    } else if (/\s/.test(c)) {
      if (inWord) args.push(current);
      current = '';
      inWord = false;
    } else {
      current += c;
      inWord = true;
    }
  }
  if (quote) {
    throw new UdpcamError('UDPCAM_ERR_SOURCE_SPEC', `unclosed ${quote} quote in ffmpeg arguments: ${text}`);
  }
  if (inWord) args.push(current);
  return args;
}

const V4L2_DEVICE = /^\/dev\/[A-Za-z0-9._/-]+$/;

const MJPEG_FLAGS = new Set(['-input_format', '-f', '-c:v', '-vcodec', '-codec:v']);

/** True when the input arguments already ask for MJPEG (so the output can copy the JPEG bytes). */
function inputIsMjpeg(input: readonly string[]): boolean {
  // Options after the (first) input belong to nothing we read.
  const options = input.slice(0, input.indexOf('-i'));
  return options.some((flag, i) => MJPEG_FLAGS.has(flag) && input[i + 1] === 'mjpeg');
}

/**
 * The whole ffmpeg argv (without the executable) for a `ffmpeg:ARGS` or `v4l2:DEVICE` spec.
 * Throws UDPCAM_ERR_SOURCE_SPEC for anything else.
 */
export function ffmpegArgv(spec: string, config?: CameraConfig): string[] {
  const common = ['-hide_banner', '-nostdin', '-nostats', '-loglevel', 'error'];
  let input: string[];
  let copy: boolean;
  if (spec.startsWith('v4l2:')) {
    const device = spec.slice('v4l2:'.length);
    if (!V4L2_DEVICE.test(device)) {
      throw new UdpcamError(
        'UDPCAM_ERR_SOURCE_SPEC',
        `v4l2 source needs a device path like /dev/video0, got "${device}"`,
      );
    }
    input = ['-f', 'v4l2', '-input_format', 'mjpeg'];
    if (config) {
      input.push('-video_size', `${config.width}x${config.height}`, '-framerate', String(config.fps));
    }
    input.push('-i', device);
    copy = true;
  } else if (spec.startsWith('ffmpeg:')) {
    input = splitArgs(spec.slice('ffmpeg:'.length));
    if (!input.includes('-i')) {
      throw new UdpcamError(
        'UDPCAM_ERR_SOURCE_SPEC',
        `ffmpeg source needs input arguments with -i, e.g. "ffmpeg:-f lavfi -i testsrc2=size=1280x720:rate=30"`,
      );
    }
    copy = inputIsMjpeg(input);
  } else {
    throw new UdpcamError(
      'UDPCAM_ERR_SOURCE_SPEC',
      `not an ffmpeg source spec: "${spec}" (use ffmpeg:ARGS or v4l2:DEVICE)`,
    );
  }
  const codec = copy ? ['copy'] : ['mjpeg', '-q:v', '3'];
  return [...common, ...input, '-an', '-c:v', ...codec, '-f', 'mpjpeg', '-'];
}

/** A FrameSource reading JPEGs from one persistent ffmpeg process (see the file comment). */
export class FfmpegSource implements FrameSource {
  readonly name: string;
  /** The argv ffmpeg is started with (after the executable). */
  readonly argv: readonly string[];
  readonly ffmpegPath: string;
  readonly grabTimeoutMs: number;
  readonly #stats = { restarts: 0, dropped: 0 };
  readonly #onState: ((state: FfmpegState, detail: string) => void) | undefined;
  #child: ChildProcess | undefined;
  #running = false;
  #state: FfmpegState | undefined;
  #stateDetail = '';
  readonly #backoff = new Backoff();
  readonly #latest = new LatestFrame<JpegFrame>();
  #stderrLine = '';
  #lastStderrLine = '';

  constructor(spec: string, options: FfmpegSourceOptions = {}) {
    this.argv = ffmpegArgv(spec, options.config);
    this.name = spec.startsWith('v4l2:') ? spec.slice('v4l2:'.length) : spec;
    this.ffmpegPath = options.ffmpegPath ?? 'ffmpeg';
    this.grabTimeoutMs = options.grabTimeoutMs ?? DEFAULT_GRAB_TIMEOUT_MS;
    if (!(this.grabTimeoutMs > 0)) {
      throw new UdpcamError(
        'UDPCAM_ERR_INVALID_OPTION',
        `grabTimeoutMs must be > 0, got ${this.grabTimeoutMs}`,
      );
    }
    this.#onState = options.onState;
  }

  /** Process id of the running ffmpeg, if one runs. */
  get pid(): number | undefined {
    return this.#child?.pid;
  }

  /** The counters, as they are now. */
  get stats(): FfmpegSourceStats {
    return { frames: this.#latest.seq, skipped: this.#latest.skipped, ...this.#stats };
  }

  /** The last state reported, with its detail. */
  get state(): { state: FfmpegState | undefined; detail: string } {
    return { state: this.#state, detail: this.#stateDetail };
  }

  /** Starts ffmpeg; rejects with UDPCAM_ERR_SOURCE_SPEC only when it cannot be run at all (not found). */
  async start(): Promise<void> {
    if (this.#running) return;
    this.#running = true;
    try {
      await this.#spawn();
    } catch (error) {
      this.#running = false;
      throw error;
    }
  }

  /** The newest frame, once there is one newer than the last returned. */
  grab(): Promise<JpegFrame> {
    if (!this.#running) return Promise.reject(notStarted(this.name));
    return this.#latest.take(this.grabTimeoutMs, () => {
      const why = this.#stateDetail ? ` (${this.#state}: ${this.#stateDetail})` : '';
      return new UdpcamError(
        'UDPCAM_ERR_SOURCE',
        `${this.name}: no frame from ffmpeg in ${this.grabTimeoutMs} ms${why}`,
      );
    });
  }

  /** Stops ffmpeg (SIGTERM, SIGKILL after KILL_GRACE_MS) and fails pending grabs; safe to call twice. */
  async stop(): Promise<void> {
    this.#running = false;
    this.#backoff.cancel();
    this.#latest.cancel(new UdpcamError('UDPCAM_ERR_CLOSED', `${this.name}: stopped`));
    const child = this.#child;
    if (!child) return;
    // Ours to end now: its 'close' (which comes after 'exit', once stdio is drained) must not
    // report an exit or leave a pid behind.
    this.#child = undefined;
    if (child.exitCode !== null || child.signalCode !== null) return;
    const kill = setTimeout(() => child.kill('SIGKILL'), KILL_GRACE_MS);
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    await exited;
    clearTimeout(kill);
  }

  #report(state: FfmpegState, detail: string): void {
    this.#state = state;
    this.#stateDetail = detail;
    this.#onState?.(state, detail);
  }

  /** Starts one ffmpeg; resolves once it runs, rejects when the executable cannot be run. */
  #spawn(): Promise<void> {
    this.#report('starting', `${this.ffmpegPath} ${this.argv.join(' ')}`);
    this.#stderrLine = '';
    this.#lastStderrLine = '';
    let streaming = false;
    const child = spawn(this.ffmpegPath, this.argv, { stdio: ['ignore', 'pipe', 'pipe'] });
    this.#child = child;
    const parser = new MultipartParser('ffmpeg');
    let dropped = 0;
    child.stdout.on('data', (chunk: Buffer) => {
      const data = parser.feed(chunk).at(-1)?.body; // only the newest frame matters
      this.#stats.dropped += parser.droppedParts - dropped;
      dropped = parser.droppedParts;
      if (!data || child !== this.#child) return;
      if (!isWellFormedJpeg(data)) {
        this.#stats.dropped++;
        return;
      }
      if (!streaming) {
        streaming = true;
        this.#backoff.succeed();
        this.#report('streaming', `ffmpeg pid ${child.pid} delivers frames`);
      }
      this.#latest.put({ kind: 'jpeg', data, ...jpegSize(data), captureUs: wallClockUs() });
    });
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (text: string) => this.#takeStderr(text));
    // EPIPE and the like on the pipes end with the process's exit, handled below.
    child.stdout.on('error', () => {});
    child.stderr.on('error', () => {});
    return new Promise<void>((resolve, reject) => {
      let spawned = false;
      child.once('spawn', () => {
        spawned = true;
        resolve();
      });
      child.once('error', (error: NodeJS.ErrnoException) => {
        if (spawned) return; // a failed kill(); the exit event still comes
        if (child === this.#child) this.#child = undefined;
        const notFound = error.code === 'ENOENT';
        const message = notFound
          ? `ffmpeg not found; install it (apt-get install ffmpeg)${this.ffmpegPath === 'ffmpeg' ? '' : ` or fix the path "${this.ffmpegPath}"`}`
          : `cannot run ${this.ffmpegPath}: ${error.message}`;
        reject(new UdpcamError('UDPCAM_ERR_SOURCE_SPEC', message, { cause: error }));
      });
      child.once('close', (code, signal) => {
        if (!spawned) return;
        if (child === this.#child) this.#child = undefined;
        this.#onExit(signal ? `killed by ${signal}` : `exited with code ${code}`);
      });
    });
  }

  #takeStderr(text: string): void {
    const lines = (this.#stderrLine + text).split(/\r?\n|\r/);
    this.#stderrLine = (lines.pop() ?? '').slice(-MAX_STDERR_LINE);
    const last = lines
      .map((line) => line.trim())
      .filter(Boolean)
      .pop();
    if (last) this.#lastStderrLine = last.slice(0, MAX_STDERR_LINE);
  }

  /** Reports why ffmpeg stopped (`how`, e.g. "exited with code 1") and schedules the restart. */
  #onExit(how: string): void {
    if (!this.#running) return;
    const last = (this.#stderrLine.trim() || this.#lastStderrLine).slice(0, MAX_STDERR_LINE);
    const delay = this.#backoff.retry(() => {
      if (!this.#running) return;
      this.#stats.restarts++;
      this.#spawn().catch((error: unknown) => {
        // The executable went away between runs: keep retrying, it may come back.
        if (this.#running) this.#onSpawnFailure(error);
      });
    });
    this.#report('retrying', `ffmpeg ${how}${last ? `: ${last}` : ''}; restarting in ${delay} ms`);
  }

  #onSpawnFailure(error: unknown): void {
    this.#stderrLine = '';
    this.#lastStderrLine = error instanceof Error ? error.message : String(error);
    this.#onExit('could not be started');
  }
}
