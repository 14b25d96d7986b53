/**
 * udpcam side by side with GStreamer's RTP/JPEG on the same JPEG files: CPU and latency.
 *
 *   udpcam     udpcam send --source dir:IN     → relay → udpcam receive --out OUT
 *   GStreamer  imagesequencesrc ! jpegparse ! clocksync ! rtpjpegpay ! udpsink
 *                                              → relay → udpsrc ! rtpjpegdepay ! multifilesink
 *
 * Receiver and sender CPU per frame (utime + stime from /proc/PID/stat, all threads, sampled at
 * the start and end of a steady window: start-up excluded), receivers pinned to core 1 and
 * senders to core 0. Latency: the relay (a child process, lib/relay.ts, lossless here) timestamps
 * the last datagram of frame k ('E' chunk / RTP marker) on the monotonic clock; an inotify watch
 * on the output folder timestamps the last event on output file k's final name. Both write
 * atomically — udpcam links a finished unnamed (O_TMPFILE) file into place, multifilesink (1.22)
 * writes NAME.XXXXXX and renames it — so for both it is the moment the whole file can be read
 * under its name. What each stack does to other kinds of JPEG: bench-fidelity.ts.
 *
 *   node build/scripts/bench-gstreamer.js [--quick] [--frames 300] [--sizes 1280x720,640x360]
 *                                         [--cpu-prof DIR]   (profiles the udpcam receivers)
 *                                         [--unpinned]       (all four processes share the cores)
 *                                         [--warmup FRAMES]  (frames before the CPU window; default 600)
 * Writes bench-results/gstreamer.json, docs/perf/gstreamer.svg and gstreamer-latency.svg
 * (--unpinned: gstreamer-unpinned.json and -unpinned plots, as on a user's machine where the
 * scheduler places sender and receiver). Without GStreamer the udpcam half still runs and the
 * JSON says `gstreamer: {available: false, reason}`.
 */
import { mkdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { percentile, sortedAscending } from '@udpcam/common';
import type { TopLevelSpec } from 'vega-lite';
import { encodeWebcamJpeg, writeFrameDir } from './lib/frames.js';
import { FPS, PACKET_SIZE, type Stack, startReceiver, startSender } from './lib/gst-stacks.js';
import { type Child, gstreamerStatus } from './lib/gstreamer.js';
import { startBench } from './lib/harness.js';
import { finish, OutputWatcher, settle } from './lib/outputs.js';
import { processCpuUs } from './lib/proc.js';
import { monotonicUs, type RelayChild, startRelayChild } from './lib/relay.js';
import { fixed, sleep, table } from './lib/report.js';

const bench = startBench('gstreamer', {
  frames: { type: 'string' },
  warmup: { type: 'string' },
  sizes: { type: 'string' },
  'cpu-prof': { type: 'string' },
});
const quick = bench.quick;
const profile = bench.flags['cpu-prof'];
/** node flags of the udpcam receivers: a V8 CPU profile each with --cpu-prof DIR. */
const PROFILE_FLAGS = profile ? ['--cpu-prof', `--cpu-prof-dir=${path.resolve(profile)}`] : [];
const FRAMES = bench.number('frames', 1200, 60);
/**
 * Frames delivered before the CPU window opens (--warmup) and left after it closes. 20 s of
 * warm-up by default: a Node process at 30 fps spends its first minute or so in V8 tiering up its
 * per-frame code (a function called 30 times a second takes that long to look hot; CPU per frame
 * falls 10-25 % from the 20th to the 70th second); GStreamer, compiled ahead, has no such phase.
 * `--warmup 2100 --frames 2900` measures the steady state instead.
 */
const WARMUP_FRAMES = quick ? 10 : bench.number('warmup', Math.min(600, Math.floor(FRAMES / 2)));
const TAIL_FRAMES = quick ? 5 : 30;
/** Frames the CPU window needs at least (a quick run has 60 in all). */
const MIN_WINDOW_FRAMES = quick ? 1 : 60;
if (!Number.isInteger(WARMUP_FRAMES) || WARMUP_FRAMES + TAIL_FRAMES + MIN_WINDOW_FRAMES > FRAMES) {
  bench.fail(
    `--warmup takes a whole number of frames, at most --frames - ${TAIL_FRAMES + MIN_WINDOW_FRAMES} (${FRAMES - TAIL_FRAMES - MIN_WINDOW_FRAMES})`,
  );
}
const SIZES = bench.list('sizes', '1280x720,640x360,1920x1080', '640x360').map((size) => {
  const [width, height] = size.split('x').map(Number);
  return { size, width: width!, height: height! };
});
const DISTINCT_IMAGES = quick ? 3 : 10;
const TARGET_RATIO = 0.75;
/** Results and plots of an --unpinned or --warmup run are named so, beside the usual ones. */
const VARIANT =
  [
    !quick && bench.flags.unpinned ? 'unpinned' : '',
    !quick && bench.flags.warmup !== undefined ? `warmup${WARMUP_FRAMES}` : '',
  ]
    .filter(Boolean)
    .join('-') || undefined;
const PLOT = VARIANT ? `gstreamer-${VARIANT}` : 'gstreamer';
const RECEIVER_CORE = bench.core(1);
const SENDER_CORE = bench.core(0);

/** One stack, one size: FRAMES frames at FPS through a lossless relay (see the file comment). */
async function runPerf(stack: Stack, dir: string, size: string, frameBytes: number, work: string) {
  const out = path.join(work, `perf-out-${stack}-${size}`);
  const receiver = await startReceiver(stack, out, RECEIVER_CORE, PROFILE_FLAGS);
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
    await finish(sender, FRAMES, FPS);
    await settle(() => watcher!.completedUs.size, FRAMES);
    await sleep(100); // the last write's inotify events
    const relayStats = await relay.stats();
    const files = watcher.files();
    // Without both samples (a process gone), every CPU figure is NaN and no frame is in the window.
    const none = { atUs: Number.NaN, receiverUs: Number.NaN, senderUs: Number.NaN };
    const [start = none, end = none] = samples;
    const seconds = (end.atUs - start.atUs) / 1e6;
    const receiverUs = end.receiverUs - start.receiverUs;
    const senderUs = end.senderUs - start.senderUs;
    const windowFramesDelivered = FRAMES - TAIL_FRAMES - WARMUP_FRAMES;
    const windowFramesSent = relayStats.frameEndsUs.filter((at) => at > start.atUs && at <= end.atUs).length;
    let latencyMs: { p50: number; p99: number; max: number; frames: number } | null = null;
    let latencyNote: string | undefined;
    if (files.length === relayStats.frameEndsUs.length) {
      const latencies = files
        .map((name, k) => (watcher!.completedUs.get(name)! - relayStats.frameEndsUs[k]!) / 1000)
        .slice(WARMUP_FRAMES);
      const sorted = sortedAscending(latencies);
      latencyMs = {
        p50: percentile(sorted, 0.5),
        p99: percentile(sorted, 0.99),
        max: Math.max(...latencies),
        frames: latencies.length,
      };
    } else {
      latencyNote = `${files.length} files for ${relayStats.frameEndsUs.length} frame ends: not paired`;
    }
    return {
      stack,
      size,
      frameBytes,
      sent: FRAMES,
      delivered: files.length,
      windowSeconds: seconds,
      windowFramesDelivered,
      windowFramesSent,
      // CPU per frame, µs (process CPU over the window ÷ frames in the window), and share of a core.
      receiverCpuUsPerFrame: receiverUs / windowFramesDelivered,
      senderCpuUsPerFrame: senderUs / Math.max(1, windowFramesSent),
      receiverCores: receiverUs / 1e6 / seconds,
      senderCores: senderUs / 1e6 / seconds,
      latencyMs,
      ...(latencyNote ? { latencyNote } : {}),
    };
  } finally {
    watcher?.close();
    await receiver.child.stop(stack === 'gstreamer' ? 'SIGINT' : 'SIGTERM');
    await relay?.close();
  }
}

