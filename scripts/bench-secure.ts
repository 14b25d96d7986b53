/**
 * What protection (--key, docs/protocol.md#protected) costs and what it stops, on loopback:
 *
 * 1. Per datagram, in this process (lib/secure-micro.ts, interleaved A/B, medians of CPU time):
 *    seal and open of 1400-byte payloads with AES-256-GCM (version 1) and ChaCha20-Poly1305
 *    through node:crypto cipher objects, ChaCha20-Poly1305 through libsodium (sodium-native) and
 *    Node's OpenSSL (udpcam's addon), and the protocol's DatagramSealer / DatagramOpener with each
 *    backend, including a refused forgery.
 * 2. CPU per 720p frame, with and without --key: `udpcam send --source dir: --no-meta` (the
 *    files go out as they are: no encoding, so protection's share is as large as it gets) into
 *    `udpcam receive` (no sink: reassembly only, likewise the worst case; and with --out), the sender pinned to
 *    core 0 and the receiver to core 1 when taskset is there. CPU is utime + stime of each child
 *    (/proc/PID/stat, all threads), sampled at each of its JSON status lines (every second; 0.25 s with --quick); the
 *    figure is ΔCPU / Δframes between the second line and the last (start-up excluded).
 * 3. Forgery: while a real protected camera streams 720p through a relay (which keeps its
 *    datagrams), the bench sprays --forged datagrams (default 10^6) at `udpcam receive --key
 *    --out`: random tags, bit flips and truncations of captured datagrams, replays of them,
 *    plain frames, frames sealed with another key, garbage, from the camera's own port and six
 *    others. After each batch the spray waits until the receiver has counted it (/api/receiver),
 *    so no kernel buffer overflows. Reported: forged frames written (files not byte-identical to
 *    a sent one: must be 0), real frames lost, rejections by reason, the receiver's peak RSS.
 *
 *   node build/scripts/bench-secure.js [--quick] [--frames 600] [--fps 30] [--forged 1000000]
 *                                      [--parts micro,cost,forgery] [--rounds 5]
 *                                      [--libraries openssl,libsodium,node:crypto]
 *                                      [--configs files,out,encode] [--warmup FRAMES] [--paired]
 *
 * --libraries picks the AEAD backends of the protected cost runs (default: openssl, the one a user
 * gets; both ends use the same, through UDPCAM_AEAD). --fallback is --libraries openssl,node:crypto.
 * Cost runs go in --rounds rounds (plain, then each protected, then the next round: A B A B …); each
 * figure is the median over rounds, each ratio the median of the rounds' own ratios (a round's
 * pair ran back to back, so drift in the machine's load falls on both), with the 1-minute load
 * average at the start of every run. --configs picks the configurations (files: the receiver
 * reassembles only; out: it writes every frame; encode: the sender encodes). --paired runs a
 * round's plain and protected pairs at the same time instead (the senders share core 0, the
 * receivers core 1): both meet the same neighbours and the same CPU state, which on a shared VM
 * moves a run's figure far more than protection does (see the README).
 *
 * Prints figures and writes bench-results/secure.json; asserts nothing.
 */
import { randomBytes } from 'node:crypto';
import dgram from 'node:dgram';
import { once } from 'node:events';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  AEAD_NAMES,
  type AeadName,
  chunkFrame,
  DatagramSealer,
  formatKeyFile,
  generateKey,
  parityCount,
  SECURE_COUNTER_OFFSET,
  SECURE_KEY_ID_OFFSET,
  StreamKey,
} from '@udpcam/protocol';
import { encodeWebcamJpeg, seededRandom, writeFrameDir } from './lib/frames.js';
import { type Child, receiveArgs, startUdpcam } from './lib/gstreamer.js';
import { startBench } from './lib/harness.js';
import { processCpuUs, processMemory } from './lib/proc.js';
import { count, fixed, median, sleep, table } from './lib/report.js';
import { perDatagramFigures } from './lib/secure-micro.js';

