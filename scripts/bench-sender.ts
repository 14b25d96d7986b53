/**
 * The whole sender loop, per path and size: the real Sender with fps 1000 (as fast as it goes,
 * one frame at a time), a real source, codec, transform and Transmitter sending to a UDP sink on
 * 127.0.0.1 (a child process that only drains its socket). For each run: the fps it sustained,
 * and from the Sender's own per-frame timings the ms per stage — capture (source.grab), process
 * (decode + warp + encode + metadata stamp) and chunk+send — plus this process's CPU per frame
 * (every thread: event loop, codec worker, libuv pool).
 *
 * Paths:
 *   passthrough      dir: of JPEGs (read from disk per frame) → stamp → send: no decode, no encode
 *   webcam           node-webcam with an instant fake fswebcam on PATH: node-webcam's own
 *                    ceiling (a process per shot); a real camera adds its open/settle time
 *   ffmpeg pipe      ffmpeg lavfi → MJPEG on stdout → split → stamp → send, at 30 fps (ffmpeg's
 *                    rate; the figure is the sender process's CPU per frame, ffmpeg's own excluded)
 *   jpeg-js / sharp  test pattern (RGBA) → encode (jpeg-js on a worker thread, or sharp)
 *   + warp           the same with the area warp on its worker thread, as udpcam send --area runs
 *                    it (lib/frames.ts insetArea: a quad inset 10 %, output at the source size);
 *                    for passthrough + warp the JPEG is decoded first (sharp)
 *
 *   node build/scripts/bench-sender.js [--quick] [--seconds 3]
 * Writes bench-results/sender.json. Asserts nothing.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  DirectorySource,
  FfmpegSource,
  type FrameEvent,
  type FrameSource,
  loadCodec,
  Sender,
  TestPatternSource,
  Transmitter,
  WebcamSource,
  WorkerWarp,
} from '@udpcam/sender';
import { encodeTestJpeg, insetArea, writeFrameDir } from './lib/frames.js';
import { startBench } from './lib/harness.js';
import { fixed, table } from './lib/report.js';
import { startServerChild } from './lib/server-child.js';

const bench = startBench('sender', { seconds: { type: 'string' } });
const quick = bench.quick;
const seconds = bench.number('seconds', 3, 0.6);
const SIZES = ['640x360', '1280x720', '1920x1080']
  .slice(0, quick ? 1 : 3)
  .map((size) => size.split('x').map(Number) as [number, number]);
const PACKET_SIZE = 1400;
const QUALITY = 80;
/**
 * The JPEG files of the passthrough paths: quality 70, like a webcam's MJPEG. At 80 a noisy
 * 1080p frame is ~173 kB, more than 100 chunks of 1400 bytes carry (140 kB), and the sender would
 * re-encode every frame instead of passing it through.
 */
const FILE_QUALITY = 70;

/**
 * An instant `fswebcam` on PATH: copies $UDPCAM_BENCH_JPEG to its last argument (the output
 * file node-webcam names). Returns the folder to put first on PATH.
 */
async function fakeFswebcam(): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'udpcam-bench-fswebcam-'));
  const script = '#!/bin/sh\nfor last; do :; done\nexec cp "$UDPCAM_BENCH_JPEG" "$last"\n';
  await writeFile(path.join(dir, 'fswebcam'), script, { mode: 0o755 });
  return dir;
}

interface Path {
  name: string;
  /** Sender fps: 1000 = as fast as the loop goes; less for a source that sets its own rate. */
  fps: number;
  source: (width: number, height: number, jpegDir: string) => FrameSource;
  codec: 'jpeg-js' | 'sharp';
  warp: boolean;
}

const files = (_width: number, _height: number, jpegDir: string) => new DirectorySource(jpegDir);
const pattern = (width: number, height: number) => new TestPatternSource({ width, height });

const PATHS: Path[] = [
  { name: 'passthrough', fps: 1000, source: files, codec: 'jpeg-js', warp: false },
  {
    name: 'webcam (node-webcam, instant fake fswebcam)',
    fps: 240,
    source: (width, height) => new WebcamSource('webcam', { config: { width, height, fps: 240 } }),
    codec: 'jpeg-js',
    warp: false,
  },
  {
    name: 'ffmpeg pipe (30 fps)',
    fps: 30,
    source: (w, h) => new FfmpegSource(`ffmpeg:-f lavfi -i testsrc2=size=${w}x${h}:rate=30`),
    codec: 'jpeg-js',
    warp: false,
  },
  { name: 'jpeg-js', fps: 1000, source: pattern, codec: 'jpeg-js', warp: false },
  { name: 'sharp', fps: 1000, source: pattern, codec: 'sharp', warp: false },
  { name: 'jpeg-js + warp', fps: 1000, source: pattern, codec: 'jpeg-js', warp: true },
  { name: 'sharp + warp', fps: 1000, source: pattern, codec: 'sharp', warp: true },
  { name: 'passthrough + warp (sharp)', fps: 1000, source: files, codec: 'sharp', warp: true },
];

