/**
 * End-to-end latency over loopback, measured with the capture stamp udpcam puts inside each JPEG:
 * a real `udpcam send --source dir:…` passing pre-encoded JPEGs through at 30 fps → a receiver
 * process (Receiver + HttpServer, lib/latency-receiver.ts) → an MJPEG client (this process) reading
 * /cameras/<id>/stream.mjpg, at 640×360, 1280×720 and 1920×1080.
 *
 * What the two intervals measure. The dir source stamps a frame (ts=) right after it has read (and
 * checked) the file, before the sender adds the COM segment, cuts the frame into datagrams and sends them: that
 * stamp is "sender frame ready". So
 *   (a) ready → receiver complete  = stamp + chunking + the sender's sendmsg burst + loopback +
 *       the receiver's event loop taking every datagram and reassembling the frame, ending at the
 *       receiver's own stamp when the frame completes (ReceivedFrame.receivedUs, before the sinks);
 *   (b) ready → MJPEG client       = (a) + the HTTP server writing the part to the socket + TCP
 *       over loopback + this process reading it, ending at the 'data' event that delivers the
 *       part's last byte.
 * It does not include reading the file (nor, for a camera, exposure and readout).
 *
 * Clocks: all three processes stamp with performance.timeOrigin + performance.now(). Each child's
 * offset from this process is measured by IPC ping-pong (the sender's through
 * lib/latency-sender-probe.ts, preloaded with node --import into the real CLI) and subtracted when
 * it exceeds its own uncertainty (half the fastest round trip); the JSON records both.
 *
 * Where the time goes ("breakdown"): the probe also notes when the sender hands each frame's first
 * datagram to dgram and when the last one's send has completed; the receiver notes the first
 * datagram it takes and when it has written the frame to the MJPEG sockets. Pieces 1–5 follow each
 * other, so per frame they add up to (b); the other two overlap them. The machine's load average
 * is recorded with each size.
 *
 *   core 1  the receiver          core 0  udpcam send, and this process (the MJPEG client)
 *
 *   node build/scripts/bench-latency.js [--quick] [--sizes 640x360,1280x720] [--frames 300] [--cpu-prof]
 *                                       [--receiver-core 1]
 * Writes bench-results/latency.json and docs/perf/latency.svg. --cpu-prof profiles the sender and the receiver into
 * bench-results/profiles/latency/ (figures then go to latency-profiled.json, no plot). Traffic
 * stays on 127.0.0.1.
 */
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { TopLevelSpec } from 'vega-lite';
import { encodeTestJpeg } from './lib/frames.js';
import { sendDirArgs, UDPCAM_CLI } from './lib/gstreamer.js';
import { startBench } from './lib/harness.js';
import { ChildWorker, type ChildWorkerOptions } from './lib/ipc.js';
import { type ClockOffset, measureClockOffset } from './lib/latency-clock.js';
import { MjpegRecorder } from './lib/latency-mjpeg.js';
import type { ReceiverRecords } from './lib/latency-receiver.js';
import {
  type HistogramBin,
  histogramSteps,
  type LatencySummary,
  logHistogram,
  ms,
  summarize,
} from './lib/latency-stats.js';
import { pinSelf } from './lib/pin.js';
import { count, sleep, table } from './lib/report.js';

const bench = startBench('latency', {
  sizes: { type: 'string' },
  frames: { type: 'string' },
  'cpu-prof': { type: 'boolean', default: false },
  'receiver-core': { type: 'string', default: '1' },
});
const values = bench.flags;
const quick = bench.quick;
const FPS = 30;
const sizes = bench.list('sizes', '640x360,1280x720,1920x1080', '640x360,1280x720');
/** Measured frames per size, after the warm-up ones. */
const measuredFrames = bench.number('frames', 600, 60);
for (const size of sizes) if (!/^\d+x\d+$/.test(size)) bench.fail(`--sizes takes WxH,WxH…, got ${size}`);
if (!Number.isInteger(measuredFrames) || measuredFrames > 10_000)
  bench.fail(`--frames takes 1..10000, got ${values.frames}`);