const bench = startBench('secure', {
  frames: { type: 'string' },
  fps: { type: 'string' },
  forged: { type: 'string' },
  parts: { type: 'string' },
  fallback: { type: 'boolean', default: false },
  libraries: { type: 'string' },
  configs: { type: 'string' },
  warmup: { type: 'string' },
  paired: { type: 'boolean', default: false },
});
const values = bench.flags;
const quick = bench.quick;
const FRAMES = bench.number('frames', 600, 60);
const FPS = bench.number('fps', 30);
/**
 * Frames each side handles before a cost run's CPU window opens (--warmup; default: from the
 * second status line on). V8 tiers up per-frame code for about a minute at 30 fps (README,
 * "steady state"), so `--frames 2700 --warmup 1800` measures the steady state.
 */
const WARMUP_FRAMES = bench.number('warmup', 0);
/** Run a round's plain and protected pairs at the same time (each sender on core 0, receiver on core 1). */
const PAIRED = values.paired === true;
if (!Number.isInteger(WARMUP_FRAMES) || WARMUP_FRAMES < 0 || WARMUP_FRAMES + 60 > FRAMES) {
  bench.fail(`--warmup takes a whole number of frames, at most --frames - 60 (${FRAMES - 60})`);
}
const FORGED = bench.number('forged', 1_000_000, 20_000);
const PACKET_SIZE = 1400;
/** Seconds between the children's status lines (CPU samples); short in --quick, whose runs last 2 s. */
const STATUS_INTERVAL = quick ? '0.25' : '1';
const PARTS = new Set(bench.list('parts', 'micro,cost,forgery'));
const ROUNDS = bench.rounds(5, 1);
const CONFIGS = new Set(bench.list('configs', 'files,out,encode'));
const BATCH = 2000;
const SENDER_CORE = bench.core(0);
const RECEIVER_CORE = bench.core(1);

const work = path.join(os.tmpdir(), `udpcam-bench-secure-${process.pid}`);
rmSync(work, { recursive: true, force: true });
mkdirSync(work, { recursive: true });

// ---------------------------------------------------------------------------------------------
// 1. Per datagram, in process.

// See lib/secure-micro.ts.

// ---------------------------------------------------------------------------------------------
// 2. CPU per 720p frame.

interface Sample {
  cpuUs: number;
  frames: number;
}

/** Samples a child's CPU at each of its JSON status lines, with the frame count under `field`. */
function sampleAtStatus(child: Child, field: string, samples: Sample[]): void {
  const pattern = new RegExp(`"${field}":(\\d+)`);
  let partial = '';
  child.process.stdout!.on('data', (chunk: Buffer) => {
    const lines = (partial + chunk.toString()).split('\n');
    partial = lines.pop()!;
    for (const line of lines) {
      const match = pattern.exec(line);
      if (!match || !line.includes('"level":"status"')) continue;
      try {
        samples.push({ cpuUs: processCpuUs(child.process.pid!), frames: Number(match[1]) });
      } catch {
        // The process is gone (its last line): that sample is lost, the earlier ones stand.
      }
    }
  });
}

/** ΔCPU/Δframes from the second sample (or the first past --warmup) to the last (µs per frame). */
function perFrame(samples: readonly Sample[]): number | undefined {
  if (samples.length < 3) return undefined;
  const first = samples.slice(1).find((s) => s.frames >= WARMUP_FRAMES);
  if (first === undefined) return undefined;
  const last = samples.at(-1)!;
  return last.frames > first.frames ? (last.cpuUs - first.cpuUs) / (last.frames - first.frames) : undefined;
}

async function receivePort(child: Child): Promise<number> {
  return Number((await child.waitFor(/receiving on udp .*:(\d+)/, 20_000))[1]);
}

/** The sender's source: the 720p files as they are, or the test pattern encoded at 720p. */
type SenderSource = 'files' | 'encode';

