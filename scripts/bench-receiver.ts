/**
 * The real receiver over loopback: the highest datagram rate it takes with no loss on one core,
 * next to a bare dgram socket that only counts datagrams, measured in the same run.
 *
 * Two child processes, each pinned to its own core with `taskset` when it exists: on core 1 the
 * receiver (lib/receiver-child.ts) in mode bare, udpcam or disk (a scratch folder under
 * os.tmpdir(), removed after); on core 0 the load generator (lib/load-child.ts), paced to a target
 * datagram rate for a fixed time. Traffic goes to 127.0.0.1 only. Loss is fewer datagrams received
 * than sent, or for udpcam fewer frames intact than sent (every frame is checked against the
 * generator's bytes); lib/rate-search.ts steps the rate up to the first loss and narrows it.
 *
 *   node build/scripts/bench-receiver.js [--quick] [--duration-ms 3000] [--rates 50000,100000,...]
 *        [--modes bare,udpcam,disk] [--refine 2] [--packet-size 1400] [--max-total-s 600]
 *        [--disk-dir /dev/shm]  (parent of disk mode's scratch folder, here on tmpfs; default os.tmpdir())
 *        [--profile-dir DIR]   (the receiver child runs with node --cpu-prof, one profile per mode)
 *
 * Prints figures and writes bench-results/receiver.json; it asserts nothing.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { startBench } from './lib/harness.js';
import { ChildWorker } from './lib/ipc.js';
import type { LoadCommand, LoadReady } from './lib/load-child.js';
import { pinSelf } from './lib/pin.js';
import { searchLosslessRate } from './lib/rate-search.js';
import type { ReceiverCommand, ReceiverReady } from './lib/receiver-child.js';
import { type ModeResult, reportModes } from './lib/receiver-report.js';
import { MODES, type Mode, type Rig, runStep } from './lib/receiver-step.js';
import { count, fixed, sleep } from './lib/report.js';

/**
 * Pause after a lossy step, ms: longer than the assembler's frame timeout (500 ms) plus its expiry
 * interval, so partial frames left by the loss expire instead of meeting the next step's frames.
 */
const SETTLE_AFTER_LOSS_MS = 700;

const bench = startBench('receiver', {
  'duration-ms': { type: 'string' },
  rates: { type: 'string' },
  modes: { type: 'string' },
  refine: { type: 'string' },
  'packet-size': { type: 'string' },
  'max-total-s': { type: 'string' },
  'profile-dir': { type: 'string' },
  'disk-dir': { type: 'string' },
});
const flags = bench.flags;
const quick = bench.quick;
const durationMs = bench.number('duration-ms', 3_000, 300);
const rates = bench
  .list('rates', '50000,100000,150000,200000,250000,300000,350000,400000', '20000,40000')
  .map(Number);
const modes = bench.list('modes', MODES.join(',')) as Mode[];
const refineSteps = Number(flags.refine ?? (quick ? 0 : 2));
const packetSize = bench.number('packet-size', 1400);
const maxTotalMs = bench.number('max-total-s', 600, 30) * 1000;
const diskParent = path.resolve(flags['disk-dir'] ?? os.tmpdir());
const profileDir = flags['profile-dir'] === undefined ? undefined : path.resolve(flags['profile-dir']);
if (rates.some((rate) => !(rate > 0))) bench.fail('--rates takes positive numbers');
for (const mode of modes) if (!MODES.includes(mode)) bench.fail(`unknown mode ${mode}`);

const LOAD_SCRIPT = fileURLToPath(new URL('lib/load-child.js', import.meta.url));
const RECEIVER_SCRIPT = fileURLToPath(new URL('lib/receiver-child.js', import.meta.url));
const benchStarted = performance.now();

const outOfTime = () => performance.now() - benchStarted > maxTotalMs;

async function benchMode(mode: Mode, load: ChildWorker<LoadCommand>): Promise<ModeResult> {
  const diskDir = mode === 'disk' ? await mkdtemp(path.join(diskParent, 'udpcam-bench-')) : undefined;
  const nodeFlags = profileDir
    ? ['--cpu-prof', '--cpu-prof-dir', profileDir, '--cpu-prof-name', `receiver-${mode}.cpuprofile`]
    : [];
  const args = diskDir ? [mode, diskDir] : [mode];
  const receiver = new ChildWorker<ReceiverCommand>(RECEIVER_SCRIPT, args, bench.core(1), { nodeFlags });
  try {
    const ready = await receiver.next<ReceiverReady>(30_000);
    await load.request({ type: 'connect', port: ready.port });
    console.log(
      `\n[${mode}] receiver on 127.0.0.1:${ready.port}, receive buffer granted ${count(ready.recvBufferBytes)} bytes` +
        `${ready.recvBufferCappedBy ? ` (capped by net.core.rmem_max = ${count(ready.recvBufferCappedBy)})` : ''}` +
        `${diskDir ? `, frames to ${diskDir}` : ''}`,
    );
    const rig: Rig = { mode, receiver, load, port: ready.port, diskDir };
    const { runs, ...outcome } = await searchLosslessRate(
      async (phase, rate) => {
        // The warm-up's JIT, heap and socket buffer pages need no more than 2 s.
        const ms = phase === 'warm-up' ? Math.min(durationMs, 2_000) : durationMs;
        const step = await runStep(rig, phase, rate, ms);
        if (!step.lossless && mode !== 'bare') await sleep(SETTLE_AFTER_LOSS_MS);
        return step;
      },
      { rates, refineSteps, quick, outOfTime, label: `[${mode}]` },
    );
    return {
      mode,
      recvBufferBytes: ready.recvBufferBytes,
      recvBufferCappedBy: ready.recvBufferCappedBy,
      steps: runs,
      ...outcome,
    };
  } finally {
    await receiver.close();
    if (diskDir) await rm(diskDir, { recursive: true, force: true });
  }
}

// This process only waits and samples: keep it off the receiver's core.
pinSelf(bench.core(0));
console.log(
  `bench-receiver${quick ? ' --quick' : ''}: modes ${modes.join(', ')}; rates ${rates.map(count).join(', ')} datagrams/s; ` +
    `${durationMs} ms per step; ${bench.pin ? 'receiver pinned to core 1, generator to core 0 (taskset)' : 'processes NOT pinned (--unpinned, no taskset or one core)'}`,
);
const load = new ChildWorker<LoadCommand>(LOAD_SCRIPT, [String(packetSize)], bench.core(0));
const results: ModeResult[] = [];
let loadReady: LoadReady;
try {
  loadReady = await load.next<LoadReady>(60_000);
  console.log(
    `generator: ${loadReady.frames} frames of ~${count(loadReady.frameBytes)} bytes, ` +
      `${fixed(loadReady.datagramsPerFrame, 1)} datagrams each (packet size ${packetSize}, so at most ` +
      `${loadReady.datagramBytes} bytes a datagram), encoded in ${fixed(loadReady.encodeMs, 0)} ms`,
  );
  for (const mode of modes) {
    if (outOfTime()) break;
    results.push(await benchMode(mode, load));
  }
} finally {
  await load.close();
}

await bench.save({
  options: { durationMs, rates, modes, refineSteps, packetSize, maxTotalMs },
  generator: loadReady!,
  ...reportModes(results, rates),
  modes: results,
});
