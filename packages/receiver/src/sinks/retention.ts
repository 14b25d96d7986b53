/**
 * Per-camera retention on disk: keep the newest `keep` frames and/or `maxBytes` bytes, deleting
 * the oldest as new ones land. Frames already in the folder from an earlier run count too (names
 * sort by time), so the folder stays bounded across restarts.
 */
import { readdir, stat, unlink } from 'node:fs/promises';
import path from 'node:path';

/**
 * The names the disk sink gives frame files (`framePath`): UTC time, '-', sequence number. Only
 * such files are ever counted or deleted, so retention cannot remove anything else that happens
 * to be in the folder (issue 11, finding 2).
 */
export const FRAME_FILE_NAME = /^\d{8}T\d{6}\.\d{3}Z-\d{6,}\.jpg$/;

/** Limits per camera; undefined means no limit of that kind. */
export interface RetentionLimits {
  keep?: number;
  maxBytes?: number;
}

/** A FIFO of one camera's frame files with their sizes. */
export class CameraRetention {
  readonly #dir: string;
  readonly #limits: RetentionLimits;
  #files: { name: string; bytes: number }[] = [];
  #head = 0;
  #bytes = 0;
  #seeded: Promise<void> | undefined;

  constructor(dir: string, limits: RetentionLimits) {
    this.#dir = dir;
    this.#limits = limits;
  }

  /** Frames and bytes this camera has on disk (as far as retention knows). */
  get frames(): number {
    return this.#files.length - this.#head;
  }

  get bytes(): number {
    return this.#bytes;
  }

  /** Reads what an earlier run left in the folder, once. */
  seed(): Promise<void> {
    this.#seeded ??= (async () => {
      const names = (await readdir(this.#dir).catch(() => [] as string[]))
        .filter((name) => FRAME_FILE_NAME.test(name))
        .sort();
      for (const name of names) {
        const info = await stat(path.join(this.#dir, name)).catch(() => undefined);
        if (info?.isFile()) this.#push(name, info.size);
      }
    })();
    return this.#seeded;
  }

  /** Records a new frame file and deletes the oldest past the limits; returns how many went. */
  async add(name: string, bytes: number): Promise<number> {
    if (!FRAME_FILE_NAME.test(name)) return 0;
    this.#push(name, bytes);
    let deleted = 0;
    const { keep, maxBytes } = this.#limits;
    while (
      this.frames > 1 &&
      ((keep !== undefined && this.frames > keep) || (maxBytes !== undefined && this.#bytes > maxBytes))
    ) {
      await this.dropOldest();
      deleted++;
    }
    // Compact now and then so the array does not grow with everything ever written.
    if (this.#head > 1024 && this.#head * 2 > this.#files.length) {
      this.#files = this.#files.slice(this.#head);
      this.#head = 0;
    }
    return deleted;
  }

  /** The oldest frame file's name (names sort by time), if any. */
  get oldest(): string | undefined {
    return this.frames > 0 ? this.#files[this.#head]!.name : undefined;
  }

  /** Deletes the oldest frame file (past the limits, or for the budget across cameras); returns its bytes. */
  async dropOldest(): Promise<number> {
    if (this.frames === 0) return 0;
    const oldest = this.#files[this.#head++]!;
    this.#bytes -= oldest.bytes;
    await unlink(path.join(this.#dir, oldest.name)).catch(() => {});
    return oldest.bytes;
  }

  #push(name: string, bytes: number): void {
    this.#files.push({ name, bytes });
    this.#bytes += bytes;
  }
}
