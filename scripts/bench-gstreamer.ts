/**
 * udpcam side by side with GStreamer's RTP/JPEG on the same JPEG files:
 *
 *   udpcam     udpcam send --source dir:IN     → relay → udpcam receive --out OUT
 *   GStreamer  imagesequencesrc ! jpegparse ! clocksync ! rtpjpegpay ! udpsink
 *                                              → relay → udpsrc ! rtpjpegdepay ! multifilesink
 *
 * 1. Cost and latency: receiver and sender CPU per frame (utime + stime from /proc/PID/stat, all
 *    threads, sampled at the start and end of a steady window: start-up excluded), receivers
 *    pinned to core 1 and senders to core 0 when taskset is there. Latency: the relay (a child
 *    process, lib/relay.ts, lossless here) timestamps the last datagram of frame k ('E' chunk /
 *    RTP marker) on the monotonic clock; an inotify watch on the output folder timestamps the
 *    last event on output file k's final name. Both write atomically — udpcam renames a finished
 *    dot-file into place, multifilesink (1.22) writes NAME.XXXXXX and renames it — so for both it
 *    is the rename: the moment the whole file can be read under its name.
 * 2. Fidelity: JPEG variants (4:2:0 baseline, jpeg-js 4:4:4, optimised Huffman tables, 4:4:4,
 *    progressive, restart markers, 2560x1440, Exif + COM): delivered? byte-identical? decodes?
 *    same pixels? RTP/JPEG (RFC 2435) sends only the scan and rebuilds the headers from a type
 *    and quality, so what those cannot say is lost. udpcam runs with --no-meta for the byte
 *    check (its metadata COM segment is otherwise added: the "udpcam + meta" column).
 *
 *   node build/scripts/bench-gstreamer.js [--quick] [--frames 300] [--sizes 1280x720,640x360]
 *                                         [--cpu-prof DIR]   (profiles the udpcam receivers)
 *                                         [--unpinned]       (all four processes share the cores)
 *                                         [--skip-fidelity]
 * Writes bench-results/gstreamer.json, docs/perf/gstreamer.svg and gstreamer-latency.svg
 * (--unpinned: gstreamer-unpinned.json and -unpinned plots, as on a user's machine where the
 * scheduler places sender and receiver; --quick: gstreamer-quick.json, plots in
 * bench-results/quick-plots/). Without GStreamer the
 * udpcam half still runs and the JSON says `gstreamer: {available: false, reason}`.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { percentile, sortedAscending } from '@udpcam/common';
import type { TopLevelSpec } from 'vega-lite';
import { encodeTestJpeg, testPixels } from './lib/frames.js';
import {
  type Child,
  encodeWebcamJpeg,
  freeUdpPort,
  gstReceiverArgs,
  gstreamerStatus,
  gstSenderArgs,
  OutputWatcher,
  sendDirArgs,
  startChild,
  startUdpcam,
  UDPCAM_CLI,
  writeFrameDir,
} from './lib/gstreamer.js';
import { startBench } from './lib/harness.js';
import { processCpuUs } from './lib/proc.js';
import { monotonicUs, type RelayChild, startRelayChild } from './lib/relay.js';
import { fixed, sleep, table } from './lib/report.js';

const bench = startBench('gstreamer', {
  frames: { type: 'string' },
  sizes: { type: 'string' },
  'cpu-prof': { type: 'string' },
  'skip-fidelity': { type: 'boolean', default: false },
});
const values = bench.flags;
const quick = bench.quick;
const FPS = 30;
const FRAMES = bench.number('frames', 1200, 60);
/**
 * Frames delivered before the CPU window opens and left after it closes. 20 s of warm-up: a
 * Node receiver at 30 fps spends its first seconds in V8 optimising the hot path (its CPU per
 * frame falls ~15 % from the 3rd to the 45th second); GStreamer, compiled ahead, has no such phase.
 */
