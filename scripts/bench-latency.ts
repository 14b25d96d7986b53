/**
 * End-to-end latency over loopback at 640×360, 1280×720 and 1920×1080, measured with the capture
 * stamp udpcam puts inside each JPEG: a real `udpcam send --source dir:…` passing pre-encoded
 * JPEGs through at 30 fps → a receiver process (lib/latency-receiver.ts: Receiver + HttpServer) →
 * an MJPEG client (this process) reading /cameras/<id>/stream.mjpg.
 *
 * The dir source stamps a frame right after reading the file ("sender frame ready"), so
 *   (a) ready → receiver complete = COM segment, chunking, the sendmsg burst, loopback and the
 *       receiver reassembling the frame, up to the receiver's own stamp (before the sinks);
 *   (b) ready → MJPEG client = (a) + the HTTP write, TCP over loopback and this process's read of
 *       the part's last byte.
 * Each child's clock offset is measured by IPC ping-pong (lib/latency-clock.ts; the sender's via
 * lib/latency-sender-probe.ts, preloaded into the real CLI) and subtracted when it exceeds its
 * uncertainty. The probe and the receiver also stamp the first and last datagram of each frame:
 * pieces 1–5 of the "breakdown" add up to (b), the other two overlap them.
 *
 *   core 1  the receiver          core 0  udpcam send, and this process (the MJPEG client)
 *
 *   node build/scripts/bench-latency.js [--quick] [--sizes 640x360,1280x720] [--frames 300] [--cpu-prof]
 *                                       [--receiver-core 1]
 * Writes bench-results/latency.json and docs/perf/latency.svg. --cpu-prof profiles the sender and
 * the receiver into bench-results/profiles/latency/ (figures then go to latency-profiled.json, no
 * plot). Traffic stays on 127.0.0.1.
 */
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { text } from 'node:stream/consumers';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { TopLevelSpec } from 'vega-lite';
import { encodeTestJpeg, writeFrameDir } from './lib/frames.js';
import { sendDirArgs, UDPCAM_CLI } from './lib/gstreamer.js';
import { startBench } from './lib/harness.js';
import { ChildWorker } from './lib/ipc.js';
import { type ClockOffset, measureClockOffset } from './lib/latency-clock.js';
import { MjpegRecorder } from './lib/latency-mjpeg.js';
import type { ReceiverRecords } from './lib/latency-receiver.js';
import { histogramSteps, type LatencySummary, logHistogram, ms, summarize } from './lib/latency-stats.js';
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
/** The breakdown's pieces: 1–5 follow each other, so per frame they add up to ready → MJPEG client. */
const PIECES = {
  readyToFirstSend: '1 sender: ready → first datagram to dgram',
  sendBurst: '2 sender: sendmsg burst, first to dgram → last sent',
  lastSentToComplete: '3 last sent → frame complete at receiver',
  completeToWritten: '4 receiver: complete → written to MJPEG sockets',
  writtenToClient: '5 written → read by MJPEG client',
  firstSendToFirstChunk: 'first datagram to dgram → taken by receiver (in 2–3)',
  firstChunkToComplete: 'receiver: first datagram → complete (in 2–3)',
} as const;

/** The receiver's core; the sender and this process stay on core 0 (0 puts all three together). */
const receiverCore = bench.core(Number(values['receiver-core']));
const senderCore = bench.core(0);
const profileFlags = values['cpu-prof']
  ? ['--cpu-prof', '--cpu-prof-interval', '100', '--cpu-prof-dir', PROFILE_DIR]
  : [];

/** What the children answer (the sender's probe only clock pings); they exit when this process does. */
type Command = { type: 'clock' | 'camera' | 'collect' };

/** The offset to subtract from a child's stamps: its measured offset when that exceeds the uncertainty, else 0. */
function correction(clock: ClockOffset): number {
  return Math.abs(clock.offsetUs) > clock.uncertaintyUs ? clock.offsetUs : 0;
}

/** FILES_PER_SIZE differently seeded JPEGs of `width`×`height` that pass through in 100 chunks. */
function sourceJpegs(width: number, height: number): Buffer[] {
  return Array.from({ length: FILES_PER_SIZE }, (_, index) => {
    const seed = index + 1;
    // Noise 10 gives ~64 kB at 720p (quality 75); 1080p gets less so it passes through 100 chunks.
    let jpeg = encodeTestJpeg({ width, height, seed, noise: width * height > 1280 * 720 ? 8 : 10 });
    for (let quality = 70; jpeg.length > MAX_FRAME_BYTES - 200; quality -= 5)
      jpeg = encodeTestJpeg({ width, height, seed, noise: 8, quality });
    return jpeg;
  });
}

