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
import { MODES, type Mode } from './receiver-step.js';

const mode = process.argv[2] as Mode;
const diskDir = process.argv[3];
if (!MODES.includes(mode)) throw new Error(`unknown mode ${mode}`);
if (mode === 'disk' && !diskDir) throw new Error('disk mode needs a folder');

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

let frames = 0;
let framesCorrupt = 0;
let sink: DiskSink | undefined;

/** Opens the receiving end: its port and buffer, what it counted since the start, how to close it. */
async function open() {
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
    return {
      port: bound.socket.address().port,
      /** Receive buffer the kernel granted (as getsockopt reports it: twice what it books). */
      recvBufferBytes: bound.recvBufferBytes,
      recvBufferCappedBy: bound.cappedBy,
      received: () => ({ datagrams, bytes, framesDropped: 0 }),
      close: () => new Promise<void>((resolve) => bound.socket.close(() => resolve())),
    };
  }
  // The generator's frames, to check every reassembled frame against (same seeds, same bytes).
  const pool = testFrames(POOL_FRAMES);
  const receiver = await Receiver.open({ port: 0, host: '127.0.0.1' });
  if (mode === 'disk') {
    sink = new DiskSink({ dir: diskDir! });
    receiver.addSink(sink);
  }
  receiver.on('frame', (frame) => {
    frames++;
    if (!isFrameIntact(frame.data, pool)) framesCorrupt++;
  });
  return {
    port: receiver.address.port,
    recvBufferBytes: receiver.recvBufferBytes,
    recvBufferCappedBy: receiver.recvBufferCappedBy,
    received: () => {
      const { datagrams, bytes, framesDropped } = receiver.stats().totals;
      return { datagrams, bytes, framesDropped };
    },
    close: () => receiver.close(),
  };
}

const { received, close, ...opened } = await open();
const ready = { type: 'ready' as const, ...opened };
/** This child's first message, once it is ready. */
export type ReceiverReady = typeof ready;
/** Commands this child understands. */
export type ReceiverCommand = { type: 'reset' } | { type: 'poll' } | { type: 'stop' } | { type: 'exit' };

/** Every counter since the start: a reset keeps a copy, and a report is the difference. */
function totals() {
  const { written, skipped, failed } = sink?.stats ?? { written: 0, skipped: 0, failed: 0 };
  return { ...received(), frames, framesCorrupt, gcCount, gcMs, written, skipped, failed };
}
function minus<T extends Record<string, number>>(now: T, base: T): T {
  return Object.fromEntries(Object.entries(now).map(([key, value]) => [key, value - base[key]!])) as T;
}

let base = totals();
let cpuBase = process.cpuUsage();

/** Counts since the last reset (`final`: with the disk's, once its writes are flushed). */
async function counts(final: boolean) {
  const flushStarted = performance.now();
  if (final) await sink?.flush();
  const flushMs = performance.now() - flushStarted;
  const { written, skipped, failed, ...since } = minus(totals(), base);
  const cpu = process.cpuUsage(cpuBase);
  return {
    type: 'counts' as const,
    // framesCorrupt: frames emitted whose bytes are not the frame sent (stitched from two frames).
    ...since,
    /** CPU time of the whole receiver process (all threads), µs. */
    cpuUs: cpu.user + cpu.system,
    gcMaxMs,
    ...(final && sink ? { disk: { written, skipped, failed, flushMs } } : {}),
  };
}

export type ReceiverCounts = Awaited<ReturnType<typeof counts>>;

process.on('message', async (command: ReceiverCommand & { id: number }) => {
  const { id } = command;
  switch (command.type) {
    case 'reset':
      base = totals();
      cpuBase = process.cpuUsage();
      gcMaxMs = 0;
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
