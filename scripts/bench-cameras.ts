/**
 * Receiver CPU vs number of cameras: N senders of pre-encoded 720p JPEGs (~64 kB) at 30 fps each,
 * every one from its own UDP socket, into one receiver pinned to a core. For each N: the
 * receiver's CPU (cores, and per camera), and the share of sent frames it delivered whole.
 *
 *   core 1  the receiver (lib/fanout-server.ts: Receiver + HttpServer, no HTTP clients)
 *   core 0  this process: N paced senders (a frame's datagrams back to back, like udpcam send)
 *
 *   node build/scripts/bench-cameras.js [--quick] [--cameras 1,2,4,8,16,32,64] [--window-ms 4000]
 * Writes bench-results/cameras.json and docs/perf/cameras.svg. Traffic stays on 127.0.0.1.
 */
import { startCameras } from './lib/cameras.js';
import { testFrames } from './lib/frames.js';
import { startBench } from './lib/harness.js';
import { pinSelf } from './lib/pin.js';
import { twoLines } from './lib/plot.js';
import { fixed, sleep, table } from './lib/report.js';
import { type FanoutCpu, startServerChild } from './lib/server-child.js';

const bench = startBench('cameras', { cameras: { type: 'string' }, 'window-ms': { type: 'string' } });
const counts = bench.list('cameras', '1,2,4,8,16,32,64', '1,4').map(Number);
const windowMs = bench.number('window-ms', 4000, 1500);
const FPS = 30;

pinSelf(bench.core(0));
const frames = testFrames(60);
console.log(`cameras: 1280x720 JPEGs of ~${Math.round(frames[0]!.length / 1000)} kB at ${FPS} fps each`);

const results = [];
for (const n of counts) {
  process.stdout.write(`[${n} camera${n === 1 ? '' : 's'}] `);
  // A fresh receiver for each step, so senders from the step before hold no slots.
  const { udpPort, ask, stop } = await startServerChild('fanout-server', { core: bench.core(1) });
  let sent = 0;
  const cameras = await startCameras({
    count: n,
    fps: FPS,
    port: udpPort,
    frame: () => frames[sent++ % frames.length]!,
  });
  await sleep(1000);
  const before = await ask<FanoutCpu>();
  const sentBefore = cameras.framesSent();
  const started = performance.now();
  await sleep(windowMs);
  const after = await ask<FanoutCpu>();
  const sentInWindow = cameras.framesSent() - sentBefore;
  const seconds = (performance.now() - started) / 1000;
  cameras.stop();
  await stop();
  const cores = (after.cpuUs - before.cpuUs) / 1e6 / seconds;
  const delivered = Math.min(1, (after.frames - before.frames) / Math.max(1, sentInWindow));
  results.push({
    cameras: n,
    receiverCores: cores,
    coresPerCamera: cores / n,
    framesSent: sentInWindow,
    deliveredRatio: delivered,
  });
  console.log(
    `receiver ${fixed(cores, 3)} cores (${fixed((cores / n) * 100, 2)}% of a core per camera), delivered ${fixed(delivered * 100, 1)}%`,
  );
}
console.log(`\nReceiver CPU vs cameras (720p, ${FPS} fps each; receiver pinned to one core)`);
console.log(
  table(
    ['cameras', 'receiver cores', '% core per camera', 'frames sent', 'delivered'],
    results.map((r) => [
      String(r.cameras),
      fixed(r.receiverCores, 3),
      fixed(r.coresPerCamera * 100, 2),
      String(r.framesSent),
      `${fixed(r.deliveredRatio * 100, 1)}%`,
    ]),
  ),
);
await bench.plot(
  'cameras',
  twoLines(
    `Receiver CPU vs cameras (720p, ${FPS} fps each, ~${Math.round(frames[0]!.length / 1000)} kB frames)`,
    results,
    { field: 'cameras', title: 'cameras', scale: { type: 'log', base: 2 }, axis: { values: counts } },
    { field: 'receiverCores', title: 'receiver CPU (cores)' },
    {
      field: 'deliveredRatio',
      title: 'frames delivered whole',
      axis: { format: '%' },
      scale: { domain: [0, 1] },
    },
  ),
);
await bench.save({ fps: FPS, frameBytes: frames[0]!.length, windowMs, results });
