/**
 * The JPEG codec seam: pixels in, one whole JPEG out (and back, for transforms that need the
 * pixels of a JPEG source). Implementations:
 *
 *   jpeg-js.ts       pure JavaScript, inline on the calling thread (tests, fallback)
 *   worker-codec.ts  jpeg-js on a worker thread, so a slow encode lowers the fps instead of
 *                    stalling the event loop (codec-worker.ts is the worker's side)
 *   sharp.ts         libvips/libjpeg-turbo through sharp (optional dependency), on libuv's pool
 *   load.ts          loadCodec('auto' | 'sharp' | 'jpeg-js'): picks one at run time
 */
import { UdpcamError } from '@udpcam/protocol';

/** Turns RGBA pixels into a JPEG. */
export interface JpegEncoder {
  /** Short name for logs, e.g. "jpeg-js" or "sharp". */
  readonly name: string;
  /**
   * Encodes width x height RGBA pixels (4 bytes each, rows unpadded; alpha is ignored) at
   * `quality` 1..100 and resolves to one whole JPEG, SOI to EOI. `rgba` may be reused by the
   * caller once the promise settles. Rejects with UDPCAM_ERR_INVALID_OPTION for a bad quality
   * or size.
   */
  encode(rgba: Buffer, width: number, height: number, quality: number): Promise<Buffer>;
  /** Releases threads or other resources; the codec is unusable afterwards. Idempotent. */
  close?(): Promise<void>;
}

/** Raw pixels: width * height * 4 bytes of R, G, B, A, rows packed with no padding. */
export interface RgbaImage {
  data: Buffer;
  width: number;
  height: number;
}

/** An encoder that can also decode a JPEG back to RGBA pixels. */
export interface JpegCodec extends JpegEncoder {
  /**
   * Decodes one JPEG to RGBA (alpha 255). Rejects with UDPCAM_ERR_SOURCE when the bytes are not
   * a JPEG the codec can decode (a damaged camera frame is worth a retry, not a crash).
   */
  decode(jpeg: Buffer): Promise<RgbaImage>;
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

/** The coded error for a JPEG a codec could not decode. */
export function decodeError(codec: string, jpeg: Buffer, cause: unknown): UdpcamError {
  const reason = cause instanceof Error ? cause.message : String(cause);
  const message = `${codec} could not decode a JPEG of ${jpeg.length} bytes: ${reason}`;
  return new UdpcamError('UDPCAM_ERR_SOURCE', message, { cause });
}