const WARMUP_FRAMES = quick ? 10 : Math.min(600, Math.floor(FRAMES / 2));
const TAIL_FRAMES = quick ? 5 : 30;
const SIZES = bench.list('sizes', '1280x720,640x360,1920x1080', '640x360').map((size) => {
  const [width, height] = size.split('x').map(Number);
  return { width: width!, height: height! };
});
const DISTINCT_IMAGES = quick ? 3 : 10;
/** Payload bytes per datagram (udpcam) and the same datagram size for RTP (mtu = RTP packet). */
const PACKET_SIZE = 1400;
/** Frames sent of each fidelity variant. */
const FIDELITY_FRAMES = 3;
const TARGET_RATIO = 0.75;

/** Results and plots of an --unpinned run are named so, beside the pinned ones. */
const VARIANT = !quick && values.unpinned ? 'unpinned' : undefined;
const PLOT = VARIANT ? `gstreamer-${VARIANT}` : 'gstreamer';
const RECEIVER_CORE = bench.core(1);
const SENDER_CORE = bench.core(0);

type Stack = 'udpcam' | 'gstreamer';

/** A receiver ready for datagrams: where to send them and where its files appear. */
interface ReceiverHandle {
  child: Child;
  port: number;
  /** The folder the frames of a sender relayed from `relayPort` are written to. */
  outputDir(relayPort: number): string;
}

async function startReceiver(
  stack: Stack,
  outDir: string,
  core: number | undefined,
): Promise<ReceiverHandle> {
  rmSync(outDir, { recursive: true, force: true });
  mkdirSync(outDir, { recursive: true });
  if (stack === 'udpcam') {
    const profile = values['cpu-prof'];
    const nodeFlags = profile ? ['--cpu-prof', `--cpu-prof-dir=${path.resolve(profile)}`] : [];
    const child = startChild(
      process.execPath,
      [
        ...nodeFlags,
        UDPCAM_CLI,
        'receive',
        '--bind',
        '127.0.0.1',
        '--port',
        '0',
        '--out',
        outDir,
        '--json',
        '--status-interval',
        '3600',
      ],
      core,
    );
    const port = Number((await child.waitFor(/receiving on udp 127\.0\.0\.1:(\d+)/))[1]);
    // The camera folder is named after the sender's address: the relay's port.
    return { child, port, outputDir: (relayPort) => path.join(outDir, `127.0.0.1_${relayPort}`) };
  }
  const port = await freeUdpPort();
  const child = startChild(
    'gst-launch-1.0',
    gstReceiverArgs(port, path.join(outDir, 'frame-%05d.jpg')),
    core,
  );
  await child.waitFor(/Setting pipeline to PLAYING/);
  await sleep(200);
  return { child, port, outputDir: () => outDir };
}

/** Starts a sender of `count` files of `dir` (frame-%04d.jpg) to 127.0.0.1:`port`. */
function startSender(
  stack: Stack | 'udpcam-meta',
  dir: string,
  count: number,
  port: number,
  packetSize: number,
  core: number | undefined,
): Child {
  if (stack === 'gstreamer') {
    return startChild(
      'gst-launch-1.0',
      gstSenderArgs(path.join(dir, 'frame-%04d.jpg'), count, FPS, port, packetSize + 5),
      core,
    );
  }
  return startUdpcam(
    // No parity: like for like with plain RTP/JPEG (bench-loss compares the FEC of both).
    sendDirArgs({ dir, fps: FPS, port, frames: count, packetSize, meta: stack !== 'udpcam', fec: 0 }),
    core,
  );
}

/** Waits for a sender to finish (bounded by its frames' time plus 15 s); throws if it failed. */
async function finish(sender: Child, frames: number): Promise<void> {
  const timer = setTimeout(() => sender.process.kill('SIGKILL'), (frames / FPS) * 1000 + 15_000);
  const code = await sender.exited;
  clearTimeout(timer);
  if (code !== 0) throw new Error(`sender exited with ${code}:\n${sender.lines.slice(-10).join('\n')}`);
}

/** Output .jpg files of `dir` (final names, in name order: arrival order for both stacks). */
function outputFiles(dir: string): string[] {
  try {
    return readdirSync(dir)
      .filter((name) => name.endsWith('.jpg') && !name.startsWith('.'))
      .sort();
  } catch {
    return [];
  }
}