const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / Math.max(1, values.length);

async function runPath(spec: Path, width: number, height: number, jpegDir: string, sinkPort: number) {
  const codec = await loadCodec(spec.codec).catch((error: unknown) =>
    error instanceof Error ? error.message : String(error),
  );
  if (typeof codec === 'string') return `${spec.codec} unavailable (${codec})`;
  // The first frames warm up (worker start, JIT, ffmpeg start-up): count from 300 ms in (1 s for
  // a source that sets its own rate).
  const warmUpMs = spec.fps < 1000 ? 1000 : 300;
  const sender = new Sender({
    source: spec.source(width, height, jpegDir),
    encoder: codec,
    transmitter: new Transmitter({ host: '127.0.0.1', port: sinkPort, packetSize: PACKET_SIZE }),
    fps: spec.fps,
    quality: QUALITY,
    durationMs: seconds * 1000 + warmUpMs,
    ...(spec.warp ? { transform: new WorkerWarp(insetArea(width, height)) } : {}),
  });
  const events: FrameEvent[] = [];
  let counting = false;
  let cpu0 = process.cpuUsage();
  let t0 = 0;
  const warmUp = setTimeout(() => {
    counting = true;
    cpu0 = process.cpuUsage();
    t0 = performance.now();
  }, warmUpMs);
  sender.on('frame', (event) => {
    if (counting) events.push(event);
  });
  try {
    await sender.run();
  } finally {
    clearTimeout(warmUp);
  }
  const wallMs = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  if (events.length === 0) return 'no frame sent';
  return {
    path: spec.name,
    size: `${width}x${height}`,
    frames: events.length,
    fps: (events.length * 1000) / wallMs,
    jpegBytes: mean(events.map((e) => e.jpegBytes)),
    datagrams: mean(events.map((e) => e.datagrams)),
    captureMs: mean(events.map((e) => e.grabMs)),
    processMs: mean(events.map((e) => e.encodeMs)),
    sendMs: mean(events.map((e) => e.sendMs)),
    cpuMsPerFrame: (cpu.user + cpu.system) / 1000 / events.length,
  };
}
/** One path at one size; runPath says why instead when it could not run. */
type Row = Exclude<Awaited<ReturnType<typeof runPath>>, string>;

// A UDP sink in its own process, so draining the socket costs this process nothing.
const sink = await startServerChild('latency-bare-socket', { core: undefined });
const fakeBin = await fakeFswebcam();
process.env.PATH = `${fakeBin}${path.delimiter}${process.env.PATH ?? ''}`;
const rows: Row[] = [];
const skipped: string[] = [];
const total = SIZES.length * PATHS.length;
let step = 0;
try {
  for (const [width, height] of SIZES) {
    const jpegDir = await mkdtemp(path.join(tmpdir(), 'udpcam-bench-sender-'));
    try {
      const images = [1, 2, 3].map((seed) => encodeTestJpeg({ width, height, quality: FILE_QUALITY, seed }));
      writeFrameDir(jpegDir, images, images.length);
      process.env.UDPCAM_BENCH_JPEG = path.join(jpegDir, 'frame-0000.jpg');
      for (const spec of PATHS) {
        process.stdout.write(`[${++step}/${total}] ${spec.name} at ${width}x${height} … `);
        const row = await runPath(spec, width, height, jpegDir, sink.udpPort);
        if (typeof row === 'string') {
          skipped.push(`${spec.name} ${width}x${height}: ${row}`);
          console.log(`skipped: ${row}`);
        } else {
          rows.push(row);
          console.log(`${fixed(row.fps, 0)} fps`);
        }
      }
    } finally {
      await rm(jpegDir, { recursive: true, force: true });
    }
  }
} finally {
  await sink.stop();
  await rm(fakeBin, { recursive: true, force: true });
}

console.log(
  `\n${table(
    ['path', 'size', 'fps', 'JPEG kB', 'dgrams', 'capture ms', 'process ms', 'send ms', 'CPU ms/frame'],
    rows.map((row) => [
      row.path,
      row.size,
      fixed(row.fps, 0),
      fixed(row.jpegBytes / 1000),
      fixed(row.datagrams, 0),
      fixed(row.captureMs, 3),
      fixed(row.processMs, 2),
      fixed(row.sendMs, 3),
      fixed(row.cpuMsPerFrame, 2),
    ]),
  )}`,
);
await bench.save({
  seconds,
  packetSize: PACKET_SIZE,
  quality: QUALITY,
  fileQuality: FILE_QUALITY,
  skipped,
  rows,
});
