/**
 * Loss resilience: the share of frames delivered whole vs datagram loss, for udpcam with and
 * without parity (docs/protocol.md#parity) and NACK, and GStreamer's RTP/JPEG with and without its
 * own FEC (ULPFEC, SMPTE ST 2022-1) at the same overhead, at 360p/720p/1080p: real senders and
 * receivers (`udpcam send|receive`, `gst-launch-1.0`) in a private network namespace
 * (lib/netns.ts) whose nftables rule drops datagrams to the stream's ports, at random or in bursts
 * of 4 every 100. Without root or nftables (or with --relay) the userspace relay (lib/relay.ts)
 * drops them: random loss only, and no multi-port GStreamer FEC.
 *
 * A frame counts as delivered when an output file is byte-identical to what a lossless run
 * delivers for it (udpcam: the input JPEG, --no-meta; GStreamer: the same arm's 0%-loss output),
 * so a frame written with a hole in it counts as corrupt. Overhead is measured on the wire: the
 * UDP bytes the nft counter saw, against the same stack without FEC.
 *
 *   node build/scripts/bench-loss.js [--quick] [--frames 300] [--relay]
 *     [--arms 'udpcam fec 0.1,ulpfec 10%'] [--sizes 1280x720] [--losses '0%,2%,burst 4/100']
 * Writes bench-results/loss.json and docs/perf/loss.svg (a run limited by --arms, --sizes or
 * --losses: loss-partial.json, no plot).
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parityCount } from '@udpcam/protocol';
import type { NackCounters, ReceiverTotals } from '@udpcam/receiver';
import { encodeWebcamJpeg, writeFrameDir } from './lib/frames.js';
import { type GstFec, gstFecReceiverArgs, gstFecSenderArgs, gstPorts } from './lib/gst-fec.js';
import { gstreamerStatus, receiveArgs, sendDirArgs, startChild, UDPCAM_CLI } from './lib/gstreamer.js';
import { startBench } from './lib/harness.js';
import { NetNamespace, netnsStatus, type RuleCounter } from './lib/netns.js';
import { finish, outputFiles, settle } from './lib/outputs.js';
import { startRelayChild } from './lib/relay.js';
import { fixed, sleep, table } from './lib/report.js';

const bench = startBench('loss', {
  frames: { type: 'string' },
  relay: { type: 'boolean', default: false },
  /** Only these arms (comma-separated names) / sizes (e.g. 1280x720) / losses (e.g. 2%,burst 4/100). */
  arms: { type: 'string' },
  sizes: { type: 'string' },
  losses: { type: 'string' },
});
const only = (list: string | undefined) => (list === undefined ? undefined : new Set(list.split(',')));
const onlyArms = only(bench.flags.arms);
const onlySizes = only(bench.flags.sizes);
const onlyLosses = only(bench.flags.losses);
const quick = bench.quick;

/** A loss pattern: random with probability lossPct, or bursts of `burst` datagrams every `period`. */
type LossSpec = { name: string; lossPct: number; burst?: { length: number; period: number } };
const BURST: LossSpec = { name: 'burst 4/100', lossPct: 4, burst: { length: 4, period: 100 } };
const random = (pct: number): LossSpec => ({ name: `${pct}%`, lossPct: pct });
const LOSSES: LossSpec[] = quick
  ? [random(0), random(5), BURST]
  : [random(0), random(1), random(2), random(5), random(10), BURST];

/**
 * One sender/receiver pair under test: udpcam with its --fec ratio, and nack: resend on request
 * (docs/protocol.md#nack) on both ends (else --no-nack); or GStreamer with its FEC element.
 */
type Arm =
  | { name: string; stack: 'udpcam'; fec: number; nack?: boolean }
  | { name: string; stack: 'gstreamer'; fec: GstFec; nack?: undefined };
