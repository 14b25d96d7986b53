/**
 * Per-frame cost of each JPEG path of the sender, in-process, at 640x360, 1280x720 and 1920x1080:
 * jpeg-js inline (on the event loop), jpeg-js on a worker thread, and sharp (libjpeg-turbo on
 * libuv's pool). For each, encode and decode ms (mean, p95), the event-loop ms per encode (all of
 * it inline; only copying and messaging otherwise) and the fps the sender's one-frame-at-a-time
 * loop sustains on encode alone. Input: a colour gradient with noise (camera-like, quality 80).
 * Also the area warp per size (AreaWarp, one thread) and the passthrough cost: withFrameMeta +
 * chunkFrame (1400-byte packets) of a ~60 kB JPEG. bench-sender.ts runs the same stages inside
 * the real sender loop.
 *
 *   node build/scripts/bench-encode.js [--quick] [--max-ms 1500]
 *
 * Prints a table and writes bench-results/encode.json; it asserts nothing. Targets: passthrough
 * <= 0.3 ms per 60 kB frame; native encode of 720p <= 8 ms.
 */
import { performance } from 'node:perf_hooks';
import { percentile, sortedAscending } from '@udpcam/common';
import { chunkFrame, withFrameMeta } from '@udpcam/protocol';
import { AreaWarp, type JpegCodec, loadCodec } from '@udpcam/sender';
import { encodeTestJpeg, insetArea, testPixels } from './lib/frames.js';
import { startBench } from './lib/harness.js';
import { fixed, median, table } from './lib/report.js';

const TARGET_PASSTHROUGH_MS = 0.3;
const TARGET_NATIVE_720P_ENCODE_MS = 8;
const QUALITY = 80;
const SIZES: ReadonlyArray<[number, number]> = [
  [640, 360],
  [1280, 720],
  [1920, 1080],
];

const bench = startBench('encode', { 'max-ms': { type: 'string' } });
const quick = bench.quick;
const maxMs = bench.number('max-ms', 1500, 300);
const minRuns = quick ? 3 : 8;
const maxRuns = quick ? 10 : 60;

/** A camera-like RGBA image (seed 7). */
const cameraLike = (width: number, height: number) => testPixels(width, height, 7, 10, 4);

interface Timing {
  meanMs: number;
  p95Ms: number;
  medianMs: number;
  runs: number;
  /** Event-loop busy ms per run. */
  mainThreadMs: number;
}

/** Times `run` after two warm-up calls: at least minRuns, at most maxRuns or maxMs. */
async function time(run: () => Promise<unknown>): Promise<Timing> {
  await run();
  await run();
  const samples: number[] = [];
  const elu0 = performance.eventLoopUtilization();
  const start = performance.now();
  while (samples.length < minRuns || (samples.length < maxRuns && performance.now() - start < maxMs)) {
    const t0 = performance.now();
    await run();
    samples.push(performance.now() - t0);
  }
  const elu = performance.eventLoopUtilization(elu0);
  return {
    meanMs: samples.reduce((a, b) => a + b, 0) / samples.length,
    p95Ms: percentile(sortedAscending(samples), 0.95),
    medianMs: median(samples),
    runs: samples.length,
    mainThreadMs: elu.active / samples.length,
  };
}

interface Row {
  path: string;
  size: string;
  jpegBytes: number;
  encode: Timing;
  decode: Timing;
  maxFps: number;
}

const paths: Array<[string, () => Promise<JpegCodec>]> = [
  ['jpeg-js inline', () => loadCodec('jpeg-js', { inline: true })],
  ['jpeg-js worker', () => loadCodec('jpeg-js')],
  ['sharp', () => loadCodec('sharp')],
];

