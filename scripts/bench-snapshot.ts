/**
 * The snapshot-server figures: 5 cameras at 4 fps (pre-encoded ~64 kB 720p JPEGs, each camera on
 * its own UDP socket, a frame's datagrams back to back like udpcam send, cameras staggered) into
 * one receiver process (lib/fanout-server.ts: Receiver + HttpServer). Phases:
 *   1. warm-up; in its second half, the CPU of a bare dgram socket (lib/latency-bare-socket.ts,
 *      same core) taking the same datagrams: the floor under any Node receiver's figure;
 *   2. server CPU and RSS with no HTTP client;
 *   3. sequential GET /cameras/<id>/snapshot.jpg spread over the phase, alternately on a fresh
 *      connection and on one keep-alive connection; time = request sent → last body byte read;
 *   4. one MJPEG client per camera: server CPU and RSS, bytes/s per client, and capture stamp
 *      (taken here as each frame is sent) → the part's last byte read here: one clock, no offset.
 * CPU is the server's process.cpuUsage (every thread) over the phase, as % of one core.
 *
 *   core 1  the server        core 0  this process: the 5 cameras, snapshot fetches, MJPEG clients
 *
 *   node build/scripts/bench-snapshot.js [--quick] [--cpu-prof] [--packet-size 1400]
 * Writes bench-results/snapshot.json and docs/perf/snapshot.svg. --cpu-prof profiles the server
 * into bench-results/profiles/snapshot/ (figures then go to snapshot-profiled.json).
 */
import http from 'node:http';
import path from 'node:path';
import { wallClockUs } from '@udpcam/common';
import { withFrameMeta } from '@udpcam/protocol';
import { cameraId } from '@udpcam/receiver';
import type { TopLevelSpec } from 'vega-lite';
import { startCameras } from './lib/cameras.js';
import { encodeTestJpeg } from './lib/frames.js';
import { startBench } from './lib/harness.js';
import { MjpegRecorder } from './lib/latency-mjpeg.js';
import { histogramSteps, type LatencySummary, logHistogram, ms, summarize } from './lib/latency-stats.js';
import { pinSelf } from './lib/pin.js';
import { count, fixed, sleep, table } from './lib/report.js';
import { type ServerChild, startServerChild } from './lib/server-child.js';

const bench = startBench('snapshot', {
  'cpu-prof': { type: 'boolean', default: false },
  'packet-size': { type: 'string' },
});
const values = bench.flags;
const quick = bench.quick;
const CAMERAS = 5;
const FPS = 4;
/** udpcam send's default; --packet-size 8000 (the Python sender's) shows what fewer datagrams save. */
const PACKET_SIZE = bench.number('packet-size', 1400);
if (!Number.isInteger(PACKET_SIZE) || PACKET_SIZE < 100 || PACKET_SIZE > 65000)
  bench.fail(`--packet-size must be a whole number 100..65000, got ${values['packet-size']}`);
/**
 * Long enough in a full run for the start-up work to be over: at 920 datagrams/s V8 is still
 * optimising the hot path and the heap still growing into its steady size after 15 s (a perf
 * profile then: 15 % of the CPU in TurboFan, 15 % in page faults; after 60 s: 11 % and 3 %).
 */
const WARMUP_MS = quick ? 1000 : 60_000;
/** Each CPU window (phases 2 and 4). */
const WINDOW_MS = quick ? 2000 : 12_000;
/** Phase 3, and the fetches of each kind spread over it. */
const SNAPSHOT_MS = quick ? 2000 : 10_000;
const FETCHES_PER_KIND = quick ? 40 : 200;
/** MJPEG clients connect this long before phase 4's window opens. */
const SETTLE_MS = quick ? 500 : 1000;
/** Target from the issue: 5 cameras at 4 fps in ≤ 0.5% of one core. */
const CPU_TARGET_PERCENT = 0.5;
const PROFILE_DIR = path.join(bench.out, 'profiles', 'snapshot');
const SERVER_CORE = bench.core(1);
const CLIENT_CORE = bench.core(0);