const ARMS: Arm[] = [
  { name: 'udpcam', stack: 'udpcam', fec: 0 },
  { name: 'udpcam fec 0.1', stack: 'udpcam', fec: 0.1 },
  { name: 'udpcam fec 0.2', stack: 'udpcam', fec: 0.2 },
  { name: 'udpcam nack', stack: 'udpcam', fec: 0, nack: true },
  { name: 'udpcam fec 0.1 + nack', stack: 'udpcam', fec: 0.1, nack: true },
  { name: 'gstreamer', stack: 'gstreamer', fec: { kind: 'none' } },
  { name: 'ulpfec 10%', stack: 'gstreamer', fec: { kind: 'ulpfec', percentage: 10 } },
  { name: 'ulpfec 20%', stack: 'gstreamer', fec: { kind: 'ulpfec', percentage: 20 } },
  // ST 2022-1 row FEC over 10 packets (+10 %), and row + column over 10 × 10 (+20 %).
  { name: 'st2022-1 10', stack: 'gstreamer', fec: { kind: 'st2022-1', columns: 10, rows: 0 } },
  { name: 'st2022-1 10x10', stack: 'gstreamer', fec: { kind: 'st2022-1', columns: 10, rows: 10 } },
];
const QUICK_ARMS = ['udpcam', 'udpcam fec 0.1', 'udpcam nack', 'gstreamer', 'ulpfec 10%', 'st2022-1 10'];

const SIZES = (quick ? ['640x360'] : ['640x360', '1280x720', '1920x1080']).filter(
  (size) => onlySizes?.has(size) ?? true,
);
/** Frames sent per point; at 60 fps 300 frames take 5 s. */
const FRAMES = bench.number('frames', 300, 40);
/** Faster than a camera to keep the bench short; loss comes from the rule, not from the rate. */
const FPS = 60;
const DISTINCT_IMAGES = 4;
const DEFAULT_PACKET_SIZE = 1400;
const SEED = 7;
/** The media port inside the namespace (GStreamer ST 2022-1 also uses +2 and +4). */
const PORT = 5000;

/** Datagrams and IP bytes that reached the rule and datagrams it dropped; back: receiver → sender (NACKs). */
type Counters = {
  datagrams: number;
  wireBytes: number;
  dropped: number;
  backDatagrams?: number;
  backBytes?: number;
};
/** The receiver's counters (udpcam), and what NACK did (NACK arms). */
type FinalStatus = Partial<Pick<ReceiverTotals, 'framesRecovered' | 'datagramsLost'>> & {
  nack?: NackCounters;
};

interface Point
  extends Counters,
    Omit<FinalStatus, 'nack'>,
    Partial<Pick<NackCounters, 'nacksSent' | 'retransmitsReceived' | 'framesSaved' | 'savedDelayMsMax'>> {
  arm: string;
  stack: Arm['stack'];
  size: string;
  loss: string;
  /** Nominal loss %, for a burst its long-run average. */
  lossPct: number;
  burst: boolean;
  path: 'netns' | 'relay';
  frameBytes: number;
  packetSize: number;
  /** Datagrams per frame on the wire (FEC included), from the counter. */
  chunks: number;
  sent: number;
  delivered: number;
  corrupt: number;
  ratio: number;
  /** Model: (1 − p)^n without FEC; for udpcam with parity P(at most m of k + m lost). */
  expected: number;
  realizedLossPct: number;
  /** Wire bytes over the same stack's without FEC, %, at 0 % loss of the same size. */
  overheadPct?: number;
  /** Wire bytes both ways over the same stack's without FEC at 0 % loss, %, at this loss. */
  totalOverheadPct?: number;
  /** Delay a saved frame took over one that lost nothing, mean ms (receiver's clock). */
  savedDelayMsMean?: number;
}

/** The results table: each column's header and its cell of a point. */
const optional = (value: number | undefined, text = (v: number) => String(v)) =>
  value === undefined ? '' : text(value);
const COLUMNS: [string, (point: Point) => string][] = [
  ['arm', (point) => point.arm],
  ['size', (point) => point.size],
  ['frame kB', (point) => fixed(point.frameBytes / 1000)],
  ['dgrams/frame', (point) => fixed(point.chunks)],
  ['overhead %', (point) => optional(point.overheadPct, fixed)],
  ['loss', (point) => point.loss],
  ['drawn %', (point) => fixed(point.realizedLossPct, 2)],
  ['delivered', (point) => `${point.delivered}/${point.sent}`],
  ['ratio', (point) => fixed(point.ratio, 3)],
  ['model', (point) => fixed(point.expected, 3)],
  ['corrupt', (point) => String(point.corrupt)],
  ['recovered', (point) => optional(point.framesRecovered)],
  ['wire ±%', (point) => optional(point.totalOverheadPct, fixed)],
  ['saved (nack)', (point) => optional(point.framesSaved)],
  [
    'added ms',
    (p) => optional(p.savedDelayMsMean, (mean) => `${fixed(mean, 2)} / ${fixed(p.savedDelayMsMax ?? 0, 2)}`),
  ],
];

