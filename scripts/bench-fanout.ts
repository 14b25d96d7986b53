/**
 * HTTP fan-out: one 720p camera at 30 fps (pre-encoded ~64 kB JPEGs sent over UDP) into a
 * receiver, and N MJPEG clients reading /stream.mjpg as fast as they can. For each N: the server's
 * CPU (cores) and each client's frames per second over a fixed window.
 *
 *   core 1  the server (lib/fanout-server.ts): Receiver + HttpServer
 *   core 0  this process: the UDP feeder and the N clients (counting parts, bodies skipped)
 *
 * Target (issue 4): 200 clients, each at >= 29 fps, at no more than half a core.
 *   node build/scripts/bench-fanout.js [--quick] [--clients 1,10,50,100,200,300] [--window-ms 5000]
 * Writes bench-results/fanout.json and docs/perf/fanout.svg. Traffic stays on 127.0.0.1.
 */
import http from 'node:http';
import { boundaryFromContentType, MultipartParser } from '@udpcam/common';
import { startCameras } from './lib/cameras.js';
import { testFrames } from './lib/frames.js';
import { startBench } from './lib/harness.js';
import { pinSelf } from './lib/pin.js';
import { twoLines } from './lib/plot.js';
import { fixed, median, sleep, table } from './lib/report.js';
import { type FanoutCpu, startServerChild } from './lib/server-child.js';

const bench = startBench('fanout', { clients: { type: 'string' }, 'window-ms': { type: 'string' } });
const counts = bench.list('clients', '1,10,50,100,200,300', '1,20').map(Number);
const windowMs = bench.number('window-ms', 5000, 1500);
const FPS = 30;
const TARGET = { clients: 200, fps: 29, cores: 0.5 };

pinSelf(bench.core(0));
const { udpPort, httpPort, ask, stop } = await startServerChild('fanout-server', { core: bench.core(1) });

const frames = testFrames(60);
console.log(
  `camera: 1280x720 JPEGs of ~${Math.round(frames[0]!.length / 1000)} kB at ${FPS} fps → udp ${udpPort}; MJPEG at http://127.0.0.1:${httpPort}/stream.mjpg`,
);
const camera = await startCameras({
  count: 1,
  fps: FPS,
  port: udpPort,
  frame: (_camera, seq) => frames[seq % frames.length]!,
});
await sleep(500);

const results = [];
for (const n of counts) {
  process.stdout.write(`[${n} clients] connecting… `);
  // Parts are counted, their bodies skipped unbuffered (keepBodies false): the clients stay cheap.
  // agent: false gives each its own connection, closed with it.
  const clients = Array.from({ length: n }, () => ({ parts: 0 }));
  const requests = clients.map((client) =>
    http.get({ host: '127.0.0.1', port: httpPort, path: '/stream.mjpg', agent: false }, (response) => {
      const boundary = boundaryFromContentType(response.headers['content-type'] ?? '');
      const parser = new MultipartParser(boundary, { keepBodies: false });
      response.on('data', (chunk: Buffer) => {
        client.parts += parser.feed(chunk).length;
      });
    }),
  );
  for (const request of requests) request.on('error', () => {});
  await sleep(1000);
  const before = await ask<FanoutCpu>();
  const startParts = clients.map((c) => c.parts);
  const started = performance.now();
  process.stdout.write(`measuring ${windowMs} ms… `);
  await sleep(windowMs);
  const after = await ask<FanoutCpu>();
  const seconds = (performance.now() - started) / 1000;
  const fps = clients.map((c, i) => (c.parts - startParts[i]!) / seconds);
  const cores = (after.cpuUs - before.cpuUs) / 1e6 / seconds;
  const cameraFps = (after.frames - before.frames) / seconds;
  for (const request of requests) request.destroy();
  const row = {
    clients: n,
    connected: after.clients,
    serverCores: cores,
    cameraFps,
    clientFpsMin: Math.min(...fps),
    clientFpsMedian: median(fps),
    clientsAt29: fps.filter((f) => f >= 29).length,
    megabytesPerSecond: (fps.reduce((a, b) => a + b, 0) * frames[0]!.length) / 1e6,
  };
  results.push(row);
  console.log(
    `server ${fixed(cores, 3)} cores, client fps min ${fixed(row.clientFpsMin)} median ${fixed(row.clientFpsMedian)}`,
  );
  await sleep(500);
}
camera.stop();
await stop();

console.log(`\nHTTP fan-out of one 720p camera at ${FPS} fps (server pinned to one core)`);
console.log(
  table(
    [
      'clients',
      'server cores',
      'camera fps',
      'client fps min',
      'client fps median',
      'clients >= 29 fps',
      'MB/s out',
    ],
    results.map((r) => [
      String(r.clients),
      fixed(r.serverCores, 3),
      fixed(r.cameraFps),
      fixed(r.clientFpsMin),
      fixed(r.clientFpsMedian),
      `${r.clientsAt29}/${r.clients}`,
      fixed(r.megabytesPerSecond, 0),
    ]),
  ),
);
const at = results.find((r) => r.clients === TARGET.clients);
if (at) {
  const met = at.clientFpsMin >= TARGET.fps && at.serverCores <= TARGET.cores;
  console.log(
    `target: ${TARGET.clients} clients each >= ${TARGET.fps} fps at <= ${TARGET.cores} core: ${met ? 'met' : 'NOT met'}`,
  );
}
await bench.plot(
  'fanout',
  twoLines(
    `HTTP fan-out: one 720p camera at ${FPS} fps to N MJPEG clients`,
    results,
    { field: 'clients', title: 'MJPEG clients' },
    { field: 'serverCores', title: 'server CPU (cores)' },
    { field: 'clientFpsMin', title: 'slowest client (fps)', scale: { domain: [0, FPS + 2] } },
  ),
);
await bench.save({ fps: FPS, frameBytes: frames[0]!.length, windowMs, results, target: TARGET });