type SizeResult = Awaited<ReturnType<typeof measureSize>>;

async function measureSize(step: number, size: string, root: string) {
  const [width, height] = size.split('x').map(Number) as [number, number];
  const label = `[${step}/${sizes.length}] ${size}`;
  const jpegs = sourceJpegs(width, height);
  const dir = path.join(root, size);
  writeFrameDir(dir, jpegs, jpegs.length);
  const total = WARMUP_FRAMES + measuredFrames;
  const bytes = Math.max(...jpegs.map((jpeg) => jpeg.length));
  console.log(
    `${label}: ${FILES_PER_SIZE} JPEGs of ~${Math.round(bytes / 1000)} kB; ${total} frames at ${FPS} fps (first ${WARMUP_FRAMES} are warm-up)`,
  );

  const receiver = new ChildWorker<Command>(RECEIVER, [], receiverCore, { nodeFlags: profileFlags });
  const ready = await receiver.next<{ udpPort: number; httpPort: number }>(10_000);
  const receiverClock = await measureClockOffset(receiver);
  console.log(
    `${label}: receiver up (udp ${ready.udpPort}, http ${ready.httpPort}), clock offset ${receiverClock.offsetUs} ± ${receiverClock.uncertaintyUs} µs`,
  );

  const sends = new Map<number, { firstSendUs: number; lastSentUs: number }>();
  const sender = new ChildWorker<Command>(
    UDPCAM_CLI,
    sendDirArgs({ dir, fps: FPS, port: ready.udpPort, frames: total }),
    senderCore,
    {
      nodeFlags: [...profileFlags, '--import', PROBE],
      stdio: 'pipe',
      onMessage: (message) => {
        const sent = message as { type?: string; seq: number; firstSendUs: number; lastSentUs: number };
        if (sent?.type === 'sent') sends.set(sent.seq, sent);
      },
    },
  );
  const senderProcess = sender.process;
  const senderOut = text(senderProcess.stdout!);
  let senderErr = '';
  senderProcess.stderr!.on('data', (chunk: Buffer) => {
    senderErr += chunk;
  });
  const senderExit = once(senderProcess, 'exit') as Promise<[number | null, string | null]>;
  const loadBefore = os.loadavg();
  const senderClock = await measureClockOffset(sender, 20);
  console.log(
    `${label}: udpcam send running, clock offset ${senderClock.offsetUs} ± ${senderClock.uncertaintyUs} µs`,
  );

  // The MJPEG client joins once the receiver knows the camera.
  const request = receiver.request<{ camera: string }>({ type: 'camera' }, 5_000);
  const { camera } = await request.catch((error: unknown) => {
    throw new Error(`no frame reached the receiver within 5 s\n${senderErr}`, { cause: error });
  });
  const base = `http://127.0.0.1:${ready.httpPort}`;
  const client = await MjpegRecorder.connect(`${base}/cameras/${camera}/stream.mjpg`);
  console.log(`${label}: MJPEG client on /cameras/${camera}/stream.mjpg`);

  let second = 0;
  const progress = setInterval(
    () => console.log(`${label}: ${++second} s, ${client.parts.length} parts at the client`),
    1000,
  );
  const deadline = setTimeout(() => senderProcess.kill('SIGKILL'), (total / FPS) * 1000 + 15_000);
  const [code, signal] = await senderExit;
  clearInterval(progress);
  clearTimeout(deadline);
  if (signal === 'SIGKILL')
    throw new Error(`udpcam send did not finish ${total} frames in time\n${senderErr}`);
  if (code !== 0) throw new Error(`udpcam send exited with ${code}\n${senderErr}`);
  const final = (await senderOut)
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as { framesSent?: number; done?: boolean })
    .filter((record) => record.done)
    .at(-1);
  await sleep(300);
  const records = await receiver.request<ReceiverRecords>({ type: 'collect' });
  client.close();
  if (client.error) throw client.error;
  await receiver.close();

  // Everything on this process's clock.
  const senderShift = correction(senderClock);
  const receiverShift = correction(receiverClock);
  const readyToComplete: number[] = [];
  const pieces = Object.fromEntries(Object.keys(PIECES).map((key) => [key, [] as number[]]));
  const note = (piece: keyof typeof PIECES, us: number) => pieces[piece]!.push(us);
  const writtenAt = new Map<number, number>();
  for (const frame of records.frames) {
    if (frame.seq < WARMUP_FRAMES) continue;
    const completeUs = frame.receivedUs - receiverShift;
    writtenAt.set(frame.seq, frame.sinksDoneUs - receiverShift);
    readyToComplete.push(completeUs - (frame.captureUs - senderShift));
    const sent = sends.get(frame.seq);
    if (sent !== undefined) {
      note('readyToFirstSend', sent.firstSendUs - frame.captureUs);
      note('sendBurst', sent.lastSentUs - sent.firstSendUs);
      note('lastSentToComplete', completeUs - (sent.lastSentUs - senderShift));
      note('firstSendToFirstChunk', frame.firstChunkUs - receiverShift - (sent.firstSendUs - senderShift));
    }
    note('completeToWritten', frame.sinksDoneUs - frame.receivedUs);
    note('firstChunkToComplete', frame.receivedUs - frame.firstChunkUs);
  }
  const readyToClient: number[] = [];
  // The first part is the frame the server already had when the client connected: not live.
  for (const part of client.parts.slice(1)) {
    if (part.meta === undefined || part.meta.seq < WARMUP_FRAMES) continue;
    readyToClient.push(part.arrivalUs - (part.meta.captureUs - senderShift));
    const written = writtenAt.get(part.meta.seq);
    if (written !== undefined) note('writtenToClient', part.arrivalUs - written);
  }
  const receiverSummary = summarize(readyToComplete);
  const clientSummary = summarize(readyToClient);
  if (receiverSummary === undefined || clientSummary === undefined)
    throw new Error(
      `${size}: no frame measured (receiver ${readyToComplete.length}, client ${readyToClient.length})`,
    );
  const frameBytes = records.frames.reduce((sum, frame) => sum + frame.bytes, 0);
  const result = {
    size,
    frameBytes: Math.round(frameBytes / Math.max(1, records.frames.length)),
    frames: {
      sent: Math.max(0, (final?.framesSent ?? total) - WARMUP_FRAMES),
      complete: readyToComplete.length,
      client: readyToClient.length,
    },
    receiver: receiverSummary,
    client: clientSummary,
    /** Where (a) and (b) go, p50/p99 of each piece (µs). */
    breakdown: Object.fromEntries(
      Object.entries(PIECES).map(([key, piece]) => [piece, summarize(pieces[key]!)]),
    ),
    histogram: [
      ...logHistogram(readyToComplete).map((bin) => ({ stage: STAGES[0], ...bin })),
      ...logHistogram(readyToClient).map((bin) => ({ stage: STAGES[1], ...bin })),
    ],
    clock: {
      receiver: receiverClock,
      sender: senderClock,
      appliedUs: { receiver: receiverShift, sender: senderShift },
    },
    /** os.loadavg() (1, 5, 15 min) as the size starts and ends: how busy the machine was. */
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
    config: { header: { labelFontSize: 12, labelFontWeight: 'bold' } },
  } as TopLevelSpec;
}

async function main(): Promise<void> {
  // This process (the MJPEG client) shares core 0 with the sender; the receiver has core 1.
  pinSelf(senderCore);
  console.log(
    `latency: ${sizes.join(', ')}; ${measuredFrames} frames each at ${FPS} fps${bench.pin ? `; receiver on core ${receiverCore}, sender and client on core 0` : ' (not pinned)'}`,
  );
  const root = await mkdtemp(path.join(os.tmpdir(), 'udpcam-latency-'));
  const results: SizeResult[] = [];
  try {
    for (const [index, size] of sizes.entries()) results.push(await measureSize(index + 1, size, root));
  } finally {
    await rm(root, { recursive: true, force: true });
  }

  const row = (label: string, s: LatencySummary) => [label, ...[s.p50Us, s.p95Us, s.p99Us, s.maxUs].map(ms)];
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
  const target = results.find((r) => r.size === '1280x720');
  if (target) {
    const met = target.client.p50Us <= 1000 && target.client.p99Us <= 3000;
    console.log(
      `\n720p end to end: p50 ${ms(target.client.p50Us)} ms, p99 ${ms(target.client.p99Us)} ms — target p50 ≤ 1 ms, p99 ≤ 3 ms: ${met ? 'met' : 'missed'}`,
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