const sha1 = (data: Buffer) => createHash('sha1').update(data).digest('hex');

function tally(dir: string, reference: ReadonlySet<string>) {
  const hashes = outputFiles(dir).map((name) => sha1(readFileSync(path.join(dir, name))));
  const delivered = hashes.filter((hash) => reference.has(hash)).length;
  return { delivered, corrupt: hashes.length - delivered, hashes };
}

/** The chance a frame of k data and m parity datagrams is whole: at most m of them lost (binomial). */
function wholeChance(k: number, m: number, p: number): number {
  const n = k + m;
  let term = (1 - p) ** n;
  let sum = term;
  for (let i = 1; i <= m; i++) {
    term *= ((n - i + 1) / i) * (p / (1 - p));
    sum += term;
  }
  return Math.min(1, sum);
}

const work = path.join(os.tmpdir(), `udpcam-bench-loss-${process.pid}`);
mkdirSync(work, { recursive: true });
const gst = gstreamerStatus();
if (!gst.available) console.log(`GStreamer arms skipped: ${gst.reason}`);
const netns = netnsStatus();
const useNetns = netns.available && !bench.flags.relay;
if (!useNetns)
  console.log(`userspace relay (${netns.available ? '--relay' : netns.reason}): random loss only`);
const namespace = useNetns ? await NetNamespace.create() : undefined;

/** Where the loss happens: nft in a namespace (the kernel's), or the userspace relay. */
const lossPath = namespace ? 'netns' : 'relay';

/** Starts `command args` where the stream runs; the receivers listen on PORT of 127.0.0.1 either way. */
const start = (command: string, args: readonly string[]) =>
  startChild(...(namespace?.wrap(command, args) ?? ([command, args] as const)), undefined);
const udpcamCli = (args: readonly string[]) => start(process.execPath, [UDPCAM_CLI, ...args]);
const gstLaunch = (args: readonly string[]) => start('gst-launch-1.0', args);

/**
 * Arms `loss` for `ports` (the media port first): the port the sender must send to, the counters
 * since, and how to end it. In the namespace the back channel (NACKs, from the receiver's port)
 * loses datagrams alike.
 */
async function armLoss(ports: readonly number[], loss: LossSpec) {
  if (!namespace) {
    const lossRate = loss.lossPct / 100;
    const relay = await startRelayChild({ targetPort: ports[0]!, lossRate, seed: SEED, frameEnd: 'none' });
    const counters = async (): Promise<Counters> => {
      const { received, dropped } = await relay.stats();
      return { datagrams: received, wireBytes: Number.NaN, dropped };
    };
    return { sendPort: relay.port, counters, disarm: () => relay.close() };
  }
  const set = `{ ${ports.join(', ')} }`;
  const drop = (way: 'dport' | 'sport') =>
    loss.burst
      ? `udp ${way} ${set} numgen inc mod ${loss.burst.period} < ${loss.burst.length} counter drop`
      : `udp ${way} ${set} numgen random mod 10000 < ${Math.round(loss.lossPct * 100)} counter drop`;
  namespace.setInputRules([
    `udp dport ${set} counter`,
    drop('dport'),
    `udp sport ${set} counter`,
    drop('sport'),
  ]);
  const counters = async (): Promise<Counters> => {
    const [all, dropped, back] = namespace.counters() as [RuleCounter, RuleCounter, RuleCounter];
    return {
      datagrams: all.packets,
      wireBytes: all.bytes,
      dropped: dropped.packets,
      backDatagrams: back.packets,
      backBytes: back.bytes,
    };
  };
  return { sendPort: ports[0]!, counters, disarm: async () => {} };
}