/**
 * The .jpg files in `dir` and in its folders ("camera/file"): udpcam writes a folder per camera,
 * and a relay on a new port may continue the camera of the one before it (docs/protocol.md#identity).
 */
function outputFilesDeep(dir: string): string[] {
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch {
    return [];
  }
  const nested = entries.flatMap((entry) =>
    outputFiles(path.join(dir, entry)).map((name) => path.join(entry, name)),
  );
  return [...outputFiles(dir), ...nested].sort();
}

/** Waits until `count()` reaches `expected` or stops moving for 400 ms (at most 4 s). */
async function settle(count: () => number, expected: number): Promise<void> {
  const deadline = Date.now() + 4_000;
  let last = -1;
  let stableSince = Date.now();
  while (Date.now() < deadline) {
    const now = count();
    if (now >= expected) return;
    if (now !== last) {
      last = now;
      stableSince = Date.now();
    } else if (Date.now() - stableSince >= 400) return;
    await sleep(25);
  }
}

interface PerfRun {
  stack: Stack;
  size: string;
  frameBytes: number;
  sent: number;
  delivered: number;
  windowSeconds: number;
  windowFramesDelivered: number;
  windowFramesSent: number;
  /** CPU per frame, µs (process CPU over the window ÷ frames in the window). */
  receiverCpuUsPerFrame: number;
  senderCpuUsPerFrame: number;
  /** Share of one core over the window. */
  receiverCores: number;
  senderCores: number;
  latencyMs: { p50: number; p99: number; max: number; frames: number } | null;
  latencyNote?: string;
}

/** One stack, one size: FRAMES frames at FPS through a lossless relay (see the file comment). */
async function runPerf(
  stack: Stack,
  dir: string,
  size: string,
  frameBytes: number,
  work: string,
): Promise<PerfRun> {
  const receiver = await startReceiver(stack, path.join(work, `perf-out-${stack}-${size}`), RECEIVER_CORE);
  let relay: RelayChild | undefined;
  let watcher: OutputWatcher | undefined;
  try {
    relay = await startRelayChild({
      targetPort: receiver.port,
      lossRate: 0,
      seed: 1,
      frameEnd: stack === 'udpcam' ? 'udpcam' : 'rtp',
    });
    const watchDir = receiver.outputDir(relay.port);
    mkdirSync(watchDir, { recursive: true });
    const samples: { atUs: number; receiverUs: number; senderUs: number }[] = [];
    let sender: Child | undefined;
    const sample = () => {
      try {
        samples.push({
          atUs: monotonicUs(),
          receiverUs: processCpuUs(receiver.child.process.pid!),
          senderUs: processCpuUs(sender!.process.pid!),
        });
      } catch {
        // A process already gone: the window stays open and the run reports no CPU figure.
      }
    };
    watcher = new OutputWatcher(watchDir, (count) => {
      if (count === WARMUP_FRAMES || count === FRAMES - TAIL_FRAMES) sample();
      if (count % 50 === 0) process.stdout.write('.');
    });
    sender = startSender(stack, dir, FRAMES, relay.port, PACKET_SIZE, SENDER_CORE);
    await finish(sender, FRAMES);
    await settle(() => watcher!.completedUs.size, FRAMES);
    await sleep(100); // the last write's inotify events
    const relayStats = await relay.stats();
    const files = watcher.files();
    const [start, end] = samples;
    const windowFramesDelivered = FRAMES - TAIL_FRAMES - WARMUP_FRAMES;
    const windowFramesSent =
      start && end ? relayStats.frameEndsUs.filter((at) => at > start.atUs && at <= end.atUs).length : 0;
    let latencyMs: PerfRun['latencyMs'] = null;
    let latencyNote: string | undefined;
    if (files.length === relayStats.frameEndsUs.length) {
      const latencies = files
        .map((name, k) => (watcher!.completedUs.get(name)! - relayStats.frameEndsUs[k]!) / 1000)
        .slice(WARMUP_FRAMES);
      latencyMs = {
        p50: percentile(sortedAscending(latencies), 0.5),
        p99: percentile(sortedAscending(latencies), 0.99),
        max: Math.max(...latencies),
        frames: latencies.length,
      };
    } else {
      latencyNote = `${files.length} files for ${relayStats.frameEndsUs.length} frame ends: not paired`;
    }
    const seconds = start && end ? (end.atUs - start.atUs) / 1e6 : Number.NaN;
    return {
      stack,
      size,
      frameBytes,
      sent: FRAMES,
      delivered: files.length,
      windowSeconds: seconds,
      windowFramesDelivered,
      windowFramesSent,
      receiverCpuUsPerFrame:
        start && end ? (end.receiverUs - start.receiverUs) / windowFramesDelivered : Number.NaN,
      senderCpuUsPerFrame:
        start && end ? (end.senderUs - start.senderUs) / Math.max(1, windowFramesSent) : Number.NaN,
      receiverCores: start && end ? (end.receiverUs - start.receiverUs) / 1e6 / seconds : Number.NaN,
      senderCores: start && end ? (end.senderUs - start.senderUs) / 1e6 / seconds : Number.NaN,
      latencyMs,
      ...(latencyNote ? { latencyNote } : {}),
    };
  } finally {
    watcher?.close();
    await receiver.child.stop(stack === 'gstreamer' ? 'SIGINT' : 'SIGTERM');
    await relay?.close();
  }
}