function sendArgs(
  dir: string,
  port: number,
  frames: number,
  keyFile: string | undefined,
  source: SenderSource = 'files',
): string[] {
  return [
    'send',
    ...(source === 'files'
      ? ['--source', `dir:${dir}`, '--no-meta']
      : ['--source', 'test', '--size', '1280x720']),
    '--ip',
    '127.0.0.1',
    '--port',
    String(port),
    '--fps',
    String(FPS),
    '--frames',
    String(frames),
    '--packet_size',
    String(PACKET_SIZE),
    '--json',
    '--status-interval',
    STATUS_INTERVAL,
    ...(keyFile ? ['--key', keyFile] : []),
  ];
}

/** Which AEAD library both ends of a protected cost run use (UDPCAM_AEAD, read by the children). */
type Library = AeadName;
/** UDPCAM_AEAD for each library (openssl: unset, the default). */
const FORCE_AEAD: Record<Library, string | undefined> = {
  openssl: undefined,
  libsodium: 'libsodium',
  'node:crypto': 'node-crypto',
};
const LIBRARIES = bench.list('libraries', values.fallback ? 'openssl,node:crypto' : 'openssl') as Library[];
for (const library of LIBRARIES) {
  if (!AEAD_NAMES.includes(library)) bench.fail(`--libraries takes ${AEAD_NAMES.join(', ')}; not ${library}`);
}

/**
 * Starts one cost run; with `disk`, the receiver also writes every frame (--out, a scratch
 * folder). Both children are started with UDPCAM_AEAD set for `library`. Resolves once both run,
 * with the promise of the run's figures.
 */
async function startCostRun(
  frameDir: string,
  keyFile: string | undefined,
  source: SenderSource,
  disk: boolean,
  library: Library = 'openssl',
) {
  const out = path.join(work, `cost-out-${process.hrtime.bigint()}`);
  const loadAverage = os.loadavg()[0]!;
  // The children inherit this process's environment at spawn.
  const force = FORCE_AEAD[library];
  if (force === undefined) delete process.env.UDPCAM_AEAD;
  else process.env.UDPCAM_AEAD = force;
  const receiver = startUdpcam(
    [
      ...receiveArgs(0, STATUS_INTERVAL),
      ...(keyFile ? ['--key', keyFile] : []),
      ...(disk ? ['--out', out] : []),
    ],
    RECEIVER_CORE,
  );
  const receiverSamples: Sample[] = [];
  sampleAtStatus(receiver, 'frames', receiverSamples);
  const port = await receivePort(receiver);
  const sender = startUdpcam(sendArgs(frameDir, port, FRAMES, keyFile, source), SENDER_CORE);
  delete process.env.UDPCAM_AEAD;
  const senderSamples: Sample[] = [];
  sampleAtStatus(sender, 'framesSent', senderSamples);
  return { finished: finishCostRun() };

  async function finishCostRun() {
    await sender.exited;
    await sleep(1_500); // one more status line from the receiver with every frame in
    await receiver.stop('SIGINT');
    rmSync(out, { recursive: true, force: true });
    const framesReceived = receiverSamples.at(-1)?.frames ?? 0;
    return {
      protected: keyFile !== undefined,
      library: keyFile === undefined ? undefined : library,
      source,
      disk,
      loadAverage,
      framesSent: FRAMES,
      framesReceived,
      receiverCpuUsPerFrame: perFrame(receiverSamples),
      senderCpuUsPerFrame: perFrame(senderSamples),
    };
  }
}

type CostRun = Awaited<Awaited<ReturnType<typeof startCostRun>>['finished']>;

// ---------------------------------------------------------------------------------------------
// 3. Forgery.