const arms = ARMS.filter(
  (arm) =>
    (onlyArms ? onlyArms.has(arm.name) : !quick || QUICK_ARMS.includes(arm.name)) &&
    (arm.stack === 'udpcam' || gst.available) &&
    (useNetns || arm.stack === 'udpcam' || arm.fec.kind === 'none'),
);
const losses = LOSSES.filter((loss) => (useNetns || !loss.burst) && (onlyLosses?.has(loss.name) ?? true));
console.log(
  `loss: ${FRAMES} frames per point at ${FPS} fps; ${arms.map((arm) => arm.name).join(', ')}; ${losses.map((l) => l.name).join(', ')}`,
);

const points: Point[] = [];
const started = performance.now();
try {
  for (const size of SIZES) {
    const [width, height] = size.split('x').map(Number) as [number, number];
    const images = await Promise.all(
      Array.from({ length: DISTINCT_IMAGES }, (_, index) => encodeWebcamJpeg(width, height, SEED + index)),
    );
    const sentImages = Array.from({ length: FRAMES }, (_, k) => images[k % images.length]!);
    const frameBytes = sentImages.reduce((sum, image) => sum + image.length, 0) / FRAMES;
    const largest = Math.max(...images.map((image) => image.length));
    const packetSize = Math.max(DEFAULT_PACKET_SIZE, Math.ceil(largest / 100));
    const dataChunks = sentImages.map((image) => Math.max(2, Math.ceil(image.length / packetSize)));
    const inputHashes = new Set(images.map(sha1));
    const udpcamIn = path.join(work, `in-${size}`);
    writeFrameDir(udpcamIn, images, images.length);
    // Byte for byte (--no-meta): a frame delivered whole is its input JPEG.
    const udpcamSend = { dir: udpcamIn, fps: FPS, frames: FRAMES, packetSize, meta: false };
    const gstPattern = writeFrameDir(path.join(work, `gst-in-${size}`), images, FRAMES);

    for (const arm of arms) {
      let reference: Set<string> | undefined;
      for (const loss of losses) {
        const p = loss.lossPct / 100;
        process.stdout.write(`[${size} ${arm.name} ${loss.name}] `);
        const outDir = path.join(work, `out-${size}-${arm.name}-${loss.name}`.replace(/[^\w.-]+/g, '_'));
        rmSync(outDir, { recursive: true, force: true });
        mkdirSync(outDir, { recursive: true });
        const udpcam = arm.stack === 'udpcam';
        const ports = udpcam ? [PORT] : gstPorts(PORT, arm.fec);
        const receiver = udpcam
          ? udpcamCli([...receiveArgs(PORT), '--out', outDir, ...(arm.nack ? [] : ['--no-nack'])])
          : gstLaunch(gstFecReceiverArgs(arm.fec, PORT, path.join(outDir, 'frame-%05d.jpg')));
        let counters: Counters;
        try {
          await receiver.waitFor(udpcam ? /receiving on udp/ : /Setting pipeline to PLAYING/);
          if (!udpcam) await sleep(300);
          const lossy = await armLoss(ports, loss);
          const sender = udpcam
            ? udpcamCli(
                sendDirArgs({ ...udpcamSend, port: lossy.sendPort, fec: arm.fec, nack: arm.nack === true }),
              )
            : gstLaunch(gstFecSenderArgs(arm.fec, gstPattern, FRAMES, FPS, lossy.sendPort, packetSize + 5));
          await finish(sender, FRAMES, FPS, 20_000);
          counters = await lossy.counters();
          await settle(
            () => outputFiles(outDir).length,
            loss.lossPct === 0 ? FRAMES : Math.round(FRAMES * 0.999),
          );
          await lossy.disarm();
        } finally {
          await receiver.stop('SIGINT');
        }
        if (loss.lossPct === 0 && !udpcam) reference = new Set(tally(outDir, new Set()).hashes);
        const { delivered, corrupt } = tally(outDir, udpcam ? inputHashes : (reference ?? new Set()));
        const chunks = counters.datagrams / FRAMES;
        const expected = udpcam
          ? dataChunks.reduce((sum, k) => sum + wholeChance(k, parityCount(k, arm.fec), p), 0) / FRAMES
          : (1 - p) ** chunks;
        // udpcam's counters: its last JSON status line, printed when it stops.
        const stopped = [...receiver.lines].reverse().find((line) => line.includes('"stopped"'));
        const status: FinalStatus | undefined = udpcam && stopped ? JSON.parse(stopped) : undefined;
        const nack = arm.nack ? status?.nack : undefined;
        const point: Point = {
          arm: arm.name,
          stack: arm.stack,
          size,
          loss: loss.name,
          lossPct: loss.lossPct,
          burst: loss.burst !== undefined,
          path: lossPath,
          frameBytes,
          packetSize,
          chunks,
          sent: FRAMES,
          delivered,
          corrupt,
          ratio: delivered / FRAMES,
          expected,
          ...counters,
          realizedLossPct: (100 * counters.dropped) / Math.max(1, counters.datagrams),
          framesRecovered: status?.framesRecovered,
          datagramsLost: status?.datagramsLost,
          nacksSent: nack?.nacksSent,
          retransmitsReceived: nack?.retransmitsReceived,
          framesSaved: nack?.framesSaved,
          savedDelayMsMean:
            nack && nack.framesSaved > 0 ? nack.savedDelayMsTotal / nack.framesSaved : undefined,
          savedDelayMsMax: nack?.savedDelayMsMax,
        };
        // The same stack without FEC at 0 % is the 0 of overhead.
        const base = points.find(
          (other) => other.arm === arm.stack && other.size === size && other.lossPct === 0 && !other.burst,
        );
        if (base && loss.lossPct === 0 && !loss.burst)
          point.overheadPct = 100 * (point.wireBytes / base.wireBytes - 1);
        if (base)
          point.totalOverheadPct = 100 * ((point.wireBytes + (point.backBytes ?? 0)) / base.wireBytes - 1);
        points.push(point);
        console.log(
          `${delivered}/${FRAMES} whole (${fixed(point.ratio * 100)}%, model ${fixed(expected * 100)}%), drawn ${fixed(point.realizedLossPct, 2)}%, ${corrupt} corrupt${point.overheadPct === undefined ? '' : `, overhead ${fixed(point.overheadPct)}%`}${point.totalOverheadPct === undefined ? '' : `, wire both ways +${fixed(point.totalOverheadPct)}%`}${nack ? `, nacks ${nack.nacksSent} resent ${nack.retransmitsReceived} saved ${nack.framesSaved} (+${fixed(point.savedDelayMsMean ?? 0, 2)} ms mean, ${fixed(nack.savedDelayMsMax, 2)} max)` : ''}`,
        );
      }
    }
  }
} finally {
  namespace?.close();
  rmSync(work, { recursive: true, force: true });
}
for (const point of points) {
  point.overheadPct ??= points.find(
    (other) => other.arm === point.arm && other.size === point.size && other.overheadPct !== undefined,
  )?.overheadPct;
}

