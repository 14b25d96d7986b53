/**
 * JPEG encoding with jpeg-js: pure JavaScript, so it runs anywhere Node does, on the event loop.
 * Measured on a 2-core box: a 640x360 test pattern at quality 80 takes ~20-28 ms on average, of
 * which ~14 ms is jpeg-js rebuilding its Huffman and colour tables on every call (its encoder
 * object is not exported, so it cannot be reused), with GC spikes to ~50 ms: good for about
 * 15-20 fps at that size. A native encoder on worker threads is the way past that.
 */
import jpeg from 'jpeg-js';
import { assertQuality, assertRgbaSize, DEFAULT_QUALITY, type JpegEncoder } from './encoder.js';

/** The jpeg-js encoder (baseline JPEG, 4:4:4, with a JFIF APP0 segment). */
export class JpegJsEncoder implements JpegEncoder {
  readonly name = 'jpeg-js';

  /** Encodes RGBA pixels at `quality` 1..100 (default 80); returns the JPEG bytes. */
  encode(rgba: Buffer, width: number, height: number, quality: number = DEFAULT_QUALITY): Buffer {
    assertQuality(quality);
    assertRgbaSize(rgba, width, height);
    return jpeg.encode({ data: rgba, width, height }, quality).data;
  }
}
