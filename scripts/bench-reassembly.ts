/**
 * FrameAssembler throughput, in-process: no sockets, so this is the ceiling reassembly puts on a
 * receiver. Datagrams are built up front (one Buffer each, header and payload together, as dgram
 * delivers them) from ~60 kB JPEGs with image ids cycling 00..99, then pushed in a timed loop.
 * Simulated time advances as if the datagrams arrived back to back on a `--link-gbps` link, and
 * expire() runs every 50 ms of it, as the receiver's timer does.
 *
 * Scenarios, at packet sizes 1400 and 8000: one clean sender, 2% random loss, 8 interleaved
 * senders. Each run pushes a fixed number of datagrams (or stops at a time cap) into a fresh
 * assembler after a warm-up; the best and the median of the runs are reported.
 *
 *   node build/scripts/bench-reassembly.js [--quick] [--rounds 5] [--datagrams 5000000]
 *                                          [--max-run-ms 8000] [--link-gbps 10] [--only 'clean @ 1400']
 *
 * Prints figures and writes bench-results/reassembly.json; it asserts nothing.
 */
import { performance } from 'node:perf_hooks';
import { type AssembledFrame, FrameAssembler, HEADER_BYTES } from '@udpcam/protocol';
import { frameDatagrams, isFrameIntact, POOL_FRAMES, seededRandom, testFrames } from './lib/frames.js';
import { startBench } from './lib/harness.js';
import { count, fixed, median, table } from './lib/report.js';

/** The figure to compare against: 1400-byte datagrams per second on one core. */
const TARGET_DATAGRAMS_PER_SECOND = 1_000_000;
/** Laps of the pool with independent loss draws, so a lossy schedule does not repeat too soon. */
const LOSS_LAPS = 5;
/** Bytes of IPv4 + UDP headers on the simulated link, per datagram. */
const IP_UDP_BYTES = 28;
/** How often (simulated ms) expire() is called; the receiver's default interval. */
const EXPIRE_INTERVAL_MS = 50;
/** Datagrams between two looks at the wall clock for the time cap. */
const CLOCK_CHECK_EVERY = 16_384;

interface Scenario {
  name: string;
  packetSize: number;
  senders: number;
  lossRate: number;
}

const bench = startBench('reassembly', {
  datagrams: { type: 'string' },
  'max-run-ms': { type: 'string' },
  'link-gbps': { type: 'string' },
  only: { type: 'string' },
});
const flags = bench.flags;
const quick = bench.quick;
/** --rounds: timed runs per scenario. */
const runs = bench.rounds(5, 2);
const datagramsPerRun = bench.number('datagrams', 5_000_000, 200_000);
const warmupDatagrams = Math.min(datagramsPerRun, quick ? 100_000 : 1_000_000);
const maxRunMs = bench.number('max-run-ms', 8_000, 1_000);
const linkGbps = bench.number('link-gbps', 10);

const label = (scenario: Scenario) => `${scenario.name} @ ${scenario.packetSize}`;
const SCENARIOS: Scenario[] = [1400, 8000]
  .flatMap((packetSize) => [
    { name: 'clean', packetSize, senders: 1, lossRate: 0 },
    { name: '2% loss', packetSize, senders: 1, lossRate: 0.02 },
    { name: '8 senders', packetSize, senders: 8, lossRate: 0 },
  ])
  .filter((scenario) => flags.only === undefined || label(scenario).includes(flags.only));
if (SCENARIOS.length === 0) bench.fail(`--only ${flags.only} matches no scenario`);

/**
 * Lays out a scenario's datagrams: each sender sends the pool of frames in order (its own id
 * cycle, starting at a different frame), the senders' datagrams interleave one by one, and with
 * loss each datagram is left out with probability `lossRate`.
 */
function buildWorkload(frames: readonly Buffer[], scenario: Scenario) {
  const byFrame = frames.map((frame, index) => frameDatagrams(frame, index % 100, scenario.packetSize));
  const laps = scenario.lossRate > 0 ? LOSS_LAPS : 1;
  const random = seededRandom(0x5eed + scenario.packetSize);
  const streams = Array.from({ length: scenario.senders }, (_, sender) =>
    Array.from({ length: laps * frames.length }, (_, index) => {
      // Senders start 100 frames apart (any multiple of 100 keeps each sender's ids cycling).
      const chunks = byFrame[(index + sender * 100) % frames.length]!;
      const frame = index * scenario.senders + sender;
      return chunks.map((datagram, chunkId) => ({ datagram, isLast: chunkId === chunks.length - 1, frame }));
    }).flat(),
  );
  const datagrams: Buffer[] = [];
  const senders: string[] = [];
  const wholeFrameEnds: number[] = [];
  const lostFrames = new Set<number>();
  const keys = streams.map((_, sender) => `127.0.0.1:${50_000 + sender}`);
  for (let at = 0; at < streams[0]!.length; at++) {
    for (let sender = 0; sender < streams.length; sender++) {
      const item = streams[sender]![at]!;
      if (scenario.lossRate > 0 && random() < scenario.lossRate) {
        lostFrames.add(item.frame);
        continue;
      }
      datagrams.push(item.datagram);
      senders.push(keys[sender]!);
      // A frame's last datagram comes after all its others: whether one was lost is known here.
      wholeFrameEnds.push(item.isLast && !lostFrames.has(item.frame) ? 1 : 0);
    }
  }
  return {
    datagrams,
    senders,
    /** 1 at the last datagram of each frame whose datagrams all survived the loss draw. */
    wholeFrameEnds: Uint8Array.from(wholeFrameEnds),
    wholeFrames: wholeFrameEnds.reduce((sum, end) => sum + end, 0),
    frames: frames.length * laps * scenario.senders,
    datagramsPerFrame: byFrame.reduce((sum, chunks) => sum + chunks.length, 0) / byFrame.length,
  };
}