const rows: Row[] = [];
const unavailable: string[] = [];
for (const [width, height] of SIZES) {
  const rgba = cameraLike(width, height);
  for (const [name, load] of paths) {
    let codec: JpegCodec;
    try {
      codec = await load();
    } catch (error) {
      if (!unavailable.includes(name)) unavailable.push(name);
      console.error(`${name}: skipped (${error instanceof Error ? error.message : error})`);
      continue;
    }
    try {
      const jpeg = await codec.encode(rgba, width, height, QUALITY);
      const encode = await time(() => codec.encode(rgba, width, height, QUALITY));
      const decode = await time(() => codec.decode(jpeg));
      rows.push({
        path: name,
        size: `${width}x${height}`,
        jpegBytes: jpeg.length,
        encode,
        decode,
        maxFps: 1000 / encode.meanMs,
      });
    } finally {
      await codec.close?.();
    }
  }
}

// The area warp (bilinear, one thread; the sender runs it on a worker) of insetArea.
const warps: Array<{ size: string; timing: Timing }> = [];
for (const [width, height] of SIZES) {
  const rgba = cameraLike(width, height);
  const warp = new AreaWarp(insetArea(width, height));
  warps.push({
    size: `${width}x${height}`,
    timing: await time(async () => warp.warp({ data: rgba, width, height })),
  });
}

// Passthrough: what a JPEG frame from a camera costs on the way to the socket.
const jpeg60k = encodeTestJpeg();
let seq = 0;
const passthroughRuns = quick ? 2_000 : 20_000;
for (let i = 0; i < 500; i++)
  chunkFrame(withFrameMeta(jpeg60k, { seq: seq++, captureUs: 1 }), seq % 100, 1400);
const p0 = performance.now();
let datagrams = 0;
for (let i = 0; i < passthroughRuns; i++) {
  datagrams += chunkFrame(
    withFrameMeta(jpeg60k, { seq: seq++, captureUs: 1_700_000_000_000_000 }),
    seq % 100,
    1400,
  ).length;
}
const passthroughMs = (performance.now() - p0) / passthroughRuns;

console.log(
  table(
    ['path', 'size', 'JPEG kB', 'encode ms', 'p95', 'main ms', 'decode ms', 'p95', 'max fps'],
    rows.map((row) => [
      row.path,
      row.size,
      fixed(row.jpegBytes / 1000),
      fixed(row.encode.meanMs, 2),
      fixed(row.encode.p95Ms, 2),
      fixed(row.encode.mainThreadMs, 2),
      fixed(row.decode.meanMs, 2),
      fixed(row.decode.p95Ms, 2),
      fixed(row.maxFps, 0),
    ]),
  ),
);
console.log(
  `\n${table(
    ['area warp', 'ms', 'p95'],
    warps.map((row) => [row.size, fixed(row.timing.meanMs, 2), fixed(row.timing.p95Ms, 2)]),
  )}`,
);
const sharp720 = rows.find((row) => row.path === 'sharp' && row.size === '1280x720');
console.log(
  `\npassthrough (withFrameMeta + chunkFrame @ 1400, ${(jpeg60k.length / 1000).toFixed(1)} kB JPEG, ${datagrams / passthroughRuns} datagrams): ${fixed(passthroughMs, 4)} ms/frame (target <= ${TARGET_PASSTHROUGH_MS}: ${passthroughMs <= TARGET_PASSTHROUGH_MS ? 'met' : 'MISSED'})`,
);
console.log(
  sharp720
    ? `native (sharp) 720p encode: ${fixed(sharp720.encode.meanMs, 2)} ms mean, ${fixed(sharp720.encode.p95Ms, 2)} ms p95 (target <= ${TARGET_NATIVE_720P_ENCODE_MS}: ${sharp720.encode.meanMs <= TARGET_NATIVE_720P_ENCODE_MS ? 'met' : 'MISSED'})`
    : 'native (sharp) 720p encode: sharp not available',
);

await bench.save({
  quality: QUALITY,
  input: 'colour gradient + noise (peak-to-peak 10), RGBA',
  targets: { passthroughMs: TARGET_PASSTHROUGH_MS, native720pEncodeMs: TARGET_NATIVE_720P_ENCODE_MS },
  unavailable,
  rows,
  warps,
  passthrough: {
    jpegBytes: jpeg60k.length,
    packetSize: 1400,
    msPerFrame: passthroughMs,
    runs: passthroughRuns,
  },
});
