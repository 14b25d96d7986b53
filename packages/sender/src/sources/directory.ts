/**
 * `dir:PATH` — every .jpg/.jpeg file of a folder in natural name order (frame2 before frame10),
 * looped. One file is read per grab, so the folder can be larger than memory; the folder is
 * listed again at each wrap-around, so files added meanwhile join the loop. A file that is not a
 * JPEG (or vanished) is skipped with a warning.
 */
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { errnoReason, wallClockUs } from '@udpcam/common';
import { isWellFormedJpeg, UdpcamError } from '@udpcam/protocol';
import { MAX_JPEG_FILE_BYTES, readRegularFileSync } from '../regular-file.js';
import { jpegSize } from './jpeg-info.js';
import { type FrameSource, type JpegFrame, notStarted } from './source.js';

/** Options of DirectorySource. */
export interface DirectorySourceOptions {
  /** Called with a one-line message for each file skipped (not a JPEG, unreadable). */
  onWarning?: (message: string) => void;
}

const JPEG_NAME = /\.jpe?g$/i;
const collator = new Intl.Collator('en', { numeric: true });

/** A FrameSource that loops over the JPEG files of a folder (see the file comment). */
export class DirectorySource implements FrameSource {
  readonly name: string;
  readonly dir: string;
  readonly #onWarning: ((message: string) => void) | undefined;
  #files: string[] = [];
  #next = 0;
  #running = false;

  constructor(dir: string, options: DirectorySourceOptions = {}) {
    this.dir = dir;
    this.name = dir;
    this.#onWarning = options.onWarning;
  }

  /** File names in the current loop, in the order they are shown. */
  get files(): readonly string[] {
    return this.#files;
  }

  async start(): Promise<void> {
    await this.#list();
    this.#running = true;
  }

  async stop(): Promise<void> {
    this.#running = false;
  }

  /** Reads the next JPEG of the loop, skipping files that are not one. */
  async grab(): Promise<JpegFrame> {
    if (!this.#running) throw notStarted(this.name);
    // At most one full pass (plus the re-listing at the wrap) before giving up.
    let skipped = 0;
    for (;;) {
      if (this.#next >= this.#files.length) {
        await this.#list();
        this.#next = 0;
      }
      if (skipped >= this.#files.length) {
        throw new UdpcamError(
          'UDPCAM_ERR_SOURCE',
          `${this.dir}: none of the ${skipped} files is a valid JPEG`,
        );
      }
      const file = join(this.dir, this.#files[this.#next++]!);
      let data: Buffer;
      try {
        // Synchronously, as GStreamer's imagesequencesrc does: a JPEG from the page cache takes
        // tens of µs, where fs.promises' open, stat, reads and close are a thread-pool hand-off
        // each, ~100 µs of CPU apiece on a small VM (issue 16).
        data = readRegularFileSync(file, MAX_JPEG_FILE_BYTES);
      } catch (error) {
        this.#onWarning?.(`${file}: skipped, cannot read it: ${errnoReason(error)}`);
        skipped++;
        continue;
      }
      if (!isWellFormedJpeg(data)) {
        this.#onWarning?.(`${file}: skipped, not a JPEG (${data.length} bytes)`);
        skipped++;
        continue;
      }
      return { kind: 'jpeg', data, ...jpegSize(data), captureUs: wallClockUs() };
    }
  }

  /** Lists the folder's .jpg/.jpeg files in natural order; rejects with UDPCAM_ERR_SOURCE. */
  async #list(): Promise<void> {
    let entries: import('node:fs').Dirent[];
    try {
      entries = await readdir(this.dir, { withFileTypes: true });
    } catch (error) {
      throw new UdpcamError(
        'UDPCAM_ERR_SOURCE',
        `${this.dir}: cannot list the folder: ${errnoReason(error)}`,
        {
          cause: error,
        },
      );
    }
    const files = entries
      .filter((entry) => !entry.isDirectory() && JPEG_NAME.test(entry.name))
      .map((entry) => entry.name)
      .sort(collator.compare);
    if (files.length === 0) {
      throw new UdpcamError('UDPCAM_ERR_SOURCE', `${this.dir}: no .jpg or .jpeg files in the folder`);
    }
    this.#files = files;
  }
}