/** Frames left out at the start (10 s): JIT warm-up, the clock pings, the MJPEG client connecting. */
const WARMUP_FRAMES = quick ? 10 : 300;
/** Files per size in the source folder (differently seeded, so consecutive frames differ). */
const FILES_PER_SIZE = 3;
/** The default --packet_size and its 100-chunk limit: a larger JPEG would be re-encoded, not passed through. */
const MAX_FRAME_BYTES = 100 * 1400;

const RECEIVER = fileURLToPath(new URL('./lib/latency-receiver.js', import.meta.url));
const PROBE = pathToFileURL(fileURLToPath(new URL('./lib/latency-sender-probe.js', import.meta.url))).href;
const PROFILE_DIR = path.join(bench.out, 'profiles', 'latency');
const STAGES = ['ready → receiver complete', 'ready → MJPEG client'] as const;

/** The receiver's core; the sender and this process stay on core 0 (0 puts all three together). */
const receiverCore = bench.core(Number(values['receiver-core']));
const senderCore = bench.core(0);
const profileFlags = values['cpu-prof']
  ? ['--cpu-prof', '--cpu-prof-interval', '100', '--cpu-prof-dir', PROFILE_DIR]
  : [];

/** What the children answer: the receiver all three, the sender's probe only clock pings. */
type Command = { type: 'clock' } | { type: 'collect' } | { type: 'exit' };
/** Children still running, killed if the bench fails half-way. */
const running = new Set<ChildProcess>();

/** `node script args` on `core` (undefined: unpinned), profiled with --cpu-prof. */
function startNode(
  script: string,
  args: string[],
  core: number | undefined,
  options: ChildWorkerOptions = {},
) {
  const child = new ChildWorker<Command>(script, args, core, {
    ...options,
    nodeFlags: [...profileFlags, ...(options.nodeFlags ?? [])],
  });
  running.add(child.process);
  child.process.once('exit', () => running.delete(child.process));
  return child;
}

/** `promise`'s value, or undefined if it takes longer than `ms` (the timer does not outlive it). */
async function within<T>(promise: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<undefined>((resolve) => {
    timer = setTimeout(resolve, ms, undefined);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Asks for the clock until the child answers (its listener may not be installed yet). */
async function waitForClock(peer: ChildWorker<Command>): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      await peer.request({ type: 'clock' }, 500);
      return;
    } catch (error) {
      if (attempt >= 20) throw error;
    }
  }
}

/** The offset to subtract from a child's stamps: its measured offset when that exceeds the uncertainty, else 0. */
function correction(clock: ClockOffset): number {
  return Math.abs(clock.offsetUs) > clock.uncertaintyUs ? clock.offsetUs : 0;
}

/** Writes FILES_PER_SIZE JPEGs of `width`×`height` into a fresh folder; returns it and their size. */
async function sourceFolder(
  root: string,
  width: number,
  height: number,
): Promise<{ dir: string; bytes: number }> {
  const dir = path.join(root, `${width}x${height}`);
  await mkdir(dir);
  let bytes = 0;
  for (let seed = 1; seed <= FILES_PER_SIZE; seed++) {
    // Noise 10 gives ~64 kB at 720p (quality 75); 1080p gets less so it passes through 100 chunks.
    let jpeg = encodeTestJpeg({ width, height, seed, noise: width * height > 1280 * 720 ? 8 : 10 });
    for (let quality = 70; jpeg.length > MAX_FRAME_BYTES - 200; quality -= 5)
      jpeg = encodeTestJpeg({ width, height, seed, noise: 8, quality });
    await writeFile(path.join(dir, `frame${seed}.jpg`), jpeg);
    bytes = Math.max(bytes, jpeg.length);
  }
  return { dir, bytes };
}

