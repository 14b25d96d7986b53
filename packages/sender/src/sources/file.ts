/**
 * `file:PATH` — one JPEG file, read once at start and handed out again on every grab with a
 * fresh capture time. Useful as a still test image.
 */
import { errnoReason, wallClockUs } from '@udpcam/common';
import { isWellFormedJpeg, UdpcamError } from '@udpcam/protocol';
import { MAX_JPEG_FILE_BYTES, readRegularFile } from '../regular-file.js';
import { jpegSize } from './jpeg-info.js';
import { type FrameSource, type JpegFrame, notStarted } from './source.js';

/** Reads `path` and checks it is one whole JPEG; rejects with UDPCAM_ERR_SOURCE naming the path. */
export async function readJpegFile(path: string): Promise<Buffer> {
  let data: Buffer;
  try {
    data = await readRegularFile(path, MAX_JPEG_FILE_BYTES);
  } catch (error) {
    throw new UdpcamError('UDPCAM_ERR_SOURCE', `${path}: cannot read the file: ${errnoReason(error)}`, {
      cause: error,
    });
  }
  if (!isWellFormedJpeg(data)) {
    throw new UdpcamError('UDPCAM_ERR_SOURCE', `${path}: not a JPEG (${data.length} bytes)`);
  }
  return data;
}

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

  async start(): Promise<void> {
    this.#data = await readJpegFile(this.path);
    this.#size = jpegSize(this.#data);
  }

  async grab(): Promise<JpegFrame> {
    if (this.#data === undefined) throw notStarted(this.name);
    return { kind: 'jpeg', data: this.#data, ...this.#size, captureUs: wallClockUs() };
  }

  async stop(): Promise<void> {
    this.#data = undefined;
  }
}