/** A JPEG variant for the fidelity table. */
interface Variant {
  name: string;
  /** What RTP/JPEG (RFC 2435) does with it, and why. */
  rtpJpeg: string;
  data: Buffer;
  /** Payload bytes per udpcam datagram: a frame must fit in 100 chunks. */
  packetSize: number;
}

/** Inserts a COM segment after SOI and the APPn segments (where udpcam puts its own). */
function withComment(jpeg: Buffer, text: string): Buffer {
  let at = 2;
  while (jpeg[at] === 0xff && jpeg[at + 1]! >= 0xe0 && jpeg[at + 1]! <= 0xef)
    at += 2 + jpeg.readUInt16BE(at + 2);
  const body = Buffer.from(text, 'latin1');
  const header = Buffer.from([0xff, 0xfe, 0, 0]);
  header.writeUInt16BE(body.length + 2, 2);
  return Buffer.concat([jpeg.subarray(0, at), header, body, jpeg.subarray(at)]);
}

/** The variants: one image (1280x720 unless said) in each JPEG flavour. */
async function makeVariants(): Promise<{ variants: Variant[]; skipped: string[] }> {
  const { default: sharp } = await import('sharp');
  const width = 1280;
  const height = 720;
  const rgb = testPixels(width, height, 3);
  const encode = (options: Parameters<ReturnType<typeof sharp>['jpeg']>[0]) =>
    sharp(rgb, { raw: { width, height, channels: 3 } }).jpeg({
      quality: 75,
      optimiseCoding: false,
      ...options,
    });
  const variant = (name: string, data: Buffer, rtpJpeg: string): Variant => ({
    name,
    rtpJpeg,
    data,
    // Room for udpcam's metadata COM segment (~50 bytes) in the udpcam-meta column.
    packetSize: Math.max(PACKET_SIZE, Math.ceil((data.length + 100) / 100)),
  });
  const variants = [
    variant(
      '4:2:0 baseline, standard Huffman (webcam MJPEG)',
      await encode({ chromaSubsampling: '4:2:0' }).toBuffer(),
      'the case RFC 2435 is made for (type 1, standard tables): headers rebuilt, pixels kept',
    ),
    variant(
      'jpeg-js q75 (udpcam fallback encoder: 4:4:4)',
      encodeTestJpeg({ seed: 3 }),
      'RTP/JPEG types 0/1 are 4:2:2 and 4:2:0 only: rtpjpegpay drops the frame ("Invalid component")',
    ),
    variant(
      'optimised Huffman tables',
      await encode({ chromaSubsampling: '4:2:0', optimiseCoding: true }).toBuffer(),
      'no Huffman tables on the wire: the receiver assumes the standard ones, the scan decodes as garbage',
    ),
    variant(
      '4:4:4 sampling',
      await encode({ chromaSubsampling: '4:4:4' }).toBuffer(),
      'no RTP/JPEG type for 4:4:4: rtpjpegpay drops the frame ("Invalid component")',
    ),
    variant(
      'progressive',
      await encode({ chromaSubsampling: '4:2:0', progressive: true }).toBuffer(),
      'baseline only: rtpjpegpay drops the frame ("Unsupported JPEG")',
    ),
  ];
  const skipped: string[] = [];
  // Restart markers: sharp cannot ask libjpeg for them; ffmpeg's MJPEG encoder writes DRI + RSTn
  // between slices.
  const ffmpeg = spawnSync(
    'ffmpeg',
    [
      ...['-loglevel', 'error', '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-s', `${width}x${height}`, '-i', '-'],
      ...[
        '-frames:v',
        '1',
        '-c:v',
        'mjpeg',
        '-pix_fmt',
        'yuvj420p',
        '-q:v',
        '4',
        '-slices',
        '4',
        '-threads',
        '4',
      ],
      ...['-f', 'image2pipe', '-'],
    ],
    { input: rgb, maxBuffer: 16 * 1024 * 1024 },
  );
  const withRestarts = ffmpeg.status === 0 ? (ffmpeg.stdout as Buffer) : undefined;
  if (withRestarts?.includes(Buffer.from([0xff, 0xdd])))
    variants.push(
      variant(
        'restart markers (ffmpeg mjpeg, 4 slices)',
        withRestarts,
        'carried: types 64-127 add a restart marker header (DRI interval)',
      ),
    );
  else skipped.push('restart markers: ffmpeg not found or wrote no DRI segment');
  const bigRgb = testPixels(2560, 1440, 3);
  variants.push(
    variant(
      '2560x1440 (> 2040 px)',
      await sharp(bigRgb, { raw: { width: 2560, height: 1440, channels: 3 } })
        .jpeg({ quality: 75, optimiseCoding: false, chromaSubsampling: '4:2:0' })
        .toBuffer(),
      'width/height are one byte each, in 8-pixel units (≤ 2040): beyond that rtpjpegpay puts x-dimensions in the caps (SDP), which a plain udpsrc does not have, and rtpjpegdepay drops the frame ("Invalid Dimension 0x0")',
    ),
  );
  const exif = await encode({ chromaSubsampling: '4:2:0' })
    .withExif({ IFD0: { ImageDescription: 'udpcam fidelity bench', Make: 'udpcam', Model: 'bench' } })
    .toBuffer();
  variants.push(
    variant(
      'APP1 Exif + COM segment',
      withComment(exif, 'a JPEG comment (COM)'),
      'only the scan travels: APPn and COM segments are lost, pixels kept',
    ),
  );
  return { variants, skipped };
}