interface SizeResult {
  size: string;
  frameBytes: number;
  frames: { sent: number; complete: number; client: number };
  receiver: LatencySummary;
  client: LatencySummary;
  /** Where (a) and (b) go, p50/p99 of each piece (µs). */
  breakdown: Record<string, LatencySummary | undefined>;
  histogram: (HistogramBin & { stage: string })[];
  clock: { receiver: ClockOffset; sender: ClockOffset; appliedUs: { receiver: number; sender: number } };
  /** os.loadavg() (1, 5, 15 min) as the size starts and ends: how busy the machine was. */
  loadAverage: { before: number[]; after: number[] };
  receiverCpuUs: number;
  receiverRssBytes: number;
}

async function measureSize(step: number, size: string, root: string): Promise<SizeResult> {
  const [width, height] = size.split('x').map(Number) as [number, number];
  const label = `[${step}/${sizes.length}] ${size}`;
  const { dir, bytes } = await sourceFolder(root, width, height);
  const total = WARMUP_FRAMES + measuredFrames;
  console.log(
    `${label}: ${FILES_PER_SIZE} JPEGs of ~${Math.round(bytes / 1000)} kB; ${total} frames at ${FPS} fps (first ${WARMUP_FRAMES} are warm-up)`,
  );

  const receiver = startNode(RECEIVER, [], receiverCore);
  const ready = await receiver.next<{ udpPort: number; httpPort: number }>(10_000);
  const receiverClock = await measureClockOffset(receiver);
  console.log(
    `${label}: receiver up (udp ${ready.udpPort}, http ${ready.httpPort}), clock offset ${receiverClock.offsetUs} ± ${receiverClock.uncertaintyUs} µs`,
  );

  const sends = new Map<number, { firstSendUs: number; lastSentUs: number }>();
  const sender = startNode(
    UDPCAM_CLI,
    sendDirArgs({ dir, fps: FPS, port: ready.udpPort, frames: total }),
    senderCore,
    {
      nodeFlags: ['--import', PROBE],
      stdio: 'pipe',
      onMessage: (message) => {
        const sent = message as { type?: string; seq: number; firstSendUs: number; lastSentUs: number };
        if (sent?.type === 'sent') sends.set(sent.seq, sent);
      },
    },
  );
  const senderProcess = sender.process;
  let senderOut = '';
  let senderErr = '';
  senderProcess.stdout!.on('data', (chunk: Buffer) => {
    senderOut += chunk;
  });
  senderProcess.stderr!.on('data', (chunk: Buffer) => {
    senderErr += chunk;
  });
  const senderExit = once(senderProcess, 'exit') as Promise<[number | null, string | null]>;
  const loadBefore = os.loadavg();
  await waitForClock(sender);
  const senderClock = await measureClockOffset(sender, 20);
  console.log(
    `${label}: udpcam send running, clock offset ${senderClock.offsetUs} ± ${senderClock.uncertaintyUs} µs`,
  );

  // The MJPEG client joins once the receiver knows the camera.
  const base = `http://127.0.0.1:${ready.httpPort}`;
  let camera: string | undefined;
  for (let tries = 0; camera === undefined; tries++) {
    if (tries > 250) throw new Error(`no frame reached the receiver within 5 s\n${senderErr}`);
    const cameras = (await (await fetch(`${base}/api/cameras`)).json()) as { id: string }[];
    camera = cameras[0]?.id;
    if (camera === undefined) await sleep(20);
  }
  const client = await MjpegRecorder.connect(`${base}/cameras/${camera}/stream.mjpg`);
  console.log(`${label}: MJPEG client on /cameras/${camera}/stream.mjpg`);

  const deadline = performance.now() + (total / FPS) * 1000 + 15_000;
  let exited: [number | null, string | null] | undefined;
  senderExit.then((result) => {
    exited = result;
  });
  for (let second = 1; exited === undefined; second++) {
    if (performance.now() > deadline) {
      senderProcess.kill('SIGKILL');
      throw new Error(`udpcam send did not finish ${total} frames in time\n${senderErr}`);
    }
    await within(senderExit, 1000);
    if (exited === undefined)
      process.stdout.write(`${label}: ${second} s, ${client.parts.length} parts at the client\n`);
  }
  const [code] = exited;
  if (code !== 0) throw new Error(`udpcam send exited with ${code}\n${senderErr}`);
  const statusLines = senderOut
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as { framesSent?: number; done?: boolean });
  const final = statusLines.filter((record) => record.done).at(-1);
  await sleep(300);
  const records = await receiver.request<ReceiverRecords>({ type: 'collect' });
  client.close();
  if (client.error) throw client.error;
  await receiver.close();

  // Everything on this process's clock.
  const senderShift = correction(senderClock);
  const receiverShift = correction(receiverClock);
  const readyToComplete: number[] = [];
  // Pieces 1–5 follow each other: per frame they add up to ready → MJPEG client.
  const pieces = {
    readyToFirstSend: [] as number[],
    sendBurst: [] as number[],
    lastSentToComplete: [] as number[],
    completeToWritten: [] as number[],
    writtenToClient: [] as number[],
    firstSendToFirstChunk: [] as number[],
    firstChunkToComplete: [] as number[],
  };
  const writtenAt = new Map<number, number>();
  for (let i = 0; i < records.seq.length; i++) {
    const seq = records.seq[i]!;
    if (seq < WARMUP_FRAMES) continue;
    const readyUs = records.captureUs[i]! - senderShift;
    const completeUs = records.receivedUs[i]! - receiverShift;
    writtenAt.set(seq, records.sinksDoneUs[i]! - receiverShift);
    readyToComplete.push(completeUs - readyUs);
    const sent = sends.get(seq);
    if (sent !== undefined) {
      pieces.readyToFirstSend.push(sent.firstSendUs - records.captureUs[i]!);
      pieces.sendBurst.push(sent.lastSentUs - sent.firstSendUs);
      pieces.lastSentToComplete.push(completeUs - (sent.lastSentUs - senderShift));
      pieces.firstSendToFirstChunk.push(
        records.firstChunkUs[i]! - receiverShift - (sent.firstSendUs - senderShift),
      );
    }
    pieces.completeToWritten.push(records.sinksDoneUs[i]! - records.receivedUs[i]!);
    pieces.firstChunkToComplete.push(records.receivedUs[i]! - records.firstChunkUs[i]!);
  }
  const readyToClient: number[] = [];
  // The first part is the frame the server already had when the client connected: not live.
  for (const part of client.parts.slice(1)) {
    if (part.meta === undefined || part.meta.seq < WARMUP_FRAMES) continue;
    readyToClient.push(part.arrivalUs - (part.meta.captureUs - senderShift));
    const written = writtenAt.get(part.meta.seq);
    if (written !== undefined) pieces.writtenToClient.push(part.arrivalUs - written);
  }
  const receiverSummary = summarize(readyToComplete);
  const clientSummary = summarize(readyToClient);
  if (receiverSummary === undefined || clientSummary === undefined)
    throw new Error(
      `${size}: no frame measured (receiver ${readyToComplete.length}, client ${readyToClient.length})`,
    );
  const result: SizeResult = {
    size,
    frameBytes: Math.round(records.bytes.reduce((sum, b) => sum + b, 0) / Math.max(1, records.bytes.length)),
    frames: {
      sent: Math.max(0, (final?.framesSent ?? total) - WARMUP_FRAMES),
      complete: readyToComplete.length,
      client: readyToClient.length,
    },
    receiver: receiverSummary,
    client: clientSummary,
    breakdown: {
      '1 sender: ready → first datagram to dgram': summarize(pieces.readyToFirstSend),
      '2 sender: sendmsg burst, first to dgram → last sent': summarize(pieces.sendBurst),
      '3 last sent → frame complete at receiver': summarize(pieces.lastSentToComplete),
      '4 receiver: complete → written to MJPEG sockets': summarize(pieces.completeToWritten),
      '5 written → read by MJPEG client': summarize(pieces.writtenToClient),
      'first datagram to dgram → taken by receiver (in 2–3)': summarize(pieces.firstSendToFirstChunk),
      'receiver: first datagram → complete (in 2–3)': summarize(pieces.firstChunkToComplete),
    },
    histogram: [
      ...logHistogram(readyToComplete).map((bin) => ({ stage: STAGES[0], ...bin })),
      ...logHistogram(readyToClient).map((bin) => ({ stage: STAGES[1], ...bin })),
    ],
    clock: {
      receiver: receiverClock,
      sender: senderClock,
      appliedUs: { receiver: receiverShift, sender: senderShift },
    },
    loadAverage: { before: loadBefore, after: os.loadavg() },
    receiverCpuUs: records.cpuUs,
    receiverRssBytes: records.rssBytes,
  };
  console.log(
    `${label}: sent ${result.frames.sent}, complete ${result.frames.complete}, at the client ${result.frames.client}; ` +
      `receiver p50 ${ms(receiverSummary.p50Us)} ms p99 ${ms(receiverSummary.p99Us)} ms, ` +
      `client p50 ${ms(clientSummary.p50Us)} ms p99 ${ms(clientSummary.p99Us)} ms`,
  );
  return result;
}