async function forgeryRun(frameDir: string, frames: readonly Buffer[], keyFile: string, key: StreamKey) {
  const out = path.join(work, 'forgery-out');
  const receiver = startUdpcam(
    [
      'receive',
      '--port',
      '0',
      '--bind',
      '127.0.0.1',
      '--key',
      keyFile,
      '--out',
      out,
      '--http',
      '0',
      '--status-interval',
      '3600',
    ],
    RECEIVER_CORE,
  );
  const port = await receivePort(receiver);
  const base = (await receiver.waitFor(/live page (http:\/\/\S+)/))[1]!;
  const pid = receiver.process.pid!;
  const rssKb = () => (processMemory(pid).rssBytes ?? 0) / 1024;
  const rssBefore = rssKb();
  let rssPeak = rssBefore;
  const security = async () =>
    (
      (await (await fetch(`${base}api/receiver`)).json()) as {
        security: {
          opened: number;
          rejected: number;
          rejectedByReason: Record<string, number>;
          lateParity: number;
        };
      }
    ).security;

  // The relay: forwards the camera's datagrams and keeps them for the forger.
  const captured: Buffer[] = [];
  const relay = dgram.createSocket('udp4');
  relay.on('message', (datagram) => {
    relay.send(datagram, port, '127.0.0.1');
    if (captured.length < 20_000) captured.push(Buffer.from(datagram));
    else captured[Math.floor(Math.random() * captured.length)] = Buffer.from(datagram);
    relayed++;
  });
  let relayed = 0;
  relay.bind(0, '127.0.0.1');
  await once(relay, 'listening');
  // The spray keeps this process busy: a big buffer, so the relay itself loses no real datagram.
  relay.setRecvBufferSize(32 * 1024 * 1024);
  const spoofers = await Promise.all(
    Array.from({ length: 6 }, async () => {
      const socket = dgram.createSocket('udp4');
      socket.bind(0, '127.0.0.1');
      await once(socket, 'listening');
      return socket;
    }),
  );
  const sources = [relay, ...spoofers];

  const sender = startUdpcam(sendArgs(frameDir, relay.address().port, FRAMES, keyFile), SENDER_CORE);
  while (captured.length === 0) await sleep(5);
  const random = seededRandom(15);
  const int = (min: number, max: number) => min + Math.floor(random() * (max - min + 1));
  const otherKey = new StreamKey(generateKey());
  const otherSealer = new DatagramSealer(otherKey);
  const plainFrame = frames[0]!;
  let queue: Buffer[] = [];
  let imageId = 0;
  const forge = (): Buffer => {
    if (queue.length > 0) return queue.shift()!;
    const real = captured[int(0, captured.length - 1)]!;
    switch (int(0, 7)) {
      case 0: {
        const copy = Buffer.from(real);
        copy.writeUInt32BE(int(1, 0x1f_ffff), SECURE_COUNTER_OFFSET);
        for (let i = copy.length - 16; i < copy.length; i++) copy[i] = int(0, 255);
        return copy;
      }
      case 1: {
        const copy = Buffer.from(real);
        const bit = int(0, copy.length * 8 - 1);
        copy[bit >> 3]! ^= 1 << (bit & 7);
        return copy;
      }
      case 2:
        return Buffer.from(real.subarray(0, int(0, real.length - 1)));
      case 3:
        return real;
      case 4:
        return randomBytes(int(0, PACKET_SIZE));
      default: {
        const kind = int(0, 2);
        queue = chunkFrame(plainFrame, imageId++ % 100, PACKET_SIZE).map(([header, payload]) => {
          if (kind === 0) return Buffer.concat([header, payload]);
          const sealed = Buffer.concat(otherSealer.seal(header, payload));
          if (kind === 2) sealed.writeUInt32BE(key.id, SECURE_KEY_ID_OFFSET);
          return sealed;
        });
        return queue.shift()!;
      }
    }
  };

  const started = performance.now();
  const cpuBefore = processCpuUs(pid);
  let sent = 0;
  while (sent < FORGED) {
    const batch = Math.min(BATCH, FORGED - sent);
    for (let i = 0; i < batch; i++) sources[int(0, sources.length - 1)]!.send(forge(), port, '127.0.0.1');
    sent += batch;
    for (;;) {
      // A forgery with a real parity datagram's header may be dropped as late parity instead.
      const now = await security();
      if (now.rejected + now.lateParity >= sent) break;
      await sleep(2);
    }
    if (sent % 50_000 === 0) rssPeak = Math.max(rssPeak, rssKb());
  }
  const sprayMs = performance.now() - started;
  const sprayCpuUs = processCpuUs(pid) - cpuBefore;
  const senderDone = sender.process.exitCode ?? 'streaming';
  await sender.exited;
  await sleep(1_000);
  rssPeak = Math.max(rssPeak, rssKb());
  const final = await security();
  const [camera] = (await (await fetch(`${base}api/cameras`)).json()) as {
    stats: { framesDropped: number; droppedByReason: Record<string, number> };
  }[];
  await receiver.stop('SIGINT');
  for (const socket of sources) socket.close();

  // Every file written must be one of the frames sent, byte for byte.
  const sentSet = new Set(frames.map((frame) => frame.toString('base64')));
  let written = 0;
  let forgedFrames = 0;
  for (const camera of readdirSync(out)) {
    for (const name of readdirSync(path.join(out, camera))) {
      if (!name.endsWith('.jpg')) continue;
      written++;
      if (!sentSet.has(readFileSync(path.join(out, camera, name)).toString('base64'))) forgedFrames++;
    }
  }
  // Each frame's chunks and the parity datagrams of udpcam send's default --fec 0.1.
  const chunksOf = (f: Buffer) => Math.max(2, Math.ceil(f.length / PACKET_SIZE));
  const realParity = frames.reduce((n, f) => n + parityCount(chunksOf(f), 0.1), 0);
  return {
    forgedSent: FORGED,
    rejected: final.rejected,
    rejectedByReason: final.rejectedByReason,
    // Parity dropped unopened, its frame complete: real parity, and forgeries with a real header.
    lateParity: final.lateParity,
    realDatagramsRelayed: relayed,
    realParityExpected: realParity,
    realDatagramsExpected: frames.reduce((n, f) => n + chunksOf(f), realParity),
    realDatagramsOpened: final.opened,
    framesSent: FRAMES,
    framesWritten: written,
    forgedFrames,
    realFramesDroppedByReassembly: camera?.stats.droppedByReason,
    realFramesLost: FRAMES - (written - forgedFrames),
    senderStillStreamingAtSprayEnd: senderDone === 'streaming',
    sprayMs,
    forgedPerSecond: FORGED / (sprayMs / 1000),
    receiverCpuUsPerForged: sprayCpuUs / FORGED,
    rssBeforeMiB: rssBefore / 1024,
    rssPeakMiB: rssPeak / 1024,
  };
}