/** The datagrams of one scenario in push order, with who sent each. */
type Workload = ReturnType<typeof buildWorkload>;

/**
 * Pushes `limit` datagrams (or until `maxMs` passed) into a fresh assembler, handing each frame
 * that comes out to `onFrame`; the timed loop.
 */
function runOnce(
  workload: Workload,
  limit: number,
  maxMs: number,
  onFrame?: (frame: AssembledFrame) => void,
) {
  const assembler = new FrameAssembler();
  const { datagrams, senders } = workload;
  const length = datagrams.length;
  const msPerByte = 8 / (linkGbps * 1e6);
  let now = 0;
  let nextExpire = EXPIRE_INTERVAL_MS;
  let at = 0;
  let laps = 0;
  let pushed = 0;
  let wireBytes = 0;
  let framesComplete = 0;
  let stoppedByTimeCap = false;
  const started = performance.now();
  const deadline = started + maxMs;
  while (pushed < limit) {
    const end = Math.min(limit, pushed + CLOCK_CHECK_EVERY);
    for (; pushed < end; pushed++) {
      const datagram = datagrams[at]!;
      const sender = senders[at]!;
      if (++at === length) {
        at = 0;
        laps++;
      }
      now += (datagram.length + IP_UDP_BYTES) * msPerByte;
      if (now >= nextExpire) {
        assembler.expire(now);
        nextExpire = now + EXPIRE_INTERVAL_MS;
      }
      wireBytes += datagram.length;
      const frame = assembler.push(datagram, sender, now);
      if (frame !== undefined) {
        framesComplete++;
        onFrame?.(frame);
      }
    }
    if (performance.now() > deadline) {
      stoppedByTimeCap = pushed < limit;
      break;
    }
  }
  const ms = performance.now() - started;

  let framesExpected = laps * workload.wholeFrames;
  for (let index = 0; index < at; index++) framesExpected += workload.wholeFrameEnds[index]!;
  let framesDropped = 0;
  for (const [, stats] of assembler.senders()) framesDropped += stats.framesDropped;
  const seconds = ms / 1000;
  return {
    datagrams: pushed,
    ms,
    datagramsPerSecond: pushed / seconds,
    payloadMBPerSecond: (wireBytes - pushed * HEADER_BYTES) / 1e6 / seconds,
    framesPerSecond: framesComplete / seconds,
    nsPerDatagram: (ms * 1e6) / pushed,
    framesComplete,
    /** Frames whose every datagram was pushed in this run (what a perfect assembler emits). */
    framesExpected,
    framesDropped,
    stoppedByTimeCap,
  };
}
type Run = ReturnType<typeof runOnce>;

/**
 * Untimed: pushes one lap of the workload and checks every frame that comes out against the pool
 * (isFrameIntact), so a fast assembler cannot hide a wrong one.
 */
function verify(workload: Workload, pool: readonly Buffer[]): { frames: number; corrupt: number } {
  let corrupt = 0;
  const { framesComplete } = runOnce(
    workload,
    workload.datagrams.length,
    Number.POSITIVE_INFINITY,
    (frame) => {
      if (!isFrameIntact(frame.data, pool)) corrupt++;
    },
  );
  return { frames: framesComplete, corrupt };
}

function describe(run: Run): string {
  return (
    `${count(run.datagramsPerSecond).padStart(10)} datagrams/s  ${fixed(run.nsPerDatagram).padStart(7)} ns/datagram  ` +
    `${fixed(run.payloadMBPerSecond, 0).padStart(6)} MB/s  ${count(run.framesPerSecond).padStart(7)} frames/s  ` +
    `${count(run.datagrams)} datagrams in ${fixed(run.ms, 0)} ms${run.stoppedByTimeCap ? ' (time cap)' : ''}`
  );
}

