/**
 * Loss resilience: the share of frames delivered whole vs datagram loss (0..10%), by frame size,
 * through a lossy relay on loopback (lib/relay.ts: this kernel has no netem). A frame needs every
 * one of its n chunks, so the expectation is (1 − p)^n; the bench measures it end to end with the
 * real processes, `udpcam send --source dir:` → relay → `udpcam receive --out`, and the same for
 * GStreamer's RTP/JPEG (`rtpjpegpay` → relay → `rtpjpegdepay ! multifilesink`) when installed.
 *
 * A frame counts as delivered when an output file is byte-identical to what a lossless run
 * delivers for it (udpcam: the input JPEG, --no-meta; GStreamer: its 0%-loss output), so a frame
 * written with a hole in it would count as corrupt, not delivered. Both stacks see the same seeded
 * drops (datagram i of a run is dropped or not alike), and the table also gives the loss the relay
 * actually drew and (1 − p)^n at that rate: in ~10,000 datagrams, 0.5% can come out as 0.7%.
 *
 *   node build/scripts/bench-loss.js [--quick] [--frames 120]
 * Writes bench-results/loss.json and docs/perf/loss.svg (--quick: loss-quick.json and
 * bench-results/quick-plots/loss.svg). Traffic stays on 127.0.0.1.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import {
  type Child,
  encodeWebcamJpeg,
  freeUdpPort,
  gstReceiverArgs,
  gstreamerStatus,
  gstSenderArgs,
  sendDirArgs,
  startChild,
  startUdpcam,
  writeFrameDir,
} from './lib/gstreamer.js';
import { savePlot } from './lib/plot.js';
import { type FrameEndKind, startRelayChild } from './lib/relay.js';
import { fixed, machine, RESULTS_DIR, saveResults, sleep, table } from './lib/report.js';

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    frames: { type: 'string' },
  },
});
const quick = values.quick;
const LOSS_PCTS = quick ? [0, 2, 10] : [0, 0.5, 1, 2, 5, 10];
const SIZES = quick
  ? [{ width: 640, height: 360 }]
  : [
      { width: 640, height: 360 },
      { width: 1280, height: 720 },
      { width: 1920, height: 1080 },
    ];
/** Frames sent per point; at 60 fps a point takes ~2 s plus process start-up. */
const FRAMES = Number(values.frames ?? (quick ? 40 : 120));
/** Faster than a camera to keep the bench short; loss comes from the relay, not from the rate. */
const FPS = 60;
/** Distinct images per size, cycled (the receiver does not care, the hash check does). */
const DISTINCT_IMAGES = 4;
/** Payload bytes per datagram, unless a frame needs bigger ones to fit in 100 chunks. */
const DEFAULT_PACKET_SIZE = 1400;
const SEED = 7;

type Stack = 'udpcam' | 'gstreamer';

interface Point {
  stack: Stack;
  size: string;
  /** Mean JPEG bytes of the frames sent. */
  frameBytes: number;
  packetSize: number;
  /** Mean datagrams per frame (udpcam: its chunk count; RTP: packets counted by the relay). */
  chunks: number;
  lossPct: number;
  sent: number;
  delivered: number;
  /** Output files that are not a frame sent (a frame written with a hole would land here). */
  corrupt: number;
  ratio: number;
  /** Mean over the frames sent of (1 − p)^chunks. */
  expected: number;
  relayReceived: number;
  relayDropped: number;
  /** Loss the seeded relay actually drew, % (0.5% nominal can be 0.7% in a 10,000-datagram run). */
  realizedLossPct: number;
  /** (1 − p)^chunks at the realized loss. */
  expectedRealized: number;
  /** udpcam only: datagrams the sender sent (more than relayReceived = loss before the relay). */
  datagramsSent?: number;
}

/** `datagramsSent` from udpcam send's last JSON status line. */
function datagramsSent(sender: Child): number | undefined {
  for (const line of [...sender.lines].reverse()) {
    if (!line.includes('"datagramsSent"')) continue;
    return (JSON.parse(line) as { datagramsSent: number }).datagramsSent;
  }
  return undefined;
}