interface FidelityResult {
  sent: number;
  delivered: number;
  byteIdentical: boolean;
  decodes: boolean;
  /** Largest per-channel difference between decoded input and output pixels; null if sizes differ. */
  maxPixelDiff: number | null;
  outputSize?: string;
  /** The decoder's complaint, when an output does not decode. */
  error?: string;
  /** Warnings the sender or receiver printed for this variant (e.g. rtpjpegpay's "Invalid component"). */
  warnings?: string[];
}

/** The distinct warning/error messages among `lines` (GStreamer's, or udpcam's JSON lines). */
function warningsIn(lines: readonly string[]): string[] {
  const found = new Set<string>();
  for (const line of lines) {
    const gst = line.match(/^(?:WARNING|ERROR): from element \S+: (.*)$/);
    const udpcam = line.match(/"level":"(?:warn|warning|error)".*"message":"([^"]*)"/);
    const message = gst?.[1] ?? udpcam?.[1];
    if (message) found.add(message.trim());
  }
  return [...found];
}

/** Decodes a JPEG to RGB with sharp (libjpeg-turbo), strictly: corrupt data is an error. */
async function decode(jpeg: Buffer): Promise<{ data: Buffer; width: number; height: number }> {
  const { default: sharp } = await import('sharp');
  const { data, info } = await sharp(jpeg, { failOn: 'warning' })
    .removeAlpha()
    .raw()
    .toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height };
}

