/**
 * bench-receiver's load generator (a child process, pinned to its own core by the parent): sends
 * pre-built ~60 kB JPEG frames as datagrams of `packetSize` payload bytes + 5 header bytes, to
 * 127.0.0.1 only, at a target datagram rate for a fixed time, then reports what it managed.
 *
 * Pacing is fine-grained: it sends in batches of at most MAX_BATCH datagrams, each time catching
 * up to `rate x elapsed` on the high-resolution clock, and spins (yielding to the event loop every
 * SLICE_MS) when ahead. A run ends at a frame boundary, so it only ever sends whole frames.
 *
 *   node build/scripts/lib/load-child.js [packetSize]   (a ChildWorker: see ipc.ts)
 */
import dgram from 'node:dgram';
import { performance } from 'node:perf_hooks';
import { frameDatagrams, POOL_FRAMES, testFrames } from './frames.js';

/** Most datagrams sent back to back before the clock is read again. */
const MAX_BATCH = 8;
/** Longest stretch of sending or spinning before the event loop gets a turn, ms. */
const SLICE_MS = 2;
/** Longest run accepted, ms: every run is bounded. */
const MAX_DURATION_MS = 60_000;

const packetSize = Number(process.argv[2] ?? 1400);
const encodeStarted = performance.now();
const frames = testFrames(POOL_FRAMES);
const encodeMs = performance.now() - encodeStarted;
const byFrame = frames.map((frame, index) => frameDatagrams(frame, index % 100, packetSize));
const datagrams = byFrame.flat();
/** 1 at the last datagram of a frame. */
const frameEnds = byFrame.flatMap((chunks) =>
  chunks.map((_, chunkId) => (chunkId === chunks.length - 1 ? 1 : 0)),
);

let socket: dgram.Socket | undefined;
let sendErrors = 0;
/** Where the next run goes on in the pool: image ids keep cycling from run to run. */
let position = 0;

async function connect(port: number): Promise<void> {
  if (socket) await new Promise<void>((resolve) => socket!.close(() => resolve()));
  const next = dgram.createSocket('udp4');
  next.on('error', () => {
    sendErrors++;
  });
  await new Promise<void>((resolve) => next.connect(port, '127.0.0.1', () => resolve()));
  socket = next;
}

/** Sends at `rate` datagrams/s for `durationMs` (then to the end of the frame in progress). */
async function run(rate: number, durationMs: number) {
  const target = socket!;
  const perMs = rate / 1000;
  const duration = Math.min(durationMs, MAX_DURATION_MS);
  const length = datagrams.length;
  const errorsBefore = sendErrors;
  const cpuBefore = process.cpuUsage();
  let sent = 0;
  let framesSent = 0;
  let atFrameStart = true;
  let maxLagMs = 0;
  const started = performance.now();
  await new Promise<void>((resolve) => {
    const tick = () => {
      const sliceEnd = performance.now() + SLICE_MS;
      for (;;) {
        const now = performance.now();
        const elapsed = now - started;
        if (atFrameStart && elapsed >= duration) return resolve();
        const owed = Math.floor(elapsed * perMs) + 1 - sent;
        if (owed > 0) {
          const lag = owed / perMs;
          if (lag > maxLagMs) maxLagMs = lag;
          for (let batch = Math.min(owed, MAX_BATCH); batch > 0; batch--) {
            target.send(datagrams[position]!);
            sent++;
            atFrameStart = frameEnds[position] === 1;
            if (atFrameStart) framesSent++;
            if (++position === length) position = 0;
            if (atFrameStart && elapsed >= duration) break;
          }
        }
        if (now >= sliceEnd) break;
      }
      setImmediate(tick);
    };
    tick();
  });
  const elapsedMs = performance.now() - started;
  const cpu = process.cpuUsage(cpuBefore);
  return {
    type: 'report' as const,
    sent,
    frames: framesSent,
    /** From the start to the last send, ms. */
    elapsedMs,
    sendErrors: sendErrors - errorsBefore,
    cpuUs: cpu.user + cpu.system,
    /** Largest lag behind the schedule, ms (a generator that cannot keep up lags more and more). */
    maxLagMs,
  };
}
/** What one paced run did. */
export type LoadReport = Awaited<ReturnType<typeof run>>;

/** Commands this child understands. */
export type LoadCommand =
  | { type: 'connect'; port: number }
  | { type: 'run'; rate: number; durationMs: number }
  | { type: 'exit' };

process.on('message', async (command: LoadCommand & { id: number }) => {
  const { id } = command;
  switch (command.type) {
    case 'connect':
      await connect(command.port);
      process.send!({ type: 'connected', id });
      break;
    case 'run':
      process.send!({ ...(await run(command.rate, command.durationMs)), id });
      break;
    case 'exit':
      socket?.close();
      process.exit(0);
  }
});
process.on('disconnect', () => process.exit(0));

const ready = {
  type: 'ready' as const,
  frames: frames.length,
  frameBytes: frames.reduce((sum, frame) => sum + frame.length, 0) / frames.length,
  datagramsPerFrame: datagrams.length / frames.length,
  datagramBytes: packetSize + 5,
  encodeMs,
};
/** This child's first message, once its frames are ready. */
export type LoadReady = typeof ready;
process.send!(ready);