const sha1 = (data: Buffer) => createHash('sha1').update(data).digest('hex');

/** Output .jpg files of `dir` (final names only), or none if it does not exist yet. */
function outputFiles(dir: string): string[] {
  try {
    return readdirSync(dir).filter((name) => name.endsWith('.jpg') && !name.startsWith('.'));
  } catch {
    return [];
  }
}

/**
 * Frames udpcam wrote under `root` since `before` ("camera/file" paths): a relay on a new port may
 * continue the camera of the one before it (same address, gone silent: docs/protocol.md#identity).
 */
function newFrames(root: string, before: ReadonlySet<string> = new Set()): string[] {
  let cameras: string[];
  try {
    cameras = readdirSync(root);
  } catch {
    return [];
  }
  return cameras
    .flatMap((camera) => outputFiles(path.join(root, camera)).map((name) => path.join(camera, name)))
    .filter((name) => !before.has(name));
}

/** Waits until `dir` holds `expected` files, or its count has not moved for 300 ms (≤ 3 s). */
async function settle(dir: string | (() => string[]), expected: number): Promise<void> {
  const list = typeof dir === 'string' ? () => outputFiles(dir) : dir;
  const deadline = Date.now() + 3_000;
  let last = -1;
  let stableSince = Date.now();
  while (Date.now() < deadline) {
    const now = list().length;
    if (now >= expected) return;
    if (now !== last) {
      last = now;
      stableSince = Date.now();
    } else if (Date.now() - stableSince >= 300) return;
    await sleep(50);
  }
}

/** Waits for a sender to finish its frames (bounded: the frames' time plus 15 s). */
async function finish(sender: Child, frames: number): Promise<void> {
  const timer = setTimeout(() => sender.process.kill('SIGKILL'), (frames / FPS) * 1000 + 15_000);
  const code = await sender.exited;
  clearTimeout(timer);
  if (code !== 0) throw new Error(`sender exited with ${code}:\n${sender.lines.slice(-10).join('\n')}`);
}

/** Counts an output folder: files matching `reference` hashes are delivered, others corrupt. */
function tally(
  dir: string,
  reference: ReadonlySet<string>,
  names: readonly string[] = outputFiles(dir),
): { delivered: number; corrupt: number; hashes: string[] } {
  const hashes = names.map((name) => sha1(readFileSync(path.join(dir, name))));
  const delivered = hashes.filter((hash) => reference.has(hash)).length;
  return { delivered, corrupt: hashes.length - delivered, hashes };
}