async function judge(input: Buffer, outputs: readonly Buffer[]): Promise<Omit<FidelityResult, 'sent'>> {
  const result: Omit<FidelityResult, 'sent'> = {
    delivered: outputs.length,
    byteIdentical: outputs.length > 0 && outputs.every((output) => output.equals(input)),
    decodes: false,
    maxPixelDiff: null,
  };
  if (outputs.length === 0) return result;
  const reference = await decode(input);
  try {
    let worst = 0;
    for (const output of outputs) {
      const pixels = await decode(output);
      if (pixels.width !== reference.width || pixels.height !== reference.height) {
        result.outputSize = `${pixels.width}x${pixels.height}`;
        result.decodes = true;
        return result;
      }
      for (let at = 0; at < pixels.data.length; at++) {
        const diff = Math.abs(pixels.data[at]! - reference.data[at]!);
        if (diff > worst) worst = diff;
      }
    }
    result.decodes = true;
    result.maxPixelDiff = worst;
  } catch (error) {
    result.error = (error as Error).message.split('\n')[0]!;
  }
  return result;
}

/** Sends each variant through one long-running receiver per stack; returns the table's rows. */
async function runFidelity(
  stacks: readonly (Stack | 'udpcam-meta')[],
  variants: readonly Variant[],
  work: string,
): Promise<Record<string, Record<string, FidelityResult>>> {
  const table: Record<string, Record<string, FidelityResult>> = {};
  for (const variant of variants) table[variant.name] = {};
  for (const stack of stacks) {
    const receiverStack: Stack = stack === 'gstreamer' ? 'gstreamer' : 'udpcam';
    const receiver = await startReceiver(receiverStack, path.join(work, `fidelity-out-${stack}`), undefined);
    try {
      for (const [index, variant] of variants.entries()) {
        process.stdout.write(`[fidelity ${stack}] ${variant.name}: `);
        const dir = path.join(work, `fidelity-in-${index}`);
        writeFrameDir(dir, [variant.data], FIDELITY_FRAMES);
        // A relay per variant (a new sender port); its frames are the files new since it began.
        const relay = await startRelayChild({
          targetPort: receiver.port,
          lossRate: 0,
          seed: 1,
          frameEnd: 'none',
        });
        const outDir = path.join(work, `fidelity-out-${stack}`);
        const before = new Set(outputFilesDeep(outDir));
        const receiverLinesBefore = receiver.child.lines.length;
        try {
          const sender = startSender(stack, dir, FIDELITY_FRAMES, relay.port, variant.packetSize, undefined);
          await finish(sender, FIDELITY_FRAMES);
          const fresh = () => outputFilesDeep(outDir).filter((name) => !before.has(name));
          await settle(() => fresh().length, FIDELITY_FRAMES);
          await sleep(50);
          const outputs = fresh().map((name) => readFileSync(path.join(outDir, name)));
          const result: FidelityResult = { sent: FIDELITY_FRAMES, ...(await judge(variant.data, outputs)) };
          const warnings = warningsIn([...sender.lines, ...receiver.child.lines.slice(receiverLinesBefore)]);
          if (warnings.length > 0) result.warnings = warnings;
          table[variant.name]![stack] = result;
          console.log(describe(result));
        } finally {
          await relay.close();
        }
      }
    } finally {
      await receiver.child.stop(receiverStack === 'gstreamer' ? 'SIGINT' : 'SIGTERM');
    }
  }
  return table;
}

/** One table cell: "3/3 identical", "3/3 decodes, Δ=40", "0/3", ... */
function describe(result: FidelityResult): string {
  const delivered = `${result.delivered}/${result.sent}`;
  if (result.delivered === 0) return `${delivered} none delivered`;
  if (result.byteIdentical) return `${delivered} byte-identical`;
  if (!result.decodes) return `${delivered} does not decode`;
  if (result.outputSize) return `${delivered} decodes as ${result.outputSize}`;
  return `${delivered} decodes, ${result.maxPixelDiff === 0 ? 'same pixels' : `max Δ ${result.maxPixelDiff}`}`;
}

