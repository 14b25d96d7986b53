/**
 * JPEG encoding with jpeg-js: pure JavaScript, so it runs anywhere Node does. Measured on a
 * 2-core box: a 640x360 test pattern at quality 80 takes ~20-28 ms on average, of which ~14 ms is
 * jpeg-js rebuilding its Huffman and colour tables on every call (its encoder object is not
 * exported, so it cannot be reused), with GC spikes to ~50 ms: good for about 15-20 fps at that
 * size. JpegJsCodec runs on the calling thread (it blocks the event loop for that long);
 * WorkerCodec (worker-codec.ts) runs the same functions on a worker thread.
 */
import jpeg from 'jpeg-js';
import {
  assertQuality,
  assertRgbaSize,
  DEFAULT_QUALITY,
  decodeError,
  type JpegCodec,
  type RgbaImage,
} from './encoder.js';

/** Encodes RGBA with jpeg-js (baseline, 4:4:4, JFIF APP0); synchronous, validates its input. */
export function jpegJsEncode(rgba: Uint8Array, width: number, height: number, quality: number): Buffer {
  const data = Buffer.isBuffer(rgba) ? rgba : Buffer.from(rgba.buffer, rgba.byteOffset, rgba.byteLength);
  assertQuality(quality);
  assertRgbaSize(data, width, height);
  return jpeg.encode({ data, width, height }, quality).data;
}

/** Decodes a JPEG to RGBA with jpeg-js; synchronous; throws UDPCAM_ERR_SOURCE on bad bytes. */
export function jpegJsDecode(bytes: Uint8Array): RgbaImage {
  const input = Buffer.isBuffer(bytes)
    ? bytes
    : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  try {
    const image = jpeg.decode(input, { useTArray: true, formatAsRGBA: true });
    const { data } = image;
    return {
      data: Buffer.from(data.buffer, data.byteOffset, data.byteLength),
      width: image.width,
      height: image.height,
    };
  } catch (error) {
    throw decodeError('jpeg-js', input, error);
  }
}

/** The jpeg-js codec on the calling thread (blocks the event loop while it works). */
export class JpegJsCodec implements JpegCodec {
  readonly name: string = 'jpeg-js';

  /** Encodes RGBA pixels at `quality` 1..100 (default 80); resolves to the JPEG bytes. */
  async encode(
    rgba: Buffer,
    width: number,
    height: number,
    quality: number = DEFAULT_QUALITY,
  ): Promise<Buffer> {
    return jpegJsEncode(rgba, width, height, quality);
  }

  async decode(bytes: Buffer): Promise<RgbaImage> {
    return jpegJsDecode(bytes);
  }

  async close(): Promise<void> {}
}
