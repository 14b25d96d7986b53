/**
 * Issue 13's measurement: a sender in the original Python framing (random ids 10..99, main.py's
 * chunk count) at 10 fps that pauses 30 ms halfway through every third frame — well inside the
 * frame interval, and no other frame starts meanwhile — into a real `udpcam receive --out`.
 * Every frame is sent whole, so every one should be written. Prints frames written of those
 * sent, and the receiver's drops by reason, at 1400- and 8000-byte packets.
 *
 *   node build/scripts/bench-pauses.js [--quick] [--frames 60] [--cli path/to/udpcam.js]
 * --cli runs another build's receiver (e.g. main's, to compare before and after). Writes
 * bench-results/pauses.json. Traffic stays on 127.0.0.1.
 */
import dgram from 'node:dgram';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { legacyChunkFrame, legacyImageId } from '@udpcam/protocol';
import { encodeTestJpeg, seededRandom } from './lib/frames.js';
import { startChild, UDPCAM_CLI } from './lib/gstreamer.js';
import { startBench } from './lib/harness.js';
import { outputFiles } from './lib/outputs.js';
import { sleep, table } from './lib/report.js';

const bench = startBench('pauses', {
  frames: { type: 'string' },
  cli: { type: 'string', default: UDPCAM_CLI },
});
const values = bench.flags;
const FRAMES = bench.number('frames', 60, 30);
const FPS = 10;
const PAUSE_MS = 30;
const PACKET_SIZES = [1400, 8000];

/** The fields of `udpcam receive --json`'s status lines this bench reads. */
type Status = { dropped: number; droppedByReason: Record<string, number> };

/** Runs one receiver, sends FRAMES frames into it, and reads its last status line. */
async function measure(packetSize: number, images: readonly Buffer[]) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'udpcam-pauses-'));
  const child = startChild(
    process.execPath,
    [values.cli, 'receive', '--port', '0', '--out', dir, '--json', '--status-interval', '0.25'],
    undefined,
  );
  const port = Number((await child.waitFor(/receiving on udp .*:(\d+)/))[1]);
  const socket = dgram.createSocket('udp4');
  const random = seededRandom(packetSize);
  const start = performance.now();
  for (let k = 0; k < FRAMES; k++) {
    await sleep(Math.max(0, start + (k * 1000) / FPS - performance.now()));
    const datagrams = legacyChunkFrame(images[k % images.length]!, legacyImageId(random), packetSize);
    const half = Math.floor(datagrams.length / 2);
    for (const [c, parts] of datagrams.entries()) {
      if (k % 3 === 0 && c === half) await sleep(PAUSE_MS);
      await new Promise<void>((resolve) => socket.send([...parts], port, '127.0.0.1', () => resolve()));
    }
  }
  socket.close();
  await sleep(1000);
  await child.stop('SIGINT');
  const last: Status = JSON.parse(child.lines.filter((line) => line.startsWith('{')).at(-1)!);
  const written = outputFiles(dir).length;
  rmSync(dir, { recursive: true, force: true });
  return { packetSize, sent: FRAMES, written, dropped: last.dropped, droppedByReason: last.droppedByReason };
}

// Distinct 640x360 frames (~20-40 kB: several datagrams even at 8000 bytes).
const images = Array.from({ length: 6 }, (_, i) => encodeTestJpeg({ width: 640, height: 360, seed: i + 1 }));
const points = [];
for (const packetSize of PACKET_SIZES) points.push(await measure(packetSize, images));
console.log(
  `Original framing, ${FPS} fps, ${PAUSE_MS} ms pause halfway through every 3rd frame (receiver: ${values.cli})`,
);
console.log(
  table(
    ['packet size', 'frames written', 'dropped (by reason)'],
    points.map((p) => [
      String(p.packetSize),
      `${p.written} of ${p.sent}`,
      `${p.dropped} ${JSON.stringify(Object.fromEntries(Object.entries(p.droppedByReason).filter(([, n]) => n > 0)))}`,
    ]),
  ),
);
await bench.save({ cli: values.cli, points });