async function main(): Promise<void> {
  const work = path.join(os.tmpdir(), `udpcam-bench-gstreamer-${process.pid}`);
  mkdirSync(work, { recursive: true });
  const started = performance.now();
  const gst = gstreamerStatus();
  if (gst.available) console.log(`GStreamer: ${gst.version}`);
  else console.log(`GStreamer half skipped: ${gst.reason}`);
  const stacks: Stack[] = gst.available ? ['udpcam', 'gstreamer'] : ['udpcam'];
  console.log(
    `${FRAMES} frames per run at ${FPS} fps; ${bench.pin ? 'receivers pinned to core 1, senders to core 0' : 'not pinned (--unpinned, no taskset or one core)'}`,
  );

  const perf: PerfRun[] = [];
  let fidelity: Record<string, Record<string, FidelityResult>> = {};
  let skippedVariants: string[] = [];
  const variantBytes = new Map<string, number>();
  const rtpJpegNotes = new Map<string, string>();
  try {
    for (const { width, height } of SIZES) {
      const size = `${width}x${height}`;
      const images = await Promise.all(
        Array.from({ length: DISTINCT_IMAGES }, (_, index) => encodeWebcamJpeg(width, height, 11 + index)),
      );
      const frameBytes = images.reduce((sum, image) => sum + image.length, 0) / images.length;
      const dir = path.join(work, `in-${size}`);
      writeFrameDir(dir, images, FRAMES);
      for (const stack of stacks) {
        process.stdout.write(`[${size} ${stack}] `);
        const run = await runPerf(stack, dir, size, frameBytes, work);
        perf.push(run);
        console.log(
          ` ${run.delivered}/${run.sent} frames; receiver ${fixed(run.receiverCpuUsPerFrame)} µs/frame, sender ${fixed(run.senderCpuUsPerFrame)} µs/frame, latency p50 ${run.latencyMs ? fixed(run.latencyMs.p50, 2) : '-'} ms`,
        );
      }
    }
    if (!values['skip-fidelity']) {
      const made = await makeVariants();
      skippedVariants = made.skipped;
      for (const variant of made.variants) {
        variantBytes.set(variant.name, variant.data.length);
        rtpJpegNotes.set(variant.name, variant.rtpJpeg);
      }
      const fidelityStacks: (Stack | 'udpcam-meta')[] = quick ? [...stacks] : [...stacks, 'udpcam-meta'];
      fidelity = await runFidelity(fidelityStacks, made.variants, work);
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }

  console.log(`\nCPU per frame and latency (${FRAMES} frames at ${FPS} fps, through a lossless relay)`);
  console.log(
    table(
      [
        'size',
        'stack',
        'frame kB',
        'delivered',
        'recv µs/frame',
        'send µs/frame',
        'recv % core',
        'p50 ms',
        'p99 ms',
      ],
      perf.map((run) => [
        run.size,
        run.stack,
        fixed(run.frameBytes / 1000),
        `${run.delivered}/${run.sent}`,
        fixed(run.receiverCpuUsPerFrame),
        fixed(run.senderCpuUsPerFrame),
        fixed(run.receiverCores * 100, 2),
        run.latencyMs ? fixed(run.latencyMs.p50, 2) : '-',
        run.latencyMs ? fixed(run.latencyMs.p99, 2) : '-',
      ]),
    ),
  );
  const ratios = SIZES.flatMap(({ width, height }) => {
    const size = `${width}x${height}`;
    const ours = perf.find((run) => run.stack === 'udpcam' && run.size === size);
    const theirs = perf.find((run) => run.stack === 'gstreamer' && run.size === size);
    if (!ours || !theirs) return [];
    return [
      {
        size,
        receiverRatio: ours.receiverCpuUsPerFrame / theirs.receiverCpuUsPerFrame,
        senderRatio: ours.senderCpuUsPerFrame / theirs.senderCpuUsPerFrame,
      },
    ];
  });
  for (const { size, receiverRatio, senderRatio } of ratios) {
    console.log(
      `${size}: udpcam receiver CPU/frame = ${fixed(receiverRatio, 2)}x GStreamer's (target <= ${TARGET_RATIO}x: ${receiverRatio <= TARGET_RATIO ? 'met' : 'MISSED'}); sender ${fixed(senderRatio, 2)}x`,
    );
  }

  const fidelityStacks = [...new Set(Object.values(fidelity).flatMap((row) => Object.keys(row)))];
  console.log(
    '\nFidelity (each variant sent 3 times; Δ = largest per-channel pixel difference after decoding)',
  );
  console.log(
    table(
      ['variant', 'bytes', ...fidelityStacks],
      Object.entries(fidelity).map(([name, row]) => [
        name,
        String(variantBytes.get(name) ?? 0),
        ...fidelityStacks.map((stack) => (row[stack] ? describe(row[stack]!) : '-')),
      ]),
    ),
  );
  for (const [name, row] of Object.entries(fidelity)) {
    for (const [stack, result] of Object.entries(row)) {
      const why = [...(result.warnings ?? []), ...(result.error ? [result.error] : [])];
      if (why.length > 0) console.log(`  ${stack}, ${name}: ${why.join('; ')}`);
    }
  }
  for (const line of skippedVariants) console.log(`skipped: ${line}`);
  console.log(`(${fixed((performance.now() - started) / 1000)} s)`);

  await bench.save(
    {
      gstreamer: gst,
      fps: FPS,
      framesPerRun: FRAMES,
      packetSize: PACKET_SIZE,
      latencyMethod:
        'relay (child process) timestamps the last datagram of frame k (udpcam E chunk / RTP marker) on CLOCK_MONOTONIC; inotify on the output folder timestamps the last event on output file k’s final name: both stacks rename a finished temporary file into place (udpcam .dot-file, multifilesink NAME.XXXXXX)',
      perf,
      receiverCpuRatio: ratios,
      targetReceiverCpuRatio: TARGET_RATIO,
      fidelity: Object.entries(fidelity).map(([variant, results]) => ({
        variant,
        bytes: variantBytes.get(variant),
        rtpJpeg: rtpJpegNotes.get(variant),
        results,
      })),
      fidelitySkipped: skippedVariants,
    },
    VARIANT,
  );

  const cpuRows = perf.flatMap((run) => [
    { size: run.size, stack: run.stack, role: 'receiver', ms: run.receiverCpuUsPerFrame / 1000 },
    { size: run.size, stack: run.stack, role: 'sender', ms: run.senderCpuUsPerFrame / 1000 },
  ]);
  await bench.plot(
    PLOT,
    barsBySize(
      `CPU per frame: udpcam vs GStreamer RTP/JPEG (${FPS} fps, loopback)`,
      cpuRows,
      'role',
      'CPU per frame (ms)',
    ),
  );
  const latencyRows = perf.flatMap((run) =>
    run.latencyMs
      ? [
          { size: run.size, stack: run.stack, quantile: 'p50', ms: run.latencyMs.p50 },
          { size: run.size, stack: run.stack, quantile: 'p99', ms: run.latencyMs.p99 },
        ]
      : [],
  );
  await bench.plot(
    `${PLOT}-latency`,
    barsBySize('Last datagram forwarded → output file complete', latencyRows, 'quantile', 'latency (ms)'),
  );
}

/** Bars of `ms` per `group`, udpcam and GStreamer side by side, one panel per frame size. */
function barsBySize(title: string, rows: object[], group: string, yTitle: string): TopLevelSpec {
  return {
    title,
    data: { values: rows },
    facet: {
      column: {
        field: 'size',
        type: 'nominal',
        title: null,
        sort: SIZES.map(({ width, height }) => `${width}x${height}`),
      },
    },
    spec: {
      width: 180,
      height: 220,
      mark: 'bar',
      encoding: {
        x: { field: group, type: 'nominal', title: null, axis: { labelAngle: 0 } },
        xOffset: { field: 'stack' },
        y: { field: 'ms', type: 'quantitative', title: yTitle },
        color: { field: 'stack', type: 'nominal', title: null },
      },
    },
  };
}

await main();