async function main(): Promise<void> {
  const work = path.join(os.tmpdir(), `udpcam-bench-loss-${process.pid}`);
  mkdirSync(work, { recursive: true });
  const gst = gstreamerStatus();
  if (!gst.available) console.log(`GStreamer half skipped: ${gst.reason}`);
  console.log(
    `loss: ${FRAMES} frames per point at ${FPS} fps, loss ${LOSS_PCTS.join(', ')}%, relay seeded (${SEED})`,
  );

  // One udpcam receiver for the whole bench: each point's relay is a new sender (its own port);
  // a point's frames are the files written since it began, in whichever camera folder.
  const udpcamOut = path.join(work, 'udpcam-out');
  const receiver = startUdpcam(
    [
      'receive',
      '--bind',
      '127.0.0.1',
      '--port',
      '0',
      '--out',
      udpcamOut,
      '--json',
      '--status-interval',
      '3600',
    ],
    undefined,
  );
  const receiverPort = Number((await receiver.waitFor(/receiving on udp 127\.0\.0\.1:(\d+)/))[1]);

  const points: Point[] = [];
  const started = performance.now();
  try {
    for (const { width, height } of SIZES) {
      const size = `${width}x${height}`;
      const images = await Promise.all(
        Array.from({ length: DISTINCT_IMAGES }, (_, index) => encodeWebcamJpeg(width, height, SEED + index)),
      );
      const sentImages = Array.from({ length: FRAMES }, (_, k) => images[k % images.length]!);
      const frameBytes = sentImages.reduce((sum, image) => sum + image.length, 0) / FRAMES;
      const largest = Math.max(...images.map((image) => image.length));
      const packetSize = Math.max(DEFAULT_PACKET_SIZE, Math.ceil(largest / 100));
      const chunkCounts = sentImages.map((image) => Math.max(2, Math.ceil(image.length / packetSize)));
      const chunks = chunkCounts.reduce((sum, n) => sum + n, 0) / FRAMES;
      const expectedFor = (counts: readonly number[], p: number) =>
        counts.reduce((sum, n) => sum + (1 - p) ** n, 0) / counts.length;
      const inputHashes = new Set(images.map(sha1));
      const udpcamIn = path.join(work, `in-${size}`);
      writeFrameDir(udpcamIn, images, images.length);
      const gstPattern = writeFrameDir(path.join(work, `gst-in-${size}`), images, FRAMES);

      for (const lossPct of LOSS_PCTS) {
        const p = lossPct / 100;
        process.stdout.write(`[${size} udpcam ${lossPct}%] `);
        const relay = await startRelayChild({
          targetPort: receiverPort,
          lossRate: p,
          seed: SEED,
          frameEnd: 'none',
        });
        const before = new Set(newFrames(udpcamOut));
        const sender = startUdpcam(
          sendDirArgs({ dir: udpcamIn, fps: FPS, port: relay.port, frames: FRAMES, packetSize, meta: false }),
          undefined,
        );
        await finish(sender, FRAMES);
        const relayStats = await relay.stats();
        const fresh = () => newFrames(udpcamOut, before);
        await settle(fresh, Math.round(FRAMES * expectedFor(chunkCounts, p)));
        await relay.close();
        const { delivered, corrupt } = tally(udpcamOut, inputHashes, fresh());
        const point: Point = {
          stack: 'udpcam',
          size,
          frameBytes,
          packetSize,
          chunks,
          lossPct,
          sent: FRAMES,
          delivered,
          corrupt,
          ratio: delivered / FRAMES,
          expected: expectedFor(chunkCounts, p),
          relayReceived: relayStats.received,
          relayDropped: relayStats.dropped,
          realizedLossPct: (100 * relayStats.dropped) / Math.max(1, relayStats.received),
          expectedRealized: expectedFor(chunkCounts, relayStats.dropped / Math.max(1, relayStats.received)),
          datagramsSent: datagramsSent(sender),
        };
        points.push(point);
        if (point.datagramsSent !== undefined && point.datagramsSent > point.relayReceived)
          process.stdout.write(
            `(${point.datagramsSent - point.relayReceived} datagrams lost before the relay) `,
          );
        console.log(
          `${delivered}/${FRAMES} whole (${fixed(point.ratio * 100)}%, expected ${fixed(point.expected * 100)}%), ${corrupt} corrupt`,
        );
      }

      if (!gst.available) continue;
      // GStreamer: RTP packets of the same size as udpcam's datagrams (mtu counts the RTP header).
      const mtu = packetSize + 5;
      let reference: Set<string> | undefined;
      for (const lossPct of LOSS_PCTS) {
        const p = lossPct / 100;
        process.stdout.write(`[${size} gstreamer ${lossPct}%] `);
        const outDir = path.join(work, `gst-out-${size}-${lossPct}`);
        rmSync(outDir, { recursive: true, force: true });
        mkdirSync(outDir, { recursive: true });
        const port = await freeUdpPort();
        const gstReceiver = startChild(
          'gst-launch-1.0',
          gstReceiverArgs(port, path.join(outDir, 'frame-%05d.jpg')),
          undefined,
        );
        const frameEnd: FrameEndKind = 'rtp';
        try {
          await gstReceiver.waitFor(/Setting pipeline to PLAYING/);
          await sleep(200);
          const relay = await startRelayChild({ targetPort: port, lossRate: p, seed: SEED, frameEnd });
          const sender = startChild(
            'gst-launch-1.0',
            gstSenderArgs(gstPattern, FRAMES, FPS, relay.port, mtu),
            undefined,
          );
          await finish(sender, FRAMES);
          const relayStats = await relay.stats();
          const packets = relayStats.received / FRAMES;
          const expected = (1 - p) ** packets;
          await settle(outDir, reference ? Math.round(FRAMES * expected) : FRAMES);
          await relay.close();
          // The lossless run's outputs are the reference: RTP/JPEG rebuilds the headers, so they
          // are not the input bytes, but the same input always comes out the same.
          reference ??= new Set(tally(outDir, new Set()).hashes);
          const { delivered, corrupt } = tally(outDir, reference);
          const point: Point = {
            stack: 'gstreamer',
            size,
            frameBytes,
            packetSize: mtu - 20,
            chunks: packets,
            lossPct,
            sent: FRAMES,
            delivered,
            corrupt,
            ratio: delivered / FRAMES,
            expected,
            relayReceived: relayStats.received,
            relayDropped: relayStats.dropped,
            realizedLossPct: (100 * relayStats.dropped) / Math.max(1, relayStats.received),
            expectedRealized: (1 - relayStats.dropped / Math.max(1, relayStats.received)) ** packets,
          };
          points.push(point);
          console.log(
            `${delivered}/${FRAMES} whole (${fixed(point.ratio * 100)}%, expected ${fixed(expected * 100)}%), ${corrupt} corrupt`,
          );
        } finally {
          await gstReceiver.stop('SIGINT');
        }
      }
    }
  } finally {
    await receiver.stop();
    rmSync(work, { recursive: true, force: true });
  }

  console.log(`\nWhole frames delivered vs datagram loss (${FRAMES} frames per point, ${FPS} fps)`);
  console.log(
    table(
      [
        'stack',
        'size',
        'frame kB',
        'chunks',
        'loss %',
        'drawn %',
        'delivered',
        'ratio',
        '(1-p)^n',
        'drawn',
        'corrupt',
      ],
      points.map((point) => [
        point.stack,
        point.size,
        fixed(point.frameBytes / 1000),
        fixed(point.chunks),
        String(point.lossPct),
        fixed(point.realizedLossPct, 2),
        `${point.delivered}/${point.sent}`,
        fixed(point.ratio, 3),
        fixed(point.expected, 3),
        fixed(point.expectedRealized, 3),
        String(point.corrupt),
      ]),
    ),
  );
  console.log(`(${fixed((performance.now() - started) / 1000)} s)`);

  const file = await saveResults(quick ? 'loss-quick' : 'loss', {
    bench: 'loss',
    quick,
    machine: machine(),
    fps: FPS,
    framesPerPoint: FRAMES,
    seed: SEED,
    gstreamer: gst,
    points,
  });
  console.log(`results: ${file}`);

  const rows = points.flatMap((point) => [
    { stack: point.stack, size: point.size, lossPct: point.lossPct, ratio: point.ratio, kind: 'measured' },
    {
      stack: point.stack,
      size: point.size,
      lossPct: point.lossPct,
      ratio: point.expected,
      kind: '(1 − p)^chunks',
    },
  ]);
  const plot = await savePlot(
    'loss',
    {
      $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
      title: `Whole frames delivered vs datagram loss (${FRAMES} frames per point; solid: measured, dashed: (1 − p)^chunks)`,
      data: { values: rows },
      facet: { column: { field: 'stack', type: 'nominal', title: null, sort: ['udpcam', 'gstreamer'] } },
      spec: {
        width: 300,
        height: 220,
        mark: { type: 'line', point: true },
        encoding: {
          x: { field: 'lossPct', type: 'quantitative', title: 'datagram loss (%)' },
          y: {
            field: 'ratio',
            type: 'quantitative',
            title: 'frames delivered whole',
            scale: { domain: [0, 1] },
          },
          color: { field: 'size', type: 'nominal', title: 'frame size' },
          strokeDash: {
            field: 'kind',
            type: 'nominal',
            title: null,
            legend: null,
            scale: {
              domain: ['measured', '(1 − p)^chunks'],
              range: [
                [1, 0],
                [5, 4],
              ],
            },
          },
        },
      },
    },
    quick ? path.join(RESULTS_DIR, 'quick-plots') : undefined,
  );
  console.log(`plot: ${plot}`);
}

await main();