/** One stack at one size: what it delivered, its CPU per frame and its latency. */
type PerfRun = Awaited<ReturnType<typeof runPerf>>;

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
try {
  for (const { size, width, height } of SIZES) {
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
const ratios = [];
for (const { size } of SIZES) {
  const ours = perf.find((run) => run.stack === 'udpcam' && run.size === size);
  const theirs = perf.find((run) => run.stack === 'gstreamer' && run.size === size);
  if (!ours || !theirs) continue;
  const receiverRatio = ours.receiverCpuUsPerFrame / theirs.receiverCpuUsPerFrame;
  const senderRatio = ours.senderCpuUsPerFrame / theirs.senderCpuUsPerFrame;
  ratios.push({ size, receiverRatio, senderRatio });
  console.log(
    `${size}: udpcam receiver CPU/frame = ${fixed(receiverRatio, 2)}x GStreamer's (target <= ${TARGET_RATIO}x: ${receiverRatio <= TARGET_RATIO ? 'met' : 'MISSED'}); sender ${fixed(senderRatio, 2)}x`,
  );
}

console.log(`(${fixed((performance.now() - started) / 1000)} s)`);

await bench.save(
  {
    gstreamer: gst,
    fps: FPS,
    framesPerRun: FRAMES,
    packetSize: PACKET_SIZE,
    latencyMethod:
      'relay (child process) timestamps the last datagram of frame k (udpcam E chunk / RTP marker) on CLOCK_MONOTONIC; inotify on the output folder timestamps the last event on output file k’s final name: both stacks put a finished file in place under its name (udpcam links an O_TMPFILE file, multifilesink renames NAME.XXXXXX)',
    perf,
    receiverCpuRatio: ratios,
    targetReceiverCpuRatio: TARGET_RATIO,
  },
  VARIANT,
);

const cpuRows = perf.flatMap((run) => [
  { size: run.size, stack: run.stack, role: 'receiver', ms: run.receiverCpuUsPerFrame / 1000 },
  { size: run.size, stack: run.stack, role: 'sender', ms: run.senderCpuUsPerFrame / 1000 },
]);
const cpuTitle = `CPU per frame: udpcam vs GStreamer RTP/JPEG (${FPS} fps, loopback)`;
await bench.plot(PLOT, barsBySize(cpuTitle, cpuRows, 'role', 'CPU per frame (ms)'));
const latencyRows = perf.flatMap(({ size, stack, latencyMs }) =>
  (['p50', 'p99'] as const).flatMap((quantile) =>
    latencyMs ? [{ size, stack, quantile, ms: latencyMs[quantile] }] : [],
  ),
);
await bench.plot(
  `${PLOT}-latency`,
  barsBySize('Last datagram forwarded → output file complete', latencyRows, 'quantile', 'latency (ms)'),
);

/** Bars of `ms` per `group`, udpcam and GStreamer side by side, one panel per frame size. */
function barsBySize(title: string, rows: object[], group: string, yTitle: string): TopLevelSpec {
  return {
    title,
    data: { values: rows },
    facet: { column: { field: 'size', type: 'nominal', title: null, sort: SIZES.map(({ size }) => size) } },
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
