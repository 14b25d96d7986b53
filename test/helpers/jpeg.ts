/**
 * Real JPEGs for tests, made with jpeg-js (the encoder @udpcam/sender uses), so tests never carry
 * hand-written JPEG bytes. Everything here is deterministic: same arguments, same bytes.
 */
import { type Segment, walkSegments, withFrameMeta } from '@udpcam/protocol';
import jpeg from 'jpeg-js';
import { Xorshift32 } from './random.js';

/** What to encode: size in pixels, jpeg-js quality (1..100) and a seed for the pixel noise. */
export interface JpegSpec {
  width: number;
  height: number;
  quality: number;
  seed?: number;
}

/** RGBA pixels: a gradient plus seeded noise, so the scan data is not trivially compressible. */
export function rgbaPixels(width: number, height: number, seed = 1): Buffer {
  const random = new Xorshift32(seed);
  const pixels = Buffer.alloc(width * height * 4);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const at = (y * width + x) * 4;
      const noise = random.next();
      pixels[at] = (Math.floor((x * 255) / width) + (noise & 0x1f)) & 0xff;
      pixels[at + 1] = (Math.floor((y * 255) / height) + ((noise >>> 8) & 0x1f)) & 0xff;
      pixels[at + 2] = ((x + y) * 7 + ((noise >>> 16) & 0x3f)) & 0xff;
      pixels[at + 3] = 0xff;
    }
  }
  return pixels;
}

/** A baseline JPEG (SOI, APP0 JFIF, DQT, SOF0, DHT, SOS, scan, EOI) of the given spec. */
export function makeJpeg(spec: JpegSpec): Buffer {
  const { width, height, quality, seed = width * 1000 + height } = spec;
  return jpeg.encode({ data: rgbaPixels(width, height, seed), width, height }, quality).data;
}

/** A JPEG with COM segments holding `comments`, as jpeg-js writes them (right after APP0). */
export function makeJpegWithComments(spec: JpegSpec, comments: string[]): Buffer {
  const { width, height, quality, seed = 1 } = spec;
  return jpeg.encode({ data: rgbaPixels(width, height, seed), width, height, comments }, quality).data;
}

/** Decoded RGBA pixels and comments of a JPEG (throws if jpeg-js cannot decode it). */
export function decodeJpeg(data: Uint8Array): {
  width: number;
  height: number;
  pixels: Buffer;
  comments: string[];
} {
  const image = jpeg.decode(data, { formatAsRGBA: true });
  return { width: image.width, height: image.height, pixels: image.data, comments: image.comments ?? [] };
}

/** The marker segments from SOI to the first SOS, in order (empty when the header is broken). */
export function listSegments(data: Uint8Array): Segment[] {
  const segments: Segment[] = [];
  const end = walkSegments(data, (marker, offset, length) => {
    segments.push({ marker, offset, length });
    return false;
  });
  return end < 0 ? [] : segments;
}

const POOL_SPECS: readonly JpegSpec[] = [
  { width: 1, height: 1, quality: 50 },
  { width: 8, height: 8, quality: 75 },
  { width: 16, height: 8, quality: 30 },
  { width: 8, height: 40, quality: 10 },
  { width: 16, height: 16, quality: 90 },
  { width: 32, height: 32, quality: 50 },
  { width: 48, height: 32, quality: 60 },
  { width: 64, height: 48, quality: 80 },
];

let pool: readonly Buffer[] | undefined;

/** Eight small JPEGs of different sizes (about 0.6 to 3 kB), encoded once per process. */
export function jpegPool(): readonly Buffer[] {
  pool ??= Object.freeze(POOL_SPECS.map((spec) => makeJpeg(spec)));
  return pool;
}

/** Capture time stamped on test frames: a fixed instant, so frames are reproducible (µs). */
export const TEST_EPOCH_US = 1_700_000_000_000_000;

/** A frame whose bytes no other `seq` shares: a JPEG with udpcam frame metadata. */
export function uniqueFrame(base: Buffer, seq: number): Buffer {
  return withFrameMeta(base, { seq, captureUs: TEST_EPOCH_US + seq * 33_333 });
}

/** Standard deviation of the luminance of a JPEG's pixels (0 for a uniform picture). */
export function lumaSpread(image: Buffer): number {
  const { data, width, height } = jpeg.decode(image, { useTArray: true });
  let sum = 0;
  let squares = 0;
  for (let at = 0; at < width * height * 4; at += 4) {
    const luma = 0.299 * data[at]! + 0.587 * data[at + 1]! + 0.114 * data[at + 2]!;
    sum += luma;
    squares += luma * luma;
  }
  const n = width * height;
  return Math.sqrt(squares / n - (sum / n) ** 2);
}

/** Mean absolute error per colour channel between two RGBA images of the same size. */
export function meanError(a: Buffer, b: Buffer): number {
  let error = 0;
  for (let i = 0; i < a.length; i += 4) {
    for (let c = 0; c < 3; c++) error += Math.abs(a[i + c]! - b[i + c]!);
  }
  return error / ((a.length / 4) * 3);
}
