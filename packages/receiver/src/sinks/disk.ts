/**
 * Writes each frame to DIR/<camera>/<UTC time>-<seq>.jpg, byte-identical to the wire, atomically
 * (an unnamed file linked into place, or a dot-file renamed), so a reader never sees half a frame.
 *
 * Writes never hold up reassembly for long: while the disk keeps up a frame is written
 * synchronously, as multifilesink does (sync-writer.ts); after a slow write, or past a share of the
 * time, frames wait in a bounded queue for the thread pool, and when the disk falls behind new
 * frames are skipped (counted), not piled up in memory. Write errors (ENOSPC, EACCES, ...) are
 * counted by code and reported, and the receiver goes on.
 */
import { mkdir, readdir, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { monotonicClock, writeFileAtomic } from '@udpcam/common';
import { type Clock, UdpcamError } from '@udpcam/protocol';
import type { FrameSink, ReceivedFrame } from '../frame.js';
import { CameraRetention, type RetentionLimits } from './retention.js';
import { SyncWriteGate, type SyncWriteOptions } from './sync-writer.js';
import { Thinning, type ThinningOptions } from './thinning.js';
import { writeFrameFileSync } from './write-frame.js';

export interface DiskSinkOptions {
  dir: string;
  /** Frames waiting to be written, at most. */
  maxQueuedFrames: number;
  /** Bytes waiting to be written, at most. */
  maxQueuedBytes: number;
  /** Writes in flight at once. */
  concurrency: number;
  /** Told about each write error (already counted); called at most once a second per error code. */
  onError?: (error: NodeJS.ErrnoException, file: string) => void;
  /** Per camera: keep the newest N frames and/or at most this many bytes on disk. */
  retention?: RetentionLimits;
  /**
   * Across all cameras: at most this many bytes of frames on disk (oldest deleted first,
   * whichever camera they belong to). Folders from an earlier run count too.
   */
  maxTotalBytes?: number;
  /** Write only these cameras (by id); others are counted as `ignored`. */
  onlyCameras?: ReadonlySet<string>;
  /** Per camera: write every Nth frame and/or at most F per second. */
  thinning?: ThinningOptions;
  /** Times the once-a-second error reports and the synchronous writes (monotonic ms); default performance.now. */
  clock: Clock;
  /** Limits of synchronous writing (see sync-writer.ts); false: always through the thread pool. */
  syncWrites: Partial<SyncWriteOptions> | false;
}

export const DEFAULT_DISK_SINK_OPTIONS = {
  maxQueuedFrames: 64,
  maxQueuedBytes: 32 * 1024 * 1024,
  concurrency: 2,
  clock: monotonicClock,
  syncWrites: {},
} as const;

export interface DiskSinkStats {
  written: number;
  writtenBytes: number;
  /** Of `written`, frames written synchronously (the rest went through the thread pool). */
  writtenSync: number;
  /** Synchronous writes slow enough to send writes to the thread pool for a while. */
  slowWrites: number;
  /** Frames skipped because the queue was full (disk slower than frames). */
  skipped: number;
  failed: number;
  failedByCode: Record<string, number>;
  /** Frames not written on purpose (--every, --max-fps). */
  thinned: number;
  /** Old frames deleted by retention. */
  deleted: number;
  /** Frames of cameras outside `onlyCameras`, not written. */
  ignored: number;
  queued: number;
  queuedBytes: number;
}

/**
 * mkdir -p, one level at a time: Node's own `recursive: true` spins forever on some pseudo
 * file systems (/proc), and a bad --out must fail with a clear line, not hang.
 */
export async function makeDirs(dir: string): Promise<void> {
  try {
    await mkdir(dir);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') return;
    if (code !== 'ENOENT' || path.dirname(dir) === dir) throw error;
    await makeDirs(path.dirname(dir));
    // Once, not recursively: where the parent exists and this still fails (/proc), that is final.
    await mkdir(dir).catch((again: NodeJS.ErrnoException) => {
      if (again.code !== 'EEXIST') throw again;
    });
  }
}

/** Checks that `dir` can be created and written; throws UDPCAM_ERR_OUT_DIR saying why not. */
export async function checkWritableDir(dir: string): Promise<void> {
  const probe = path.join(dir, `.udpcam-probe-${process.pid}`);
  try {
    await makeDirs(dir);
    await writeFile(probe, '');
    await unlink(probe);
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code ?? 'error';
    throw new UdpcamError('UDPCAM_ERR_OUT_DIR', `cannot write frames to ${dir} (${code})`, { cause });
  }
}

/** The second timeStamp last formatted, and its text up to the seconds ("20261121T043118"). */
let stampedSecond = Number.NaN;
let stampedPrefix = '';

/**
 * UTC time as 20261121T043118.123Z: sorts in time order and is safe in file names everywhere.
 * The date is formatted once a second (a Date, toISOString and a regex per frame were ~3 % of a
 * writing receiver's CPU); each frame adds its milliseconds.
 */
function timeStamp(epochUs: number): string {
  const ms = Math.floor(epochUs / 1000);
  const second = Math.floor(ms / 1000);
  if (second !== stampedSecond) {
    stampedSecond = second;
    stampedPrefix = new Date(second * 1000).toISOString().slice(0, 19).replace(/[-:]/g, '');
  }
  return `${stampedPrefix}.${String(ms - second * 1000).padStart(3, '0')}Z`;
}

/** The file name of a frame inside its camera's folder. */
function frameFileName(frame: ReceivedFrame): string {
  return `${timeStamp(frame.receivedUs)}-${String(frame.seq).padStart(6, '0')}.jpg`;
}

/** The file name of a frame, relative to the output folder. */
export function framePath(frame: ReceivedFrame): string {
  return path.join(frame.camera, frameFileName(frame));
}

/** Camera folders remembered at most (more than the receiver's cameras: its limit is 128). */
const MAX_FOLDERS = 1024;

/**
 * Where frames go under `dir`: DIR/<camera>/<file>, or undefined when a camera's name would not
 * be a folder directly inside `dir` (`..`, `.`, or with a separator) — whatever a name is,
 * nothing is written outside --out (issue 11, finding 2). Each camera's folder is resolved and
 * checked once; per frame this is one string concatenation (resolving and checking each frame's
 * path, with a process.cwd() call per path.resolve, was ~5 % of a writing receiver's CPU).
 */
export class FramePaths {
  readonly #root: string;
  /** Camera name → its folder, or null when the name is refused. */
  readonly #folders = new Map<string, string | null>();

  constructor(dir: string) {
    this.#root = path.resolve(dir);
  }

  /** The absolute path of `frame`'s file, or undefined when its camera's name is refused. */
  of(frame: ReceivedFrame): string | undefined {
    const folder = this.folder(frame.camera);
    return folder === undefined ? undefined : folder + path.sep + frameFileName(frame);
  }

  /** The absolute path of `camera`'s folder, or undefined when its name is refused. */
  folder(camera: string): string | undefined {
    let folder = this.#folders.get(camera);
    if (folder === undefined) {
      const resolved = path.resolve(this.#root, camera);
      const relative = path.relative(this.#root, resolved);
      folder = relative === '' || relative.includes(path.sep) || /^\.+$/.test(relative) ? null : resolved;
      if (this.#folders.size >= MAX_FOLDERS) this.#folders.clear();
      this.#folders.set(camera, folder);
    }
    return folder ?? undefined;
  }
}

/** The disk sink described in the module comment. */
export class DiskSink implements FrameSink {
  readonly stats: DiskSinkStats = {
    written: 0,
    writtenBytes: 0,
    writtenSync: 0,
    slowWrites: 0,
    skipped: 0,
    failed: 0,
    failedByCode: {},
    thinned: 0,
    deleted: 0,
    ignored: 0,
    queued: 0,
    queuedBytes: 0,
  };
  readonly #options: DiskSinkOptions;
  readonly #paths: FramePaths;
  readonly #queue: ReceivedFrame[] = [];
  readonly #madeDirs = new Set<string>();
  readonly #lastReported = new Map<string, number>();
  readonly #retention = new Map<string, CameraRetention>();
  readonly #thinning: Thinning | undefined;
  readonly #syncGate: SyncWriteGate | undefined;
  /** Cameras whose folder exists and whose retention is seeded: their frames may be written synchronously. */
  readonly #ready = new Set<string>();
  /** Retention and budget deletes still running after synchronous writes. */
  #tails = 0;
  #seededAll: Promise<void> | undefined;
  #totalPass: Promise<number> = Promise.resolve(0);
  #active = 0;
  /** flush() calls waiting for the queue, the writes and their deletes to finish. */
  readonly #flushes: (() => void)[] = [];

  constructor(options: Partial<DiskSinkOptions> & { dir: string }) {
    this.#options = { ...DEFAULT_DISK_SINK_OPTIONS, ...options };
    this.#paths = new FramePaths(this.#options.dir);
    const thinning = this.#options.thinning;
    if (thinning?.every !== undefined || thinning?.maxFps !== undefined)
      this.#thinning = new Thinning(thinning);
    const syncWrites = this.#options.syncWrites;
    if (syncWrites !== false) this.#syncGate = new SyncWriteGate(syncWrites);
  }

  write(frame: ReceivedFrame): void {
    const stats = this.stats;
    if (this.#options.onlyCameras !== undefined && !this.#options.onlyCameras.has(frame.camera)) {
      stats.ignored++;
      return;
    }
    if (this.#thinning && !this.#thinning.admit(frame.camera, frame.completedAt)) {
      stats.thinned++;
      return;
    }
    if (this.#writeNow(frame)) return;
    const { maxQueuedFrames, maxQueuedBytes } = this.#options;
    if (stats.queued >= maxQueuedFrames || stats.queuedBytes + frame.data.length > maxQueuedBytes) {
      stats.skipped++;
      return;
    }
    this.#queue.push(frame);
    stats.queued++;
    stats.queuedBytes += frame.data.length;
    this.#pump();
  }

  /** Resolves once every queued frame is written (or failed). */
  async flush(): Promise<void> {
    const flushed = new Promise<void>((resolve) => this.#flushes.push(resolve));
    this.#settle();
    await flushed;
  }

  async close(): Promise<void> {
    await this.flush();
  }

  #pump(): void {
    while (this.#active < this.#options.concurrency && this.#queue.length > 0) {
      const frame = this.#queue.shift()!;
      this.#active++;
      this.#writeOne(frame).finally(() => {
        this.#active--;
        this.stats.queued--;
        this.stats.queuedBytes -= frame.data.length;
        this.#pump();
        this.#settle();
      });
    }
  }

  /** Resolves the waiting flush() calls once nothing is left to do. */
  #settle(): void {
    if (this.#active > 0 || this.#queue.length > 0 || this.#tails > 0) return;
    for (const resolve of this.#flushes.splice(0)) resolve();
  }

  /**
   * Writes `frame` synchronously if the gate allows it, nothing is queued (frames land in order)
   * and its folder is ready; returns false to send it through the queue instead.
   */
  #writeNow(frame: ReceivedFrame): boolean {
    const gate = this.#syncGate;
    if (gate === undefined || this.#active > 0 || this.#queue.length > 0 || !this.#ready.has(frame.camera)) {
      return false;
    }
    const clock = this.#options.clock;
    const start = clock();
    if (!gate.allows(start)) return false;
    const folder = this.#paths.folder(frame.camera);
    if (folder === undefined) return false; // refused and counted on the queued path
    const name = frameFileName(frame);
    const file = folder + path.sep + name;
    try {
      writeFrameFileSync(folder, name, frame.data);
    } catch (error) {
      this.#recordSync(gate, start);
      this.#fail(error as NodeJS.ErrnoException, file, frame.camera);
      return true;
    }
    this.#recordSync(gate, start);
    this.stats.written++;
    this.stats.writtenSync++;
    this.stats.writtenBytes += frame.data.length;
    const retention = this.#retention.get(frame.camera);
    if (retention !== undefined || this.#options.maxTotalBytes !== undefined) {
      this.#tails++;
      this.#afterWrite(frame, file, retention)
        .catch((error: NodeJS.ErrnoException) => this.#fail(error, file, frame.camera))
        .finally(() => {
          this.#tails--;
          this.#settle();
        });
    }
    return true;
  }

  #recordSync(gate: SyncWriteGate, start: number): void {
    gate.record(start, this.#options.clock());
    this.stats.slowWrites = gate.slowWrites;
  }

  async #writeOne(frame: ReceivedFrame): Promise<void> {
    const file = this.#paths.of(frame);
    if (file === undefined) {
      const error: NodeJS.ErrnoException = new Error(
        `camera name ${JSON.stringify(frame.camera)} leaves the output folder`,
      );
      error.code = 'EBADNAME';
      return this.#fail(error, path.join(this.#options.dir, framePath(frame)), frame.camera);
    }
    const dir = path.dirname(file);
    try {
      if (!this.#madeDirs.has(dir)) {
        await makeDirs(dir);
        this.#madeDirs.add(dir);
      }
      const retention = this.#retentionOf(frame.camera, dir);
      await retention?.seed();
      this.#ready.add(frame.camera);
      await writeFileAtomic(file, frame.data);
      this.stats.written++;
      this.stats.writtenBytes += frame.data.length;
      await this.#afterWrite(frame, file, retention);
    } catch (error) {
      this.#fail(error as NodeJS.ErrnoException, file, frame.camera);
    }
  }

  /** Per-camera retention and the total budget, once a frame is in place. */
  async #afterWrite(
    frame: ReceivedFrame,
    file: string,
    retention: CameraRetention | undefined,
  ): Promise<void> {
    // `stats.deleted += await ...` would read the counter before the await and lose the
    // deletes of writes finishing meanwhile: await first, then add.
    if (retention) {
      const deleted = await retention.add(path.basename(file), frame.data.length);
      this.stats.deleted += deleted;
    }
    if (this.#options.maxTotalBytes !== undefined) {
      // One pass at a time: two concurrent writes must not both delete for the same excess.
      const pass = this.#totalPass.then(() => this.#enforceTotal());
      this.#totalPass = pass.catch(() => 0);
      const deleted = await pass;
      this.stats.deleted += deleted;
    }
  }

  /** Counts and reports a failed write; a folder gone (ENOENT) is made again by the next write. */
  #fail(error: NodeJS.ErrnoException, file: string, camera: string): void {
    const code = error.code ?? 'error';
    this.stats.failed++;
    this.stats.failedByCode[code] = (this.stats.failedByCode[code] ?? 0) + 1;
    if (code === 'ENOENT') {
      this.#madeDirs.delete(path.dirname(file));
      this.#ready.delete(camera);
    }
    this.#report(error, file);
  }

  /**
   * Deletes the oldest frames across cameras until the total is within maxTotalBytes; returns how
   * many went. The first call also counts camera folders an earlier run left.
   */
  async #enforceTotal(): Promise<number> {
    this.#seededAll ??= this.#seedAll();
    await this.#seededAll;
    const budget = this.#options.maxTotalBytes!;
    let total = 0;
    for (const retention of this.#retention.values()) total += retention.bytes;
    let deleted = 0;
    while (total > budget) {
      let oldest: CameraRetention | undefined;
      for (const retention of this.#retention.values()) {
        // Keep each camera's newest frame: a budget smaller than one frame per camera still shows each.
        if (retention.frames > 1 && (oldest === undefined || retention.oldest! < oldest.oldest!))
          oldest = retention;
      }
      if (oldest === undefined) break;
      total -= await oldest.dropOldest();
      deleted++;
    }
    return deleted;
  }

  /** Retention for every camera folder already in --out (names as the disk sink writes them). */
  async #seedAll(): Promise<void> {
    const root = path.resolve(this.#options.dir);
    const entries = await readdir(root, { withFileTypes: true }).catch(() => []);
    for (const entry of entries) {
      if (!entry.isDirectory() || /^\.+$/.test(entry.name)) continue;
      await this.#retentionOf(entry.name, path.join(root, entry.name))?.seed();
    }
  }

  #retentionOf(camera: string, dir: string): CameraRetention | undefined {
    const { retention: limits = {}, maxTotalBytes } = this.#options;
    const retains = limits.keep !== undefined || limits.maxBytes !== undefined || maxTotalBytes !== undefined;
    if (!retains) return undefined;
    let retention = this.#retention.get(camera);
    if (retention === undefined) {
      retention = new CameraRetention(dir, limits);
      this.#retention.set(camera, retention);
    }
    return retention;
  }

  #report(error: NodeJS.ErrnoException, file: string): void {
    const code = error.code ?? 'error';
    const now = this.#options.clock();
    if (now - (this.#lastReported.get(code) ?? Number.NEGATIVE_INFINITY) < 1000) return;
    this.#lastReported.set(code, now);
    this.#options.onError?.(error, file);
  }
}
