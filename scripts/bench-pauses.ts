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
import { spawn } from 'node:child_process';
import dgram from 'node:dgram';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { legacyChunkFrame, legacyImageId } from '@udpcam/protocol';
import { encodeTestJpeg, seededRandom } from './lib/frames.js';
import { UDPCAM_CLI } from './lib/gstreamer.js';
import { machine, saveResults, sleep, table } from './lib/report.js';

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    frames: { type: 'string' },
    cli: { type: 'string', default: UDPCAM_CLI },
  },
});
const FRAMES = Number(values.frames ?? (values.quick ? 30 : 60));
const FPS = 10;
const PAUSE_MS = 30;
const PACKET_SIZES = [1400, 8000];

interface Point {
  packetSize: number;
  sent: number;
  written: number;
  dropped: number;
  droppedByReason: Record<string, number>;
}

/** Runs one receiver, sends FRAMES frames into it, and reads its last status line. */
async function measure(packetSize: number, images: readonly Buffer[]): Promise<Point> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'udpcam-pauses-'));
  const child = spawn(
    process.execPath,
    [values.cli, 'receive', '--port', '0', '--out', dir, '--json', '--status-interval', '0.25'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const lines: string[] = [];
  const port = await new Promise<number>((resolve, reject) => {
    const onLine = (line: string) => {
      lines.push(line);
      const match = /receiving on udp .*:(\d+)/.exec(line);
      if (match) resolve(Number(match[1]));
    };
    createInterface({ input: child.stdout! }).on('line', onLine);
    createInterface({ input: child.stderr! }).on('line', onLine);
    child.once('exit', () => reject(new Error(`receiver exited:\n${lines.join('\n')}`)));
  });
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
  child.kill('SIGINT');
  await new Promise((resolve) => child.once('exit', resolve));
  const last = JSON.parse(lines.filter((line) => line.startsWith('{')).at(-1)!);
  const written = readdirSync(dir).reduce(
    (sum, camera) => sum + readdirSync(path.join(dir, camera)).filter((f) => f.endsWith('.jpg')).length,
    0,
  );
  rmSync(dir, { recursive: true, force: true });
  return { packetSize, sent: FRAMES, written, dropped: last.dropped, droppedByReason: last.droppedByReason };
}

// Distinct 640x360 frames (~20-40 kB: several datagrams even at 8000 bytes).
const images = Array.from({ length: 6 }, (_, seed) =>
  encodeTestJpeg({ width: 640, height: 360, seed: seed + 1 }),
);
const points: Point[] = [];
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
console.log(
  `saved ${await saveResults(values.quick ? 'pauses-quick' : 'pauses', { machine: machine(), cli: values.cli, points })}`,
);
