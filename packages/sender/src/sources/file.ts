/**
 * `file:PATH` — one JPEG file, read once at start (synchronously, like a `dir:` frame) and handed
 * out again on every grab with a fresh capture time. Useful as a still test image.
 */
import { errnoReason, wallClockUs } from '@udpcam/common';
import { isWellFormedJpeg, UdpcamError } from '@udpcam/protocol';
import { MAX_JPEG_FILE_BYTES, readRegularFileSync } from '../regular-file.js';
import { jpegSize } from './jpeg-info.js';
import { type FrameSource, type JpegFrame, notStarted } from './source.js';

/** A FrameSource that repeats one JPEG file (see the file comment). */
export class FileSource implements FrameSource {
  readonly name: string;
  readonly path: string;
  #data: Buffer | undefined;
  #size: { width: number; height: number } | undefined;

  constructor(path: string) {
    this.path = path;
    this.name = path;
  }

  /** Reads the file; rejects with UDPCAM_ERR_SOURCE naming the path unless it is one whole JPEG. */
  async start(): Promise<void> {
    let data: Buffer;
    try {
      data = readRegularFileSync(this.path, MAX_JPEG_FILE_BYTES);
    } catch (error) {
      throw new UdpcamError(
        'UDPCAM_ERR_SOURCE',
        `${this.path}: cannot read the file: ${errnoReason(error)}`,
        {
          cause: error,
        },
      );
    }
    if (!isWellFormedJpeg(data)) {
      throw new UdpcamError('UDPCAM_ERR_SOURCE', `${this.path}: not a JPEG (${data.length} bytes)`);
    }
    this.#data = data;
    this.#size = jpegSize(data);
  }

  async grab(): Promise<JpegFrame> {
    if (this.#data === undefined) throw notStarted(this.name);
    return { kind: 'jpeg', data: this.#data, ...this.#size, captureUs: wallClockUs() };
  }

  async stop(): Promise<void> {
    this.#data = undefined;
  }
}