console.log(
  `\nWhole frames delivered vs datagram loss (${FRAMES} frames per point, ${FPS} fps, ${lossPath})`,
);
console.log(
  table(
    COLUMNS.map(([header]) => header),
    points.map((point) => COLUMNS.map(([, cell]) => cell(point))),
  ),
);
console.log(`(${fixed((performance.now() - started) / 1000)} s)`);

// A run limited by --arms/--sizes/--losses keeps the full run's results and plot.
const partial = onlyArms !== undefined || onlySizes !== undefined || onlyLosses !== undefined;
await bench.save(
  { fps: FPS, framesPerPoint: FRAMES, seed: SEED, path: lossPath, gstreamer: gst, points },
  !quick && partial && 'partial',
);
if (!partial || quick) {
  await bench.plot('loss', {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: `Whole frames delivered vs random datagram loss in the kernel (${FRAMES} frames per point)`,
    data: { values: points.filter((point) => !point.burst) },
    facet: { column: { field: 'size', type: 'nominal', title: null } },
    spec: {
      width: 260,
      height: 240,
      mark: { type: 'line', point: true },
      encoding: {
        x: { field: 'lossPct', type: 'quantitative', title: 'datagram loss (%)' },
        y: {
          field: 'ratio',
          type: 'quantitative',
          title: 'frames delivered whole',
          scale: { domain: [0, 1] },
        },
        color: { field: 'arm', type: 'nominal', title: null, sort: ARMS.map((arm) => arm.name) },
      },
    },
  });
}