/** One GET of a JPEG: time to the last body byte (µs), and whether it was a JPEG. */
function fetchSnapshot(
  url: string,
  agent: http.Agent | false,
): Promise<{ us: number; bytes: number; ok: boolean }> {
  return new Promise((resolve, reject) => {
    const start = performance.now();
    const request = http.get(url, { agent }, (response) => {
      let bytes = 0;
      let head: Buffer | undefined;
      response.on('data', (chunk: Buffer) => {
        head ??= chunk;
        bytes += chunk.length;
      });
      response.on('end', () => {
        const us = (performance.now() - start) * 1000;
        const ok = response.statusCode === 200 && head !== undefined && head[0] === 0xff && head[1] === 0xd8;
        resolve({ us, bytes, ok });
      });
      response.on('error', reject);
    });
    request.setTimeout(5_000, () => request.destroy(new Error(`${url}: no answer within 5 s`)));
    request.on('error', reject);
  });
}

/** Histograms (10 log bins per decade, % of each series) of the times in `series` (µs). */
function plotSpec(series: Record<string, readonly number[]>): TopLevelSpec {
  // `order` keeps the two points at the first bin's x in turn.
  const rows = Object.entries(series)
    .flatMap(([name, valuesUs]) => histogramSteps(logHistogram(valuesUs), { series: name }))
    .map((row, order) => ({ ...row, order }));
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: {
      text: `Snapshot server: ${CAMERAS} cameras × ${FPS} fps, 720p, over loopback`,
      subtitle: 'snapshot fetch times and capture → MJPEG client latency; 10 log bins per decade',
    },
    width: 520,
    height: 240,
    data: { values: rows },
    mark: { type: 'line', interpolate: 'step-after', strokeWidth: 2 },
    encoding: {
      x: { field: 'ms', type: 'quantitative', scale: { type: 'log' }, title: 'time (ms, log scale)' },
      y: { field: 'percent', type: 'quantitative', title: '% of samples' },
      color: {
        field: 'series',
        type: 'nominal',
        sort: Object.keys(series),
        title: null,
        legend: { orient: 'bottom', direction: 'vertical', labelLimit: 400 },
      },
      order: { field: 'order', type: 'quantitative' },
    },
  } as TopLevelSpec;
}

/** CPU of `server` while `during` runs, over at least `windowMs`, as % of one core; with a `label`, "label: k/n s" each second. */
async function cpuWindow(
  server: ServerChild,
  windowMs: number,
  label?: string,
  during: () => Promise<unknown> = async () => {},
): Promise<{ percent: number; seconds: number }> {
  const before = await server.cpuUs();
  const started = performance.now();
  const ticker = setInterval(() => {
    const seconds = Math.round((performance.now() - started) / 1000);
    if (label) console.log(`${label}: ${seconds}/${Math.round(windowMs / 1000)} s`);
  }, 1000);
  await Promise.all([during(), sleep(windowMs)]);
  clearInterval(ticker);
  const after = await server.cpuUs();
  const seconds = (performance.now() - started) / 1000;
  return { percent: ((after - before) / 1e6 / seconds) * 100, seconds };
}

