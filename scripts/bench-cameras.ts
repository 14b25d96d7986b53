/**
 * Receiver CPU vs number of cameras: N senders of pre-encoded 720p JPEGs (~64 kB) at 30 fps each,
 * every one from its own UDP socket, into one receiver pinned to a core. For each N: the
 * receiver's CPU (cores, and per camera), and the share of sent frames it delivered whole.
 *
 *   core 1  the receiver (lib/fanout-server.ts: Receiver + HttpServer, no HTTP clients)
 *   core 0  this process: N paced senders (a frame's datagrams back to back, like udpcam send)
 *
 *   node build/scripts/bench-cameras.js [--quick] [--cameras 1,2,4,8,16,32,64] [--window-ms 4000]
 * Writes bench-results/cameras.json (--quick: cameras-quick.json). Traffic stays on 127.0.0.1.
 */
import { spawn } from 'node:child_process';
import dgram from 'node:dgram';
import { parseArgs } from 'node:util';
import { ImageIdCycle } from '@udpcam/protocol';
import { frameDatagrams, testFrames } from './lib/frames.js';
import { hasTaskset } from './lib/ipc.js';
import { plotsDir, savePlot, twoLines } from './lib/plot.js';
import { fixed, machine, saveResults, sleep, table } from './lib/report.js';
import { type FanoutCpu, startServerChild } from './lib/server-child.js';

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    cameras: { type: 'string' },
    'window-ms': { type: 'string' },
  },
});
const quick = values.quick;
const counts = (values.cameras ?? (quick ? '1,4' : '1,2,4,8,16,32,64')).split(',').map(Number);
const windowMs = Number(values['window-ms'] ?? (quick ? 1500 : 4000));
const FPS = 30;

async function main(): Promise<void> {
  if (hasTaskset()) spawn('taskset', ['-cp', '0', String(process.pid)], { stdio: 'ignore' });
  const frames = testFrames(60);
  console.log(`cameras: 1280x720 JPEGs of ~${Math.round(frames[0]!.length / 1000)} kB at ${FPS} fps each`);

  const results = [];
  for (const n of counts) {
    process.stdout.write(`[${n} camera${n === 1 ? '' : 's'}] `);
    // A fresh receiver for each step, so senders from the step before hold no slots.
    const { udpPort, ask, stop } = await startServerChild('fanout-server', {
      core: hasTaskset() ? 1 : undefined,
    });
    const sockets = await Promise.all(
      Array.from({ length: n }, async () => {
        const socket = dgram.createSocket('udp4');
        await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
        return socket;
      }),
    );
    const ids = sockets.map(() => new ImageIdCycle());
    let sent = 0;
    let counting = false;
    let sentInWindow = 0;
    const intervals: NodeJS.Timeout[] = [];
    // Stagger the cameras over the frame interval, as independent cameras would be.
    const starts = sockets.map((socket, i) =>
      setTimeout(
        () => {
          const tick = () => {
            const frame = frames[sent++ % frames.length]!;
            for (const datagram of frameDatagrams(frame, ids[i]!.next(), 1400))
              socket.send(datagram, udpPort, '127.0.0.1');
            if (counting) sentInWindow++;
          };
          intervals.push(setInterval(tick, 1000 / FPS));
        },
        (i * 1000) / FPS / n,
      ),
    );
    await sleep(1000);
    const before = await ask<FanoutCpu>();
    counting = true;
    const started = performance.now();
    await sleep(windowMs);
    const after = await ask<FanoutCpu>();
    counting = false;
    const seconds = (performance.now() - started) / 1000;
    for (const timer of [...starts, ...intervals]) clearTimeout(timer);
    await sleep(200);
    for (const socket of sockets) socket.close();
    await stop();
    const cores = (after.cpuUs - before.cpuUs) / 1e6 / seconds;
    const delivered = (after.frames - before.frames) / Math.max(1, sentInWindow);
    results.push({
      cameras: n,
      receiverCores: cores,
      coresPerCamera: cores / n,
      framesSent: sentInWindow,
      deliveredRatio: Math.min(1, delivered),
    });
    console.log(
      `receiver ${fixed(cores, 3)} cores (${fixed((cores / n) * 100, 2)}% of a core per camera), delivered ${fixed(Math.min(1, delivered) * 100, 1)}%`,
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
  const cameras = {
    field: 'cameras',
    title: 'cameras',
    scale: { type: 'log', base: 2 },
    axis: { values: counts },
  };
  const plot = await savePlot(
    'cameras',
    twoLines(
      `Receiver CPU vs cameras (720p, ${FPS} fps each, ~${Math.round(frames[0]!.length / 1000)} kB frames)`,
      results,
      cameras,
      { field: 'receiverCores', title: 'receiver CPU (cores)' },
      {
        field: 'deliveredRatio',
        title: 'frames delivered whole',
        axis: { format: '%' },
        scale: { domain: [0, 1] },
      },
    ),
    plotsDir(quick),
  );
  console.log(`plot: ${plot}`);
  const file = await saveResults(quick ? 'cameras-quick' : 'cameras', {
    bench: 'cameras',
    quick,
    machine: machine(),
    fps: FPS,
    frameBytes: frames[0]!.length,
    windowMs,
    results,
  });
  console.log(`results: ${file}`);
}

await main();