// ---------------------------------------------------------------------------------------------

const micro = PARTS.has('micro')
  ? perDatagramFigures(quick ? 5 : 15, quick ? 4_000 : 20_000, PACKET_SIZE)
  : undefined;
if (micro) {
  console.log(
    `\nPer datagram (${PACKET_SIZE}-byte payload), CPU µs per call in this process: median of ${micro.rounds} interleaved rounds of ${count(micro.callsPerRound)} calls (quartiles):`,
  );
  for (const [side, rows] of [
    ['seal', micro.seal],
    ['open', micro.open],
  ] as const) {
    console.log(
      table(
        [side, 'library', 'AEAD', 'µs', 'quartiles'],
        rows.map((r) => [
          r.variant,
          r.library,
          r.cipher,
          fixed(r.us, 2),
          `${fixed(r.q1, 2)}–${fixed(r.q3, 2)}`,
        ]),
      ),
    );
  }
}

const images = await Promise.all([1, 2, 3, 4, 5].map((seed) => encodeWebcamJpeg(1280, 720, seed)));
const frameDir = path.join(work, 'frames');
writeFrameDir(frameDir, images, FRAMES);
const frames = readdirSync(frameDir)
  .sort()
  .map((name) => readFileSync(path.join(frameDir, name)));
const keyFile = path.join(work, 'cam.key');
const secret = generateKey();
writeFileSync(keyFile, formatKeyFile(secret), { mode: 0o600 });
const key = new StreamKey(secret);
const meanBytes = images.reduce((n, image) => n + image.length, 0) / images.length;
console.log(
  `\n720p frames: ${count(meanBytes)} bytes on average, ${fixed(meanBytes / PACKET_SIZE, 0)} datagrams of ${PACKET_SIZE} bytes; ${FRAMES} frames at ${FPS} fps${bench.pin ? ', sender on core 0, receiver on core 1' : ''}`,
);

