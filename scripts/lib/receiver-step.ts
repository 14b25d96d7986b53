/**
 * One step of bench-receiver: the load generator child sends at one target rate for a fixed time
 * into the receiver child, and the step reports what the receiver made of it (datagrams, frames
 * checked intact, CPU, GC, the socket's queue and the kernel's UDP errors from /proc).
 */
import { readdir, unlink } from 'node:fs/promises';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import type { ChildWorker } from './ipc.js';
import type { LoadCommand, LoadReport } from './load-child.js';
import { snmpDelta, socketQueue, udpSnmp } from './proc.js';
import type { Phase } from './rate-search.js';
import type { ReceiverCommand, ReceiverCounts } from './receiver-child.js';
import { count, fixed, sleep } from './report.js';

/** What the receiver child runs: a bare dgram socket, udpcam's Receiver, or Receiver + DiskSink. */
export type Mode = 'bare' | 'udpcam' | 'disk';
export const MODES: readonly Mode[] = ['bare', 'udpcam', 'disk'];
/** How long the receiver may keep draining its socket buffer after the generator stopped, ms. */
const MAX_DRAIN_MS = 3_000;
/** A receiver whose count has not moved for this long has drained what it will get, ms. */
const SETTLED_MS = 60;
/** How often the receiving socket's queue is sampled during a step, ms. */
const QUEUE_SAMPLE_MS = 10;

/** The two children and what a step needs to know of them. */
export interface Rig {
  mode: Mode;
  receiver: ChildWorker<ReceiverCommand>;
  load: ChildWorker<LoadCommand>;
  port: number;
  diskDir: string | undefined;
}

/** Deletes the frames a disk-mode step wrote, keeping the folders (the sink remembers them). */
async function deleteFrames(dir: string): Promise<void> {
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isDirectory()) await unlink(path.join(entry.parentPath, entry.name)).catch(() => {});
  }
}

/** One line of figures for a step, as it is printed. */
function describe(step: Step): string {
  const frames =
    step.mode === 'bare'
      ? ''
      : `, frames ${count(step.framesComplete)}/${count(step.framesSent)}` +
        `${step.framesCorrupt ? ` + ${count(step.framesCorrupt)} CORRUPT` : ''}`;
  const disk = step.disk
    ? `, disk ${count(step.disk.written)} written ${count(step.disk.skipped)} skipped ${count(step.disk.failed)} failed`
    : '';
  return (
    `achieved ${count(step.achievedRate)}/s, received ${fixed(step.receivedPercent, 2)}%${frames}, ` +
    `cpu ${fixed(step.receiverCpuCores, 2)} cores (${fixed(step.receiverCpuUsPerDatagram, 2)} µs/datagram), ` +
    `gc ${fixed(step.gcMs, 0)} ms (max ${fixed(step.gcMaxMs, 1)})${disk}` +
    `${step.peakQueuedBytes === undefined ? '' : `, peak queue ${count(step.peakQueuedBytes / 1024)} KiB`}` +
    `${step.kernelRcvbufErrors ? `, kernel RcvbufErrors ${count(step.kernelRcvbufErrors)}` : ''}` +
    ` -> ${step.lossless ? 'no loss' : 'LOSS'}`
  );
}

/** Runs one step of `ms` at `rate` datagrams/s and prints its figures. */
export async function runStep(rig: Rig, phase: Phase, rate: number, ms: number) {
  const { mode, receiver, load, diskDir } = rig;
  process.stdout.write(`[${mode}] ${phase} ${count(rate)} datagrams/s for ${ms} ms ... `);
  const snmpBefore = udpSnmp();
  const queueBefore = socketQueue(rig.port);
  let peakQueuedBytes = queueBefore?.queuedBytes;
  const sampler = setInterval(() => {
    const queue = socketQueue(rig.port);
    if (queue && peakQueuedBytes !== undefined && queue.queuedBytes > peakQueuedBytes) {
      peakQueuedBytes = queue.queuedBytes;
    }
  }, QUEUE_SAMPLE_MS);
  let report: LoadReport;
  try {
    await receiver.request({ type: 'reset' });
    report = await load.request<LoadReport>({ type: 'run', rate, durationMs: ms }, ms + 30_000);
    // Let the receiver drain its socket buffer: done when it has everything or stops moving.
    const drainUntil = performance.now() + MAX_DRAIN_MS;
    let polled = await receiver.request<ReceiverCounts>({ type: 'poll' });
    while (polled.datagrams < report.sent && performance.now() < drainUntil) {
      await sleep(SETTLED_MS);
      const next = await receiver.request<ReceiverCounts>({ type: 'poll' });
      if (next.datagrams === polled.datagrams) break;
      polled = next;
    }
  } finally {
    clearInterval(sampler);
  }
  const counts = await receiver.request<ReceiverCounts>({ type: 'stop' }, 60_000);
  const snmpAfter = udpSnmp();
  const queueAfter = socketQueue(rig.port);
  if (diskDir) await deleteFrames(diskDir);

  const seconds = report.elapsedMs / 1000;
  const { cpuUs } = counts;
  const intact = counts.frames - counts.framesCorrupt;
  const lossless =
    counts.datagrams >= report.sent &&
    (mode === 'bare' || (intact >= report.frames && counts.framesCorrupt === 0));
  const step = {
    mode,
    phase,
    targetRate: rate,
    achievedRate: report.sent / seconds,
    sent: report.sent,
    received: counts.datagrams,
    receivedPercent: (100 * counts.datagrams) / report.sent,
    framesSent: report.frames,
    /** Frames emitted intact (checked against the generator's bytes), and with the wrong bytes. */
    framesComplete: intact,
    framesCorrupt: counts.framesCorrupt,
    framesDropped: counts.framesDropped,
    lossless,
    /** Receiver CPU time / generator's sending time: 1.0 = one core fully busy. */
    receiverCpuCores: cpuUs / 1e6 / seconds,
    receiverCpuUsPerDatagram: cpuUs / Math.max(1, counts.datagrams),
    framesPerSecond: counts.frames / seconds,
    payloadMBPerSecond: (counts.bytes - counts.datagrams * 5) / 1e6 / seconds,
    generatorCpuCores: report.cpuUs / 1e6 / seconds,
    generatorMaxLagMs: report.maxLagMs,
    sendErrors: report.sendErrors,
    /** The kernel's UDP RcvbufErrors and InErrors over the step (whole machine, /proc/net/snmp). */
    kernelRcvbufErrors: snmpDelta(snmpBefore, snmpAfter, 'RcvbufErrors'),
    kernelInErrors: snmpDelta(snmpBefore, snmpAfter, 'InErrors'),
    /** Most bytes seen waiting in the receiving socket (sampled every QUEUE_SAMPLE_MS), and its drops. */
    peakQueuedBytes,
    socketDrops: queueBefore && queueAfter ? queueAfter.drops - queueBefore.drops : undefined,
    gcCount: counts.gcCount,
    gcMs: counts.gcMs,
    gcMaxMs: counts.gcMaxMs,
    disk: counts.disk,
  };
  console.log(describe(step));
  return step;
}
/** One paced run at one target rate and what the receiver made of it. */
export type Step = Awaited<ReturnType<typeof runStep>>;
