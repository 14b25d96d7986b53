/**
 * A lossy UDP relay on loopback: listens on 127.0.0.1:<ephemeral>, forwards every datagram to a
 * target from the same socket (so the receiver sees one sender, 127.0.0.1:<relay port>), and
 * drops each with probability `lossRate` drawn from a seeded generator — the same losses on every
 * run. This kernel has no sch_netem, so loss is made here, in userspace.
 *
 * It can timestamp the datagram that ends a frame (udpcam's 'E' chunk, or an RTP packet with the
 * marker bit) as it is forwarded, on the monotonic clock (process.hrtime, CLOCK_MONOTONIC: one
 * clock for every process of the machine), so a bench can time "last datagram of frame k
 * forwarded → output file k complete".
 *
 * The benches run it as a child process (`startRelayChild`): forwarding a few thousand datagrams
 * a second then costs the measuring process nothing, so its file-watch timestamps stay prompt
 * and its own CPU is not what is being measured. `UdpRelay` itself is plain and can run in-process.
 */
import dgram from 'node:dgram';
import { fileURLToPath } from 'node:url';
import { seededRandom } from './frames.js';
import { ChildWorker } from './ipc.js';

/** Which datagrams end a frame: udpcam ('E' type byte) or RTP (marker bit), or none timed. */
export type FrameEndKind = 'udpcam' | 'rtp' | 'none';

/** Options of a UdpRelay. */
export interface RelayOptions {
  /** Where datagrams go (127.0.0.1). */
  targetPort: number;
  /** Probability of dropping each datagram, 0..1. */
  lossRate: number;
  /** Seed of the drop decisions. */
  seed: number;
  /** Which datagrams to timestamp as frame ends. */
  frameEnd: FrameEndKind;
  /** Kernel receive buffer to ask for, bytes (a frame arrives as one burst of datagrams). */
  recvBufferBytes?: number;
  /** Called for each datagram: whether it was forwarded, and the monotonic time in µs. */
  onDatagram?: (datagram: Buffer, forwarded: boolean, atUs: number) => void;
}

/** Counters of a relay. */
export interface RelayStats {
  received: number;
  forwarded: number;
  dropped: number;
  /** Monotonic µs at which each forwarded frame-end datagram was sent on, in order. */
  frameEndsUs: number[];
}

/** Whether `datagram` is the last of a frame, for `kind`. */
export function isFrameEnd(datagram: Buffer, kind: FrameEndKind): boolean {
  if (kind === 'udpcam') return datagram.length >= 5 && datagram[0] === 0x45; // 'E'
  if (kind === 'rtp') return datagram.length >= 12 && (datagram[1]! & 0x80) !== 0; // marker bit
  return false;
}

/** Monotonic time in µs (the same clock in every process). */
export function monotonicUs(): number {
  return Number(process.hrtime.bigint() / 1000n);
}

/** The relay described above. */
export class UdpRelay {
  readonly stats: RelayStats = { received: 0, forwarded: 0, dropped: 0, frameEndsUs: [] };
  readonly #options: RelayOptions;
  readonly #random: () => number;
  readonly #socket = dgram.createSocket('udp4');

  constructor(options: RelayOptions) {
    this.#options = options;
    this.#random = seededRandom(options.seed);
  }

  /** Binds 127.0.0.1:0 and starts forwarding; resolves with the port to send to. */
  async start(): Promise<number> {
    const { targetPort, lossRate, frameEnd, onDatagram } = this.#options;
    const stats = this.stats;
    this.#socket.on('message', (datagram) => {
      stats.received++;
      const forwarded = lossRate <= 0 || this.#random() >= lossRate;
      const atUs = monotonicUs();
      if (forwarded) {
        this.#socket.send(datagram, targetPort, '127.0.0.1');
        stats.forwarded++;
        if (isFrameEnd(datagram, frameEnd)) stats.frameEndsUs.push(atUs);
      } else {
        stats.dropped++;
      }
      onDatagram?.(datagram, forwarded, atUs);
    });
    await new Promise<void>((resolve) => this.#socket.bind(0, '127.0.0.1', resolve));
    this.#socket.setRecvBufferSize(this.#options.recvBufferBytes ?? 4 * 1024 * 1024);
    this.#socket.setSendBufferSize(4 * 1024 * 1024);
    return this.#socket.address().port;
  }

  /** Stops listening. */
  close(): Promise<void> {
    return new Promise((resolve) => this.#socket.close(() => resolve()));
  }
}

/** Commands of the relay child. */
type RelayCommand = { type: 'stats' } | { type: 'exit' };

/** A relay running in its own process. */
export interface RelayChild {
  /** The port to send to (127.0.0.1). */
  port: number;
  /** Counters so far, with every frame-end timestamp. */
  stats(): Promise<RelayStats>;
  close(): Promise<void>;
}

/** Starts a UdpRelay in a child process (see the file comment for why); resolves once it listens. */
export async function startRelayChild(options: Omit<RelayOptions, 'onDatagram'>): Promise<RelayChild> {
  const script = fileURLToPath(import.meta.url);
  const worker = new ChildWorker<RelayCommand>(script, [JSON.stringify(options)], undefined);
  const ready = await worker.next<{ type: 'ready'; port: number }>(10_000);
  return {
    port: ready.port,
    stats: () => worker.request<RelayStats>({ type: 'stats' }),
    close: () => worker.close(),
  };
}

/** Child side: `node relay.js '<RelayOptions JSON>'`, driven over IPC. */
async function runChild(): Promise<void> {
  const relay = new UdpRelay(JSON.parse(process.argv[2]!) as RelayOptions);
  const port = await relay.start();
  process.on('message', async (command: RelayCommand & { id: number }) => {
    if (command.type === 'stats') process.send!({ ...relay.stats, id: command.id });
    else {
      await relay.close();
      process.disconnect();
    }
  });
  // Without a parent (it died), do not linger.
  process.on('disconnect', () => process.exit(0));
  process.send!({ type: 'ready', port });
}

if (process.argv[1] === fileURLToPath(import.meta.url) && process.send) await runChild();