const cost: ({ round: number } & CostRun)[] = [];
const configs = PARTS.has('cost')
  ? (
      [
        ['files', false, 'files'],
        ['files', true, 'out'],
        ['encode', false, 'encode'],
      ] as const
    ).filter(([, , name]) => CONFIGS.has(name))
  : [];
for (const [source, disk] of configs) {
  for (let round = 0; round < ROUNDS; round++) {
    // Plain and protected runs alternate, so drift in the machine's load falls on both; with
    // --paired they run at the same time, sharing the two cores, and meet the same drift.
    const runs: Promise<CostRun>[] = [];
    for (const library of [undefined, ...LIBRARIES]) {
      const started = await startCostRun(frameDir, library && keyFile, source, disk, library);
      runs.push(started.finished);
      if (!PAIRED) await started.finished;
    }
    for (const run of await Promise.all(runs)) {
      const { library } = run;
      cost.push({ round, ...run });
      console.log(
        `  ${round + 1}/${ROUNDS} ${source === 'files' ? 'files  ' : 'encoded'}${disk ? ' --out' : '      '} ${(library ?? 'plain').padEnd(11)}  receiver ${fixed(run.receiverCpuUsPerFrame ?? Number.NaN, 0)} µs/frame, sender ${fixed(run.senderCpuUsPerFrame ?? Number.NaN, 0)} µs/frame, frames ${run.framesReceived}/${run.framesSent}, load ${fixed(run.loadAverage, 1)}`,
      );
    }
  }
}
/** Keys of the summary and ratios: openssl's are unsuffixed (`receiverProtectedUs`, `receiver`). */
const LIBRARY_SUFFIX: Record<Library, string> = {
  openssl: '',
  libsodium: 'Libsodium',
  'node:crypto': 'NodeCrypto',
};
const defined = (list: (number | undefined)[]) =>
  list.filter((v): v is number => v !== undefined && Number.isFinite(v));
/**
 * The runs of a configuration (`library` undefined: plain), in round order; `disk` undefined takes
 * the runs with and without --out (the sender's work is the same in both).
 */
const runsOf = (source: SenderSource, library: Library | undefined, disk: boolean | undefined) =>
  cost.filter((r) => r.source === source && r.library === library && (disk === undefined || r.disk === disk));
type Side = 'receiverCpuUsPerFrame' | 'senderCpuUsPerFrame';
/** Median CPU µs per frame of one side over the rounds of a configuration. */
const figure = (source: SenderSource, side: Side, library: Library | undefined, disk: boolean | undefined) =>
  median(defined(runsOf(source, library, disk).map((r) => r[side])));
