/**
 * A lossy UDP relay on loopback, run as a child process so that forwarding costs the measuring
 * process nothing (its file-watch timestamps stay prompt). It listens on 127.0.0.1:<ephemeral>,
 * forwards every datagram to a target from the same socket (the receiver sees one sender), and
 * drops each with probability `lossRate` from a seeded generator: the same losses on every run.
 *
 * It timestamps each forwarded datagram that ends a frame (udpcam's 'E' chunk, or an RTP packet
 * with the marker bit) on the monotonic clock, which every process of the machine shares, so a
 * bench can time "last datagram of frame k forwarded → output file k complete".
 */
import dgram from 'node:dgram';
import { fileURLToPath } from 'node:url';
import { seededRandom } from './frames.js';
import { ChildWorker } from './ipc.js';

/** What a relay does. */
export interface RelayOptions {
  /** Where datagrams go (127.0.0.1). */
  targetPort: number;
  /** Probability of dropping each datagram, 0..1. */
  lossRate: number;
  /** Seed of the drop decisions. */
  seed: number;
  /** Which datagrams end a frame: udpcam ('E' type byte) or RTP (marker bit), or none timed. */
  frameEnd: 'udpcam' | 'rtp' | 'none';
}

/** Counters of a relay. */
export interface RelayStats {
  received: number;
  dropped: number;
  /** Monotonic µs at which each forwarded frame-end datagram was sent on, in order. */
  frameEndsUs: number[];
}

const SCRIPT = fileURLToPath(import.meta.url);

/** Monotonic time in µs (the same clock in every process). */
export function monotonicUs(): number {
  return Number(process.hrtime.bigint() / 1000n);
}

/** A relay running in its own process. */
export type RelayChild = Awaited<ReturnType<typeof startRelayChild>>;

/** Starts the relay child; resolves once it listens. */
export async function startRelayChild(options: RelayOptions) {
  const worker = new ChildWorker<{ type: 'stats' }>(SCRIPT, [JSON.stringify(options)], undefined);
  const { port } = await worker.next<{ port: number }>(10_000);
  return {
    /** The port to send to (127.0.0.1). */
    port,
    /** Counters so far, with every frame-end timestamp. */
    stats: () => worker.request<RelayStats>({ type: 'stats' }),
    close: () => worker.close(),
  };
}

/** Child side: `node relay.js '<RelayOptions JSON>'`, driven over IPC. */
async function runChild(): Promise<void> {
  const { targetPort, lossRate, seed, frameEnd } = JSON.parse(process.argv[2]!) as RelayOptions;
  const random = seededRandom(seed);
  const stats: RelayStats = { received: 0, dropped: 0, frameEndsUs: [] };
  const isFrameEnd = (datagram: Buffer) =>
    frameEnd === 'udpcam'
      ? datagram.length >= 5 && datagram[0] === 0x45 // 'E'
      : frameEnd === 'rtp' && datagram.length >= 12 && (datagram[1]! & 0x80) !== 0; // marker bit
  const socket = dgram.createSocket('udp4');
  socket.on('message', (datagram) => {
    stats.received++;
    if (lossRate > 0 && random() < lossRate) {
      stats.dropped++;
      return;
    }
    const atUs = monotonicUs();
    socket.send(datagram, targetPort, '127.0.0.1');
    if (isFrameEnd(datagram)) stats.frameEndsUs.push(atUs);
  });
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  // A frame arrives as one burst of datagrams.
  socket.setRecvBufferSize(4 * 1024 * 1024);
  socket.setSendBufferSize(4 * 1024 * 1024);
  process.on('message', (command: { type: string; id: number }) => {
    if (command.type === 'stats') process.send!({ ...stats, id: command.id });
    else socket.close(() => process.disconnect());
  });
  // Without a parent (it died), do not linger.
  process.on('disconnect', () => process.exit(0));
  process.send!({ type: 'ready', port: socket.address().port });
}

if (process.argv[1] === SCRIPT && process.send) await runChild();
