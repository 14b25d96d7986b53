/**
 * The JPEG encoder seam: pixels in, one whole JPEG out. jpeg-js (pure JavaScript) is the
 * default; a native encoder (sharp, on worker threads) can replace it behind the same interface.
 */
import { UdpcamError } from '@udpcam/protocol';

/** Turns RGBA pixels into a JPEG. */
export interface JpegEncoder {
  /** Short name for logs, e.g. "jpeg-js". */
  readonly name: string;
  /**
   * Encodes width x height RGBA pixels (4 bytes each, rows unpadded; alpha is ignored) at
   * `quality` 1..100 and returns one whole JPEG, SOI to EOI. `rgba` is not kept after the call.
   */
  encode(rgba: Buffer, width: number, height: number, quality: number): Buffer;
}

export const MIN_QUALITY = 1;
export const MAX_QUALITY = 100;
/** Quality used when none is given: a good trade-off of size and look for a webcam stream. */
export const DEFAULT_QUALITY = 80;

/** Throws UDPCAM_ERR_INVALID_OPTION unless `quality` is an integer 1..100. */
export function assertQuality(quality: number, what = 'quality'): void {
  if (!Number.isInteger(quality) || quality < MIN_QUALITY || quality > MAX_QUALITY) {
    throw new UdpcamError(
      'UDPCAM_ERR_INVALID_OPTION',
      `${what} must be an integer from ${MIN_QUALITY} to ${MAX_QUALITY}, got ${quality}`,
    );
  }
}

/** Throws UDPCAM_ERR_INVALID_OPTION unless `rgba` holds width x height pixels (4 bytes each). */
export function assertRgbaSize(rgba: Buffer, width: number, height: number): void {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new UdpcamError(
      'UDPCAM_ERR_INVALID_OPTION',
      `image size must be positive integers, got ${width}x${height}`,
    );
  }
  if (rgba.length !== width * height * 4) {
    throw new UdpcamError(
      'UDPCAM_ERR_INVALID_OPTION',
      `an RGBA image of ${width}x${height} needs ${width * height * 4} bytes, got ${rgba.length}`,
    );
  }
}
