/**
 * The cost of parity (docs/protocol.md#parity), in-process: building a frame's m parity
 * datagrams on the sender (`parityDatagrams`, what `udpcam send --fec` does per frame), and
 * rebuilding lost data chunks on the receiver (`FrameAssembler.push` of a frame with 0..m data
 * chunks missing, so the figure includes reassembly; recovery only runs when a chunk is missing).
 * Frames: 360p/720p/1080p-sized (k = 12, 41, 79 chunks of 1400 bytes, as in the goal) at --fec 0.1 and 0.2.
 *
 *   node build/scripts/bench-fec.js [--quick] [--rounds 9]
 * Prints figures and writes bench-results/fec.json; asserts nothing.
 */
import { chunkFrame, FrameAssembler, parityCount, parityDatagrams } from '@udpcam/protocol';
import { seededRandom } from './lib/frames.js';
import { startBench } from './lib/harness.js';
import { fixed, median, table } from './lib/report.js';

const bench = startBench('fec');
const PACKET_SIZE = 1400;
/** Frame sizes like bench-loss's webcam JPEGs at 360p, 720p and 1080p (bytes). */
const SIZES = [
  { size: '640x360', bytes: 16_400 },
  { size: '1280x720', bytes: 57_000 },
  { size: '1920x1080', bytes: 110_000 },
];
/** --rounds: timed runs per figure (the median is reported). */
const RUNS = bench.rounds(9, 3);
const ITERATIONS = bench.quick ? 50 : 1000;

/** Median over RUNS of the mean ms of ITERATIONS calls of `work`, after one run to warm up. */
function time(work: () => void): number {
  const run = () => {
    const start = performance.now();
    for (let i = 0; i < ITERATIONS; i++) work();
    return (performance.now() - start) / ITERATIONS;
  };
  run();
  return median(Array.from({ length: RUNS }, run));
}

/**
 * Per size and ratio: ms to build a frame's m parity datagrams (encodeMs), and to reassemble one
 * frame with `missing` data chunks lost (rebuildMs; 0 lost: no parity work).
 */
const rows = [];
for (const { size, bytes } of SIZES) {
  // Random bytes (the assembler's JPEG check is off: parity does not look inside).
  const random = seededRandom(1);
  const frame = Buffer.from(Array.from({ length: bytes }, () => Math.floor(random() * 256)));
  const chunks = chunkFrame(frame, 0, PACKET_SIZE);
  const k = chunks.length;
  for (const ratio of [0.1, 0.2]) {
    const m = parityCount(k, ratio);
    const encodeMs = time(() => parityDatagrams(chunks, 0, bytes, m));
    const datagrams = [...chunks, ...parityDatagrams(chunks, 0, bytes, m)].map((parts) =>
      Buffer.concat(parts),
    );
    const rebuildMs = [];
    for (const missing of [...new Set([0, 1, Math.ceil(m / 2), m])]) {
      // Drop `missing` data chunks spread over the frame, keep enough parity to rebuild.
      const lost = new Set(Array.from({ length: missing }, (_, i) => Math.floor(((i + 0.5) * k) / missing)));
      const arriving = datagrams.filter((_, index) => !lost.has(index));
      const assembler = new FrameAssembler({ checkJpeg: false });
      let now = 0;
      const ms = time(() => {
        // 1 s between frames: each is a fresh image id slot, the previous one long done.
        now += 1000;
        let emitted = false;
        for (const datagram of arriving)
          emitted = assembler.push(datagram, 'cam', now) !== undefined || emitted;
        if (!emitted) throw new Error(`${size}: frame with ${missing} lost not rebuilt`);
      });
      rebuildMs.push({ missing, ms });
    }
    rows.push({ size, frameBytes: bytes, k, ratio, m, encodeMs, rebuildMs });
  }
}

console.log(`Parity cost per frame (${PACKET_SIZE}-byte chunks; median of ${RUNS} runs × ${ITERATIONS})`);
console.log(
  table(
    ['size', 'k', 'fec', 'm', 'encode ms', 'reassemble ms, data chunks lost: 0 / 1 / m/2 / m'],
    rows.map(({ size, k, ratio, m, encodeMs, rebuildMs }) => [
      ...[size, k, ratio, m].map(String),
      fixed(encodeMs, 3),
      rebuildMs.map((entry) => `${fixed(entry.ms, 3)} (${entry.missing})`).join(' / '),
    ]),
  ),
);
await bench.save({ packetSize: PACKET_SIZE, rounds: RUNS, rows });