async function main(): Promise<void> {
  pinSelf(CLIENT_CORE);
  const bases = [1, 2, 3].map((seed) => encodeTestJpeg({ seed }));
  const frameBytes = Math.round(bases.reduce((sum, b) => sum + b.length, 0) / bases.length);
  console.log(
    `snapshot: ${CAMERAS} cameras × ${FPS} fps of 1280x720 JPEGs (~${Math.round(frameBytes / 1000)} kB)${bench.pin ? '; server on core 1, cameras and clients on core 0' : ' (not pinned)'}`,
  );
  const server = await startServerChild('fanout-server', {
    core: SERVER_CORE,
    nodeArgs: values['cpu-prof']
      ? ['--cpu-prof', '--cpu-prof-interval', '100', '--cpu-prof-dir', PROFILE_DIR]
      : [],
  });
  let yardstick: ServerChild | undefined;
  let stopCameras: (() => void) | undefined;
  const base = `http://127.0.0.1:${server.httpPort}`;
  try {
    yardstick = await startServerChild('latency-bare-socket', { core: SERVER_CORE });
    const alsoTo = new Set([yardstick.udpPort]);
    const cameras = await startCameras({
      count: CAMERAS,
      fps: FPS,
      port: server.udpPort,
      packetSize: PACKET_SIZE,
      alsoTo,
      // Stamped as it goes out, like the sender stamps a frame once it is ready.
      frame: (camera, seq) =>
        withFrameMeta(bases[(seq + camera) % bases.length]!, { seq, captureUs: wallClockUs() }),
    });
    const ids = cameras.ports.map((port) => cameraId(`127.0.0.1:${port}`));
    stopCameras = cameras.stop;
    console.log(
      `[1/4] warm-up ${WARMUP_MS / 1000} s; in its second half, CPU of a bare dgram socket taking the same datagrams`,
    );
    await sleep(WARMUP_MS / 2);
    const bare = await cpuWindow(yardstick, WARMUP_MS / 2);
    alsoTo.delete(yardstick.udpPort);
    await yardstick.stop();

    console.log(`[2/4] server CPU with no HTTP client, ${WINDOW_MS / 1000} s`);
    const idle = await cpuWindow(server, WINDOW_MS, '[2/4]');
    const idleMemory = server.memory();

    console.log(
      `[3/4] ${FETCHES_PER_KIND} snapshots on fresh connections + ${FETCHES_PER_KIND} keep-alive, over ${SNAPSHOT_MS / 1000} s`,
    );
    const keepAlive = new http.Agent({ keepAlive: true, maxSockets: 1 });
    await fetchSnapshot(`${base}/cameras/${ids[0]}/snapshot.jpg`, keepAlive);
    const fetches = { fresh: [] as number[], keepAlive: [] as number[], bad: 0, bytes: 0 };
    const snapshots = await cpuWindow(server, SNAPSHOT_MS, '[3/4]', async () => {
      const gapMs = SNAPSHOT_MS / (2 * FETCHES_PER_KIND);
      const started = performance.now();
      for (let i = 0; i < 2 * FETCHES_PER_KIND; i++) {
        const wait = started + i * gapMs - performance.now();
        if (wait > 0) await sleep(wait);
        const fresh = i % 2 === 0;
        const camera = ids[(i >> 1) % CAMERAS]!;
        const fetched = await fetchSnapshot(
          `${base}/cameras/${camera}/snapshot.jpg`,
          fresh ? false : keepAlive,
        );
        if (!fetched.ok) fetches.bad++;
        fetches.bytes = Math.max(fetches.bytes, fetched.bytes);
        (fresh ? fetches.fresh : fetches.keepAlive).push(fetched.us);
      }
    });
    keepAlive.destroy();
    const fresh = summarize(fetches.fresh)!;
    const reused = summarize(fetches.keepAlive)!;

    console.log(`[4/4] one MJPEG client per camera, ${WINDOW_MS / 1000} s`);
    const clients = await Promise.all(
      ids.map((camera) => MjpegRecorder.connect(`${base}/cameras/${camera}/stream.mjpg`)),
    );
    await sleep(SETTLE_MS);
    const bytesBefore = clients.map((client) => client.bytes);
    const partsBefore = clients.map((client) => client.parts.length);
    const streaming = await cpuWindow(server, WINDOW_MS, '[4/4]');
    const streamingMemory = server.memory();
    const bytesPerSecond = clients.map((client, i) => (client.bytes - bytesBefore[i]!) / streaming.seconds);
    const latencies = clients.flatMap((client, i) =>
      client.parts
        .slice(partsBefore[i]!)
        .flatMap((part) => (part.meta === undefined ? [] : [part.arrivalUs - part.meta.captureUs])),
    );
    const endToEnd = summarize(latencies)!;
    const framesDelivered = clients.reduce(
      (sum, client, i) => sum + client.parts.length - partsBefore[i]!,
      0,
    );
    for (const client of clients) {
      client.close();
      if (client.error) throw client.error;
    }
    const meanBandwidth = bytesPerSecond.reduce((sum, b) => sum + b, 0) / bytesPerSecond.length;

    const mib = (bytes: number | null) => (bytes === null ? '-' : fixed(bytes / 2 ** 20, 1));
    const row = (label: string, s: LatencySummary) => [label, ms(s.p50Us), ms(s.p99Us), String(s.count)];
    console.log(
      `\nSnapshot server: ${CAMERAS} cameras × ${FPS} fps, 720p (~${Math.round(frameBytes / 1000)} kB)`,
    );
    console.log(
      table(
        ['time (ms)', 'p50', 'p99', 'samples'],
        [
          row('snapshot GET, fresh connection', fresh),
          row('snapshot GET, keep-alive', reused),
          row('capture → MJPEG client', endToEnd),
        ],
      ),
    );
    console.log(
      `\n${table(
        ['server', '% of a core', 'RSS MiB'],
        [
          ['bare dgram socket, same datagrams (yardstick)', fixed(bare.percent, 2), '-'],
          ['no HTTP client', fixed(idle.percent, 2), mib(idleMemory.rssBytes)],
          [`${2 * FETCHES_PER_KIND} snapshot GETs`, fixed(snapshots.percent, 2), '-'],
          [`${CAMERAS} MJPEG clients`, fixed(streaming.percent, 2), mib(streamingMemory.rssBytes)],
        ],
      )}`,
    );
    console.log(
      `\nper MJPEG client ${count(meanBandwidth)} B/s (frame × ${FPS} = ${count(frameBytes * FPS)} B/s); peak RSS ${mib(streamingMemory.peakRssBytes)} MiB`,
    );
    const met = idle.percent <= CPU_TARGET_PERCENT && streaming.percent <= CPU_TARGET_PERCENT;
    console.log(`CPU target ≤ ${CPU_TARGET_PERCENT}% of a core: ${met ? 'met' : 'missed'}`);
    // CPU per datagram: the socket's share (the yardstick) against the whole server's.
    const datagramsPerSecond = CAMERAS * FPS * Math.ceil(frameBytes / PACKET_SIZE);
    const perDatagramUs = (percent: number) => fixed((percent / 100 / datagramsPerSecond) * 1e6, 1);
    console.log(
      `at ${datagramsPerSecond} datagrams/s: server ${perDatagramUs(idle.percent)} µs of CPU per datagram without clients, a bare dgram socket ${perDatagramUs(bare.percent)} µs`,
    );

    // A profiled server is slower: its figures go to a file of their own.
    await bench.save(
      {
        cameras: CAMERAS,
        fps: FPS,
        packetSize: PACKET_SIZE,
        frameBytes,
        framesSent: cameras.framesSent(),
        snapshot: {
          method:
            'sequential GET /cameras/<id>/snapshot.jpg, cameras in turn, alternating fresh TCP connection (agent: false) and one keep-alive connection; request sent → last body byte',
          freshConnection: fresh,
          keepAlive: reused,
          bytes: fetches.bytes,
          bad: fetches.bad,
          serverCpuPercent: snapshots.percent,
        },
        latency: {
          method:
            "capture stamp (this process, as each frame is sent) → MJPEG part's last byte read (this process)",
          ...endToEnd,
          framesDelivered,
        },
        cpu: {
          targetPercent: CPU_TARGET_PERCENT,
          windowSeconds: WINDOW_MS / 1000,
          bareSocketPercent: bare.percent,
          bareSocketWindowSeconds: bare.seconds,
          noClientsPercent: idle.percent,
          mjpegClientsPercent: streaming.percent,
        },
        bandwidth: {
          perClientBytesPerSecond: bytesPerSecond.map(Math.round),
          meanBytesPerSecond: Math.round(meanBandwidth),
          expectedBytesPerSecond: frameBytes * FPS,
        },
        memory: {
          noClients: idleMemory,
          mjpegClients: streamingMemory,
        },
      },
      PACKET_SIZE !== 1400 && `p${PACKET_SIZE}`,
      values['cpu-prof'] && 'profiled',
    );
    const plot = plotSpec({
      'snapshot GET, fresh connection': fetches.fresh,
      'snapshot GET, keep-alive': fetches.keepAlive,
      'capture → MJPEG client': latencies,
    });
    if (!values['cpu-prof'] && PACKET_SIZE === 1400) await bench.plot('snapshot', plot);
  } finally {
    stopCameras?.();
    await yardstick?.stop();
    await server.stop();
  }
}

await main();