console.log(
  `bench-reassembly${quick ? ' --quick' : ''}: ${runs} runs x ${count(datagramsPerRun)} datagrams ` +
    `(cap ${maxRunMs} ms), simulated ${linkGbps} Gbit/s link, expire() every ${EXPIRE_INTERVAL_MS} ms`,
);
const encodeStarted = performance.now();
const frames = testFrames(POOL_FRAMES);
const sizes = frames.map((frame) => frame.length);
console.log(
  `frames: ${POOL_FRAMES}, ${count(Math.min(...sizes))}..${count(Math.max(...sizes))} bytes ` +
    `(1280x720 JPEGs from jpeg-js at q75, with udpcam meta), ` +
    `encoded in ${fixed(performance.now() - encodeStarted, 0)} ms`,
);

const results = [];
for (const scenario of SCENARIOS) {
  const workload = buildWorkload(frames, scenario);
  console.log(
    `\n[${label(scenario)}] ${count(workload.datagrams.length)} datagrams per lap, ` +
      `${fixed(workload.datagramsPerFrame, 1)} per frame, ${scenario.senders} sender(s), ` +
      `${fixed((100 * workload.wholeFrames) / workload.frames, 1)}% of frames whole`,
  );
  const checked = verify(workload, frames);
  console.log(
    `  checked  ${count(checked.frames)} frames (one pass of the workload) against the frames sent: ` +
      `${checked.corrupt === 0 ? 'all intact' : `${count(checked.corrupt)} CORRUPT`}` +
      `${checked.frames === workload.wholeFrames ? '' : ` (${count(workload.wholeFrames)} expected)`}`,
  );
  const warmup = runOnce(workload, warmupDatagrams, maxRunMs);
  console.log(`  warm-up  ${describe(warmup)}`);
  const measured: Run[] = [];
  for (let index = 0; index < runs; index++) {
    const run = runOnce(workload, datagramsPerRun, maxRunMs);
    measured.push(run);
    console.log(`  run ${index + 1}/${runs} ${describe(run)}`);
    if (run.framesComplete !== run.framesExpected) {
      console.log(
        `    note: ${count(run.framesComplete)} frames complete, ${count(run.framesExpected)} expected ` +
          `(${count(run.framesDropped)} dropped)`,
      );
    }
  }
  const best = measured.reduce((a, b) => (b.datagramsPerSecond > a.datagramsPerSecond ? b : a));
  results.push({
    ...scenario,
    datagramsPerFrame: workload.datagramsPerFrame,
    wholeFramesPercent: (100 * workload.wholeFrames) / workload.frames,
    checked,
    best,
    median: {
      datagramsPerSecond: median(measured.map((run) => run.datagramsPerSecond)),
      payloadMBPerSecond: median(measured.map((run) => run.payloadMBPerSecond)),
      framesPerSecond: median(measured.map((run) => run.framesPerSecond)),
      nsPerDatagram: median(measured.map((run) => run.nsPerDatagram)),
    },
    runs: measured,
  });
}

console.log(`\nFrameAssembler throughput, one core (best of ${runs}; median in brackets)\n`);
console.log(
  table(
    ['scenario', 'packet', 'datagrams/s', '(median)', 'ns/datagram', 'MB/s payload', 'frames/s', 'complete'],
    results.map((result) => [
      result.name,
      String(result.packetSize),
      count(result.best.datagramsPerSecond),
      `(${count(result.median.datagramsPerSecond)})`,
      fixed(result.best.nsPerDatagram),
      fixed(result.best.payloadMBPerSecond, 0),
      count(result.best.framesPerSecond),
      `${fixed((100 * result.best.framesComplete) / Math.max(1, result.best.framesExpected), 1)}%`,
    ]),
  ),
);
const clean1400 = results.find((result) => result.name === 'clean' && result.packetSize === 1400);
const ratio = clean1400 ? clean1400.best.datagramsPerSecond / TARGET_DATAGRAMS_PER_SECOND : undefined;
if (clean1400 && ratio !== undefined) {
  console.log(
    `\ntarget: >= ${count(TARGET_DATAGRAMS_PER_SECOND)} datagrams/s of 1400 bytes; clean @ 1400 best ` +
      `${count(clean1400.best.datagramsPerSecond)} = ${fixed(100 * ratio, 0)}% of target (${ratio >= 1 ? 'met' : 'missed'})`,
  );
}
console.log('complete = frames emitted / frames whose every datagram was pushed in the run');

await bench.save({
  options: {
    runs,
    datagramsPerRun,
    warmupDatagrams,
    maxRunMs,
    linkGbps,
    only: flags.only,
    poolFrames: POOL_FRAMES,
    frameBytes: median(sizes),
    expireIntervalMs: EXPIRE_INTERVAL_MS,
  },
  target: {
    datagramsPerSecond: TARGET_DATAGRAMS_PER_SECOND,
    packetSize: 1400,
    met: ratio === undefined ? undefined : ratio >= 1,
  },
  scenarios: results,
});