/** Histogram of both stages, one panel per stage, one line per size; log latency axis. */
function plotSpec(results: readonly SizeResult[]): TopLevelSpec {
  const rows: Record<string, unknown>[] = results
    .flatMap(({ size, histogram }) =>
      STAGES.flatMap((stage) =>
        histogramSteps(
          histogram.filter((bin) => bin.stage === stage),
          { size, stage },
        ),
      ),
    )
    // Points are drawn in this order (two share the first bin's x).
    .map((row, order) => ({ ...row, order }));
  for (const stage of STAGES) {
    rows.push({ stage, targetMs: 1, target: 'target p50 (720p, end to end)' });
    rows.push({ stage, targetMs: 3, target: 'target p99 (720p, end to end)' });
  }
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: {
      text: `Latency over loopback, ${FPS} fps passthrough (udpcam send → receiver → MJPEG client)`,
      subtitle:
        'measured with the capture stamp inside each JPEG; 10 log bins per decade; dashed: the 720p end-to-end target, p50 ≤ 1 ms and p99 ≤ 3 ms',
    },
    data: { values: rows },
    facet: { column: { field: 'stage', type: 'nominal', title: null, sort: [...STAGES] } },
    spec: {
      width: 380,
      height: 240,
      layer: [
        {
          transform: [{ filter: 'isValid(datum.ms)' }],
          mark: { type: 'line', interpolate: 'step-after', strokeWidth: 2 },
          encoding: {
            x: {
              field: 'ms',
              type: 'quantitative',
              scale: { type: 'log' },
              axis: { tickCount: 8 },
              title: 'latency (ms, log scale)',
            },
            y: { field: 'percent', type: 'quantitative', title: '% of frames' },
            color: { field: 'size', type: 'nominal', sort: results.map((r) => r.size), title: 'frame size' },
            order: { field: 'order', type: 'quantitative' },
          },
        },
        {
          transform: [{ filter: 'isValid(datum.targetMs)' }],
          mark: { type: 'rule', strokeDash: [4, 3], color: '#888' },
          encoding: {
            x: { field: 'targetMs', type: 'quantitative' },
            tooltip: { field: 'target' },
          },
        },
      ],
    },
    resolve: { scale: { x: 'shared' } },
    config: { header: { labelFontSize: 12, labelFontWeight: 'bold' } },
  } as TopLevelSpec;
}

