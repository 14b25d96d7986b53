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
 * Writes bench-results/fanout.json (--quick: fanout-quick.json). Traffic stays on 127.0.0.1.
 */
import { spawn } from 'node:child_process';
import dgram from 'node:dgram';
import http from 'node:http';
import { parseArgs } from 'node:util';
import { boundaryFromContentType, MultipartParser } from '@udpcam/common';
import { ImageIdCycle } from '@udpcam/protocol';
import { frameDatagrams, testFrames } from './lib/frames.js';
import { hasTaskset } from './lib/ipc.js';
import { plotsDir, savePlot, twoLines } from './lib/plot.js';
import { fixed, machine, median, saveResults, sleep, table } from './lib/report.js';
import { type FanoutCpu, startServerChild } from './lib/server-child.js';

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    clients: { type: 'string' },
    'window-ms': { type: 'string' },
  },
});
const quick = values.quick;
const counts = (values.clients ?? (quick ? '1,20' : '1,10,50,100,200,300')).split(',').map(Number);
const windowMs = Number(values['window-ms'] ?? (quick ? 1500 : 5000));
const FPS = 30;
const TARGET = { clients: 200, fps: 29, cores: 0.5 };

function pinSelf(core: number): void {
  if (hasTaskset()) spawn('taskset', ['-cp', String(core), String(process.pid)], { stdio: 'ignore' });
}

async function main(): Promise<void> {
  pinSelf(0);
  const { udpPort, httpPort, ask, stop } = await startServerChild('fanout-server', {
    core: hasTaskset() ? 1 : undefined,
  });

  const frames = testFrames(60);
  console.log(
    `camera: 1280x720 JPEGs of ~${Math.round(frames[0]!.length / 1000)} kB at ${FPS} fps → udp ${udpPort}; MJPEG at http://127.0.0.1:${httpPort}/stream.mjpg`,
  );
  const socket = dgram.createSocket('udp4');
  const ids = new ImageIdCycle();
  let sent = 0;
  const feeder = setInterval(() => {
    const frame = frames[sent++ % frames.length]!;
    for (const datagram of frameDatagrams(frame, ids.next(), 1400))
      socket.send(datagram, udpPort, '127.0.0.1');
  }, 1000 / FPS);
  await sleep(500);

  const results = [];
  for (const n of counts) {
    process.stdout.write(`[${n} clients] connecting… `);
    const agent = new http.Agent({ keepAlive: false, maxSockets: Number.POSITIVE_INFINITY });
    // Parts are counted, their bodies skipped unbuffered (keepBodies false): the clients stay cheap.
    const clients = Array.from({ length: n }, () => ({ parts: 0 }));
    const requests = clients.map((client) =>
      http.get({ host: '127.0.0.1', port: httpPort, path: '/stream.mjpg', agent }, (response) => {
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
    agent.destroy();
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
  clearInterval(feeder);
  socket.close();
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
  const plot = await savePlot(
    'fanout',
    twoLines(
      `HTTP fan-out: one 720p camera at ${FPS} fps to N MJPEG clients`,
      results,
      { field: 'clients', title: 'MJPEG clients' },
      { field: 'serverCores', title: 'server CPU (cores)' },
      { field: 'clientFpsMin', title: 'slowest client (fps)', scale: { domain: [0, FPS + 2] } },
    ),
    plotsDir(quick),
  );
  console.log(`plot: ${plot}`);
  const file = await saveResults(quick ? 'fanout-quick' : 'fanout', {
    bench: 'fanout',
    quick,
    machine: machine(),
    fps: FPS,
    frameBytes: frames[0]!.length,
    windowMs,
    results,
    target: TARGET,
  });
  console.log(`results: ${file}`);
}

await main();
