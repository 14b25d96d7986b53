/**
 * Frames for the benchmarks: a real JPEG of a realistic size (1280x720 at quality 75, ~60 kB),
 * stamped per frame with udpcam's metadata comment like the sender does, then cut into datagrams
 * the way dgram delivers them: one Buffer, 5-byte header and payload together. Also a webcam's
 * kind of JPEG (sharp) and a folder of them for `udpcam send --source dir:` and GStreamer.
 */
import { linkSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { chunkFrame, readFrameMeta, withFrameMeta } from '@udpcam/protocol';
import type { CaptureArea } from '@udpcam/sender';
import jpeg from 'jpeg-js';

/**
 * Frames in the benchmarks' pool: a multiple of 100, so image ids keep cycling 00..99 across the
 * pool's end. Frame k carries seq = k in its metadata.
 */
export const POOL_FRAMES = 200;

/** A small seeded generator (mulberry32): the same workload on every run. Returns [0, 1). */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Camera-like pixels: a colour gradient plus seeded noise of `noise` peak to peak, RGB
 * (`channels` 3) or RGBA (4, opaque). The one test image of every bench.
 */
export function testPixels(
  width: number,
  height: number,
  seed: number,
  noise = 10,
  channels: 3 | 4 = 3,
): Buffer {
  const random = seededRandom(seed);
  const pixels = Buffer.alloc(width * height * channels, 255);
  const clamp = (value: number) => Math.max(0, Math.min(255, value));
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const at = (y * width + x) * channels;
      const jitter = (random() - 0.5) * noise;
      pixels[at] = clamp((x * 255) / width + jitter);
      pixels[at + 1] = clamp((y * 255) / height + jitter);
      pixels[at + 2] = clamp(((x + y) * 127) / (width + height) + 64 + jitter);
    }
  }
  return pixels;
}

/**
 * A baseline JPEG of testPixels (jpeg-js, the sender's encoder); ~100 ms at 1280x720. `noise` is
 * peak to peak: 10 gives ~60 kB at 1280x720, quality 75.
 */
export function encodeTestJpeg({
  width = 1280,
  height = 720,
  quality = 75,
  noise = 10,
  seed = 1,
} = {}): Buffer {
  const data = testPixels(width, height, seed, noise, 4);
  return Buffer.from(jpeg.encode({ data, width, height }, quality).data);
}

/**
 * `count` frames cycling over 3 differently seeded JPEGs, each stamped with udpcam's COM segment
 * (seq = index). Frame k and frame k + 100 (the next to use k's image id) come from different
 * images, so they differ in every chunk, as real frames do, and no chunk is taken for a late
 * duplicate of the frame before it.
 */
export function testFrames(count: number): Buffer[] {
  const images = [1, 2, 3].map((seed) => encodeTestJpeg({ seed }));
  return Array.from({ length: count }, (_, seq) =>
    withFrameMeta(images[seq % images.length]!, { seq, captureUs: 1_700_000_000_000_000 + seq }),
  );
}

/** Bytes compared at each end of a frame by `isFrameIntact`. */
const CHECKED_END_BYTES = 1024;

/**
 * Whether a reassembled frame is the pool frame its metadata names: same length, same first and
 * last KiB. Cheap enough for the receiver's hot path, and it catches a frame stitched together
 * from two frames (the head of one, the body of another).
 */
export function isFrameIntact(data: Buffer, pool: readonly Buffer[]): boolean {
  const seq = readFrameMeta(data)?.seq;
  const expected = seq === undefined ? undefined : pool[seq];
  if (expected === undefined || expected.length !== data.length) return false;
  const end = data.length;
  const span = Math.min(CHECKED_END_BYTES, end);
  return (
    data.compare(expected, 0, span, 0, span) === 0 &&
    data.compare(expected, end - span, end, end - span, end) === 0
  );
}

/** A frame's datagrams as dgram hands them to a 'message' handler: header and payload in one Buffer. */
export function frameDatagrams(frame: Buffer, imageId: number, packetSize: number): Buffer[] {
  return chunkFrame(frame, imageId, packetSize).map(([header, payload]) => Buffer.concat([header, payload]));
}

/**
 * The benches' capture area for a w x h source: a quad inset 10 % (skewed a little) straightened
 * onto an output of the source's size — the most a warp of that source costs.
 */
export function insetArea(width: number, height: number): CaptureArea {
  const dx = width / 10;
  const dy = height / 10;
  return {
    selected_rect: [
      [dx, dy],
      [width - dx, dy * 1.5],
      [width - dx * 1.5, height - dy],
      [dx, height - dy],
    ],
    visible_rect: [
      [0, 0],
      [width, 0],
      [width, height],
      [0, height],
    ],
  };
}

/**
 * A JPEG as a webcam's MJPEG stream delivers it: baseline, 4:2:0, standard Huffman tables
 * (sharp/libjpeg-turbo, quality 75). RTP/JPEG (RFC 2435) can carry exactly this kind; jpeg-js,
 * udpcam's fallback encoder, writes 4:4:4, which rtpjpegpay refuses.
 */
export async function encodeWebcamJpeg(width: number, height: number, seed: number): Promise<Buffer> {
  const { default: sharp } = await import('sharp');
  return sharp(testPixels(width, height, seed), { raw: { width, height, channels: 3 } })
    .jpeg({ quality: 75, chromaSubsampling: '4:2:0', optimiseCoding: false })
    .toBuffer();
}

/**
 * A fresh folder holding `count` files frame-0000.jpg.. cycling over `images` (the first ones
 * written, the rest hard links to them: 300 frames cost a few images of disk); returns the printf
 * pattern imagesequencesrc wants. udpcam's dir: source reads the same files in the same order.
 */
export function writeFrameDir(dir: string, images: readonly Buffer[], count: number): string {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const name = (k: number) => path.join(dir, `frame-${String(k).padStart(4, '0')}.jpg`);
  for (let k = 0; k < count; k++) {
    if (k < images.length) writeFileSync(name(k), images[k]!);
    else linkSync(name(k % images.length), name(k));
  }
  return path.join(dir, 'frame-%04d.jpg');
}