async function main(): Promise<void> {
  // This process (the MJPEG client) shares core 0 with the sender; the receiver has core 1.
  pinSelf(senderCore);
  if (values['cpu-prof']) await mkdir(PROFILE_DIR, { recursive: true });
  console.log(
    `latency: ${sizes.join(', ')}; ${measuredFrames} frames each at ${FPS} fps${bench.pin ? `; receiver on core ${receiverCore}, sender and client on core 0` : ' (not pinned)'}`,
  );
  const root = await mkdtemp(path.join(os.tmpdir(), 'udpcam-latency-'));
  const results: SizeResult[] = [];
  try {
    for (const [index, size] of sizes.entries()) results.push(await measureSize(index + 1, size, root));
  } finally {
    for (const child of running) child.kill('SIGKILL');
    await rm(root, { recursive: true, force: true });
  }

  const row = (label: string, s: LatencySummary) => [
    label,
    ms(s.p50Us),
    ms(s.p95Us),
    ms(s.p99Us),
    ms(s.maxUs),
  ];
  console.log(`\nLatency (ms) over loopback at ${FPS} fps, passthrough; capture stamp → …`);
  console.log(
    table(
      ['size / stage', 'p50', 'p95', 'p99', 'max', 'frames'],
      results.flatMap((r) => [
        [...row(`${r.size} → receiver complete`, r.receiver), `${r.frames.complete}/${r.frames.sent}`],
        [...row(`${r.size} → MJPEG client`, r.client), `${r.frames.client}/${r.frames.sent}`],
      ]),
    ),
  );
  console.log('\nWhere it goes (ms, p50 / p99)');
  const pieces = Object.keys(results[0]!.breakdown);
  console.log(
    table(
      ['piece', ...results.map((r) => r.size)],
      pieces.map((piece) => [
        piece,
        ...results.map((r) => {
          const s = r.breakdown[piece];
          return s ? `${ms(s.p50Us)} / ${ms(s.p99Us)}` : '-';
        }),
      ]),
    ),
  );
  console.log(
    `\nclock offsets (µs, receiver / sender vs this process): ${results
      .map(
        (r) =>
          `${r.size} ${r.clock.receiver.offsetUs}±${r.clock.receiver.uncertaintyUs} / ${r.clock.sender.offsetUs}±${r.clock.sender.uncertaintyUs}`,
      )
      .join('; ')}`,
  );
  const target = results.find((r) => r.size === '1280x720');
  if (target) {
    const met = target.client.p50Us <= 1000 && target.client.p99Us <= 3000;
    console.log(
      `720p end to end: p50 ${ms(target.client.p50Us)} ms, p99 ${ms(target.client.p99Us)} ms — target p50 ≤ 1 ms, p99 ≤ 3 ms: ${met ? 'met' : 'missed'}`,
    );
  }

  // Profiled processes are slower: their figures go to a file of their own.
  await bench.save(
    {
      fps: FPS,
      warmupFrames: WARMUP_FRAMES,
      cores: bench.pin ? { receiver: receiverCore, sender: senderCore, client: senderCore } : undefined,
      stages: {
        [STAGES[0]]:
          "dir source's capture stamp (after reading the file) → the receiver's stamp when the frame completes",
        [STAGES[1]]: "the same stamp → the MJPEG client's 'data' event carrying the part's last byte",
      },
      sizes: results.map(({ clock: _clock, ...rest }) => rest),
      clock: {
        method:
          'IPC ping-pong; offset = child clock − midpoint of send and reply, from the fastest round trip; applied when |offset| > uncertainty (half that round trip)',
        perSize: results.map((r) => ({ size: r.size, ...r.clock })),
      },
    },
    values['cpu-prof'] && 'profiled',
  );
  if (!values['cpu-prof']) await bench.plot('latency', plotSpec(results));
  console.log(`frames measured: ${count(results.reduce((sum, r) => sum + r.frames.client, 0))}`);
}

await main();