/** Each round's protected / plain ratio (the two ran back to back). */
const roundRatios = (source: SenderSource, side: Side, library: Library, disk: boolean | undefined) => {
  const plain = runsOf(source, undefined, disk);
  return defined(
    runsOf(source, library, disk).map((r) => {
      const base = plain.find((p) => p.round === r.round && p.disk === r.disk)?.[side];
      return base === undefined || r[side] === undefined ? undefined : r[side]! / base;
    }),
  );
};
const rows = [
  ['receiver (no sink)', 'receiver', 'files', 'receiverCpuUsPerFrame', false],
  ['receiver --out (writes every frame)', 'diskReceiver', 'files', 'receiverCpuUsPerFrame', true],
  [
    'sender, files as they are (runs with and without --out)',
    'sender',
    'files',
    'senderCpuUsPerFrame',
    undefined,
  ],
  ['sender, encoding 720p', 'encodingSender', 'encode', 'senderCpuUsPerFrame', false],
] as const;
const measuredRows = rows.filter(([, , source, , disk]) => runsOf(source, undefined, disk).length > 0);
const summary: Record<string, number> = {};
/** Median of the per-round ratios, and their range. */
const ratios: Record<string, { median: number; min: number; max: number; rounds: number }> = {};
for (const [, name, source, side, disk] of measuredRows) {
  summary[`${name}PlainUs`] = figure(source, side, undefined, disk);
  for (const library of LIBRARIES) {
    const suffix = LIBRARY_SUFFIX[library];
    summary[`${name}${suffix || 'Protected'}Us`] = figure(source, side, library, disk);
    const list = roundRatios(source, side, library, disk);
    ratios[`${name}${suffix}`] = {
      median: median(list),
      min: Math.min(...list),
      max: Math.max(...list),
      rounds: list.length,
    };
  }
}
const loads = cost.map((r) => r.loadAverage);
if (measuredRows.length > 0) {
  const ratioText = (key: string) => {
    const r = ratios[key]!;
    return `${fixed(r.median, 3)} (${fixed(r.min, 2)}–${fixed(r.max, 2)})`;
  };
  console.log(
    `\nMedians over ${ROUNDS} rounds; ratio: median of the rounds' protected / plain (range); load average ${fixed(Math.min(...loads), 1)}–${fixed(Math.max(...loads), 1)} on ${os.cpus().length} cores`,
  );
  console.log(
    table(
      [
        '720p, CPU per frame',
        'plain µs',
        ...LIBRARIES.flatMap((library) => [`${library} µs`, 'ratio (goal ≤ 1.15)']),
      ],
      measuredRows.map(([label, name]) => [
        label,
        fixed(summary[`${name}PlainUs`]!, 0),
        ...LIBRARIES.flatMap((library) => {
          const suffix = LIBRARY_SUFFIX[library];
          return [fixed(summary[`${name}${suffix || 'Protected'}Us`]!, 0), ratioText(`${name}${suffix}`)];
        }),
      ]),
    ),
  );
}

if (PARTS.has('forgery')) {
  console.log(
    `\nForgery: ${count(FORGED)} forged datagrams while a protected 720p camera streams ${FRAMES} frames…`,
  );
}
const forgery = PARTS.has('forgery') ? await forgeryRun(frameDir, frames, keyFile, key) : undefined;
if (forgery) {
  console.log(
    table(
      [
        'forged sent',
        'rejected',
        'late parity',
        'forged frames',
        'real frames lost',
        'forged/s',
        'receiver µs/forged',
        'RSS before → peak MiB',
      ],
      [
        [
          count(forgery.forgedSent),
          count(forgery.rejected),
          count(forgery.lateParity),
          String(forgery.forgedFrames),
          String(forgery.realFramesLost),
          count(forgery.forgedPerSecond),
          fixed(forgery.receiverCpuUsPerForged, 1),
          `${fixed(forgery.rssBeforeMiB)} → ${fixed(forgery.rssPeakMiB)}`,
        ],
      ],
    ),
  );
  console.log(`rejected by reason: ${JSON.stringify(forgery.rejectedByReason)}`);
}

rmSync(work, { recursive: true, force: true });
await bench.save({
  settings: {
    frames: FRAMES,
    fps: FPS,
    forged: FORGED,
    packetSize: PACKET_SIZE,
    rounds: ROUNDS,
    warmupFrames: WARMUP_FRAMES,
    paired: PAIRED,
    meanFrameBytes: meanBytes,
  },
  perDatagram: micro,
  cost: { runs: cost, summary, ratios },
  forgery,
});
