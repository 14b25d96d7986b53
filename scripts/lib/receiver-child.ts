/**
 * bench-receiver's receiving end (a child process, pinned to one core by the parent), bound to
 * 127.0.0.1 on an ephemeral port, in one of three modes:
 *   bare    a dgram socket (set up by the receiver's own bindUdpSocket) whose 'message' handler
 *           only counts: the most Node can receive on this core, the yardstick;
 *   udpcam  Receiver.open() with no sinks, frames counted through receiver.on('frame') and
 *           checked against the generator's (same seeds, same bytes: see isFrameIntact);
 *   disk    the same with a DiskSink writing every frame under `diskDir`.
 * It reports counts and its own CPU time (process.cpuUsage: every thread) when asked.
 *
 *   node build/scripts/lib/receiver-child.js bare|udpcam|disk [diskDir]   (driven over IPC)
 */
import { PerformanceObserver, performance } from 'node:perf_hooks';
import { bindUdpSocket, DEFAULT_RECEIVER_OPTIONS, DiskSink, Receiver } from '@udpcam/receiver';
import { isFrameIntact, POOL_FRAMES, testFrames } from './frames.js';
import type { ReceiverCommand, ReceiverCounts, ReceiverReady } from './ipc.js';

type Mode = 'bare' | 'udpcam' | 'disk';

const mode = process.argv[2] as Mode;
const diskDir = process.argv[3];
if (mode !== 'bare' && mode !== 'udpcam' && mode !== 'disk') throw new Error(`unknown mode ${mode}`);
if (mode === 'disk' && !diskDir) throw new Error('disk mode needs a folder');

interface Totals {
  datagrams: number;
  bytes: number;
  frames: number;
  frameBytes: number;
  framesCorrupt: number;
  framesDropped: number;
}

let gcCount = 0;
let gcMs = 0;
let gcMaxMs = 0;
new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) {
    gcCount++;
    gcMs += entry.duration;
    if (entry.duration > gcMaxMs) gcMaxMs = entry.duration;
  }
}).observe({ entryTypes: ['gc'] });

let totals: () => Totals;
let ready: ReceiverReady;
let close: () => Promise<void>;
let sink: DiskSink | undefined;

if (mode === 'bare') {
  const bound = await bindUdpSocket({
    port: 0,
    host: '127.0.0.1',
    recvBufferBytes: DEFAULT_RECEIVER_OPTIONS.recvBufferBytes,
  });
  let datagrams = 0;
  let bytes = 0;
  bound.socket.on('message', (datagram) => {
    datagrams++;
    bytes += datagram.length;
  });
  totals = () => ({ datagrams, bytes, frames: 0, frameBytes: 0, framesCorrupt: 0, framesDropped: 0 });
  ready = {
    type: 'ready',
    port: bound.socket.address().port,
    recvBufferBytes: bound.recvBufferBytes,
    recvBufferCappedBy: bound.cappedBy,
  };
  close = () => new Promise((resolve) => bound.socket.close(() => resolve()));
} else {
  // The generator's frames, to check every reassembled frame against (same seeds, same bytes).
  const pool = testFrames(POOL_FRAMES);
  const receiver = await Receiver.open({ port: 0, host: '127.0.0.1' });
  if (mode === 'disk') {
    sink = new DiskSink({ dir: diskDir! });
    receiver.addSink(sink);
  }
  let frames = 0;
  let frameBytes = 0;
  let framesCorrupt = 0;
  receiver.on('frame', (frame) => {
    frames++;
    frameBytes += frame.data.length;
    if (!isFrameIntact(frame.data, pool)) framesCorrupt++;
  });
  totals = () => {
    const { datagrams, bytes, framesDropped } = receiver.stats().totals;
    return { datagrams, bytes, frames, frameBytes, framesCorrupt, framesDropped };
  };
  ready = {
    type: 'ready',
    port: receiver.address.port,
    recvBufferBytes: receiver.recvBufferBytes,
    recvBufferCappedBy: receiver.recvBufferCappedBy,
  };
  close = () => receiver.close();
}

let base = totals();
let cpuBase = process.cpuUsage();
let wallBase = performance.now();
let gcBase = { gcCount, gcMs };
let diskBase = { written: 0, skipped: 0, failed: 0 };

function reset(): void {
  base = totals();
  cpuBase = process.cpuUsage();
  wallBase = performance.now();
  gcBase = { gcCount, gcMs };
  gcMaxMs = 0;
  if (sink)
    diskBase = { written: sink.stats.written, skipped: sink.stats.skipped, failed: sink.stats.failed };
}

async function counts(final: boolean): Promise<ReceiverCounts> {
  let disk: ReceiverCounts['disk'];
  if (final && sink) {
    const flushStarted = performance.now();
    await sink.flush();
    disk = {
      written: sink.stats.written - diskBase.written,
      skipped: sink.stats.skipped - diskBase.skipped,
      failed: sink.stats.failed - diskBase.failed,
      flushMs: performance.now() - flushStarted,
    };
  }
  const now = totals();
  const cpu = process.cpuUsage(cpuBase);
  return {
    type: 'counts',
    datagrams: now.datagrams - base.datagrams,
    bytes: now.bytes - base.bytes,
    frames: now.frames - base.frames,
    frameBytes: now.frameBytes - base.frameBytes,
    framesCorrupt: now.framesCorrupt - base.framesCorrupt,
    framesDropped: now.framesDropped - base.framesDropped,
    cpuUserUs: cpu.user,
    cpuSystemUs: cpu.system,
    wallMs: performance.now() - wallBase,
    gcCount: gcCount - gcBase.gcCount,
    gcMs: gcMs - gcBase.gcMs,
    gcMaxMs,
    ...(disk ? { disk } : {}),
  };
}

process.on('message', async (command: ReceiverCommand & { id: number }) => {
  const { id } = command;
  switch (command.type) {
    case 'reset':
      reset();
      process.send!({ type: 'reset', id });
      break;
    case 'poll':
      process.send!({ ...(await counts(false)), id });
      break;
    case 'stop':
      process.send!({ ...(await counts(true)), id });
      break;
    case 'exit':
      await close();
      process.exit(0);
  }
});
process.on('disconnect', () => process.exit(0));
process.send!(ready);
