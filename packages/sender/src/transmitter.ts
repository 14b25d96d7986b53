/**
 * The UDP end of the sender: one JPEG in, its datagrams out. Each datagram goes to the kernel as
 * the pair [5-byte header, payload view] (dgram sends a list of buffers with one sendmsg), so a
 * frame is never copied after encoding. A frame's datagrams are all handed over before `send`
 * resolves, so frames never interleave on the wire. With a key, a frame is sealed just before it
 * goes out, into one buffer the sealer reuses for the next frame (each protected datagram whole,
 * in one piece of it); resends are sealed afresh, each into memory of its own.
 */
import dgram from 'node:dgram';
import { lookup } from 'node:dns/promises';
import net from 'node:net';
import { constants } from 'node:os';
import { getSystemErrorName } from 'node:util';
import { addressError, monotonicClock } from '@udpcam/common';
import {
  assertPacketSize,
  type Clock,
  chunkFrame,
  DatagramOpener,
  DatagramSealer,
  ImageIdCycle,
  LEGACY_SIZE_OVERHEAD,
  legacyChunkFrame,
  legacyImageId,
  MAX_CHUNKS,
  MAX_PACKET_SIZE,
  PARITY_SUBHEADER_BYTES,
  parityCount,
  parityDatagrams,
  SECURE_OVERHEAD_BYTES,
  type StreamKey,
  UdpcamError,
} from '@udpcam/protocol';
import { type BatchSender, type NativeDatagram, nativeUdpProblem, sendBatches } from '@udpcam/udp-native';
import { NackResponder, type NackStats, ResendBudget, ResendRing } from './nack/index.js';

/** Options of a Transmitter. */
export interface TransmitterOptions {
  /** Receiver's address: an IPv4 or IPv6 literal, or a host name (resolved once, on first send). */
  host: string;
  /** Receiver's UDP port, 1..65535. */
  port: number;
  /** Payload bytes per datagram, after the 5-byte header. */
  packetSize: number;
  /** Socket family; derived from `host` when it is an IP literal, else udp4. */
  type?: 'udp4' | 'udp6';
  /**
   * Frame exactly like the Python sender (random image ids 10..99, its chunk count and empty
   * last chunks): for interop tests and receivers that expect it. Default false.
   */
  legacy?: boolean;
  /**
   * Stream key: seal every datagram (ChaCha20-Poly1305, docs/protocol.md#protected) at the last step
   * before the socket, so any datagram this transmitter sends is protected. Default: plain.
   */
  key?: StreamKey;
  /** Random numbers in [0, 1) for legacy image ids; default Math.random. */
  random?: () => number;
  /** For a multicast `host`: hops the datagrams may take (0 keeps them on this machine); default 1. */
  multicastTtl?: number;
  /** For a multicast `host`: the address of the interface to send from (default: the kernel's choice). */
  multicastInterface?: string;
  /** Allow sending to a broadcast address (255.255.255.255 or a subnet's); default: on for 255.255.255.255. */
  broadcast?: boolean;
  /**
   * Spread each frame's datagrams over this many ms instead of one burst (0: burst). Switches and
   * receive buffers drop the tail of long bursts; a spread frame does not pile up anywhere.
   */
  spreadMs?: number;
  /** Monotonic ms the spread of a frame's datagrams is timed by; default performance.now. */
  clock?: Clock;
  /** Local address and port to send from (`udpcam send --bind`); default: any address, an ephemeral port. */
  bind?: { address?: string; port: number };
  /**
   * Parity datagrams per data chunk (docs/protocol.md#parity), 0..1: round(k · fec) Reed–Solomon
   * parity datagrams follow each frame's k chunks, and any k of the k + m rebuild it. 0 (default
   * here; `udpcam send` defaults to 0.1) sends none. Never with `legacy`.
   */
  fec?: number;
  /**
   * Keep the last frames' datagrams and resend those a receiver asks for (docs/protocol.md#nack).
   * Default false here (`udpcam send` defaults to on); never with `legacy`, a multicast host or
   * broadcast.
   */
  nack?: boolean;
  /**
   * Hand each frame's datagrams to the kernel with sendmmsg (@udpcam/udp-native, Linux) when the
   * addon is built; default on unless the environment says UDPCAM_NATIVE_UDP=0. node:dgram's
   * send when false or unavailable: the same datagrams either way.
   */
  nativeUdp?: boolean;
  /** Bytes of recent frames kept for resending (default 1 MiB). */
  resendRingBytes?: number;
  /** Share of the stream's bytes that may be resent, 0..1 (default 0.25). */
  resendFraction?: number;
}

/**
 * Longest gap between two datagrams of a spread frame (ms): kept under a receiver's chunk-gap
 * rule (10 ms), which may close a partial frame after a silence.
 */
export const MAX_SPREAD_GAP_MS = 5;

/** Retransmission's parts: the frames kept, the rate budget, the NACK checks. */
interface NackState {
  responder: NackResponder;
  ring: ResendRing;
  budget: ResendBudget;
}

const { EAGAIN, ENOBUFS, ECONNREFUSED } = constants.errno;

/** A send error as node:dgram reports one, from a negative errno (libuv's error numbers on POSIX). */
function errnoError(negativeErrno: number): NodeJS.ErrnoException {
  const code = getSystemErrorName(negativeErrno);
  return Object.assign(new Error(`send ${code}`), { code, errno: negativeErrno, syscall: 'send' });
}

/** A resend's callback: a lost resend is asked for again by the receiver. */
function ignore(): void {}

function invalid(message: string): UdpcamError {
  return new UdpcamError('UDPCAM_ERR_INVALID_OPTION', message);
}

/** True for IPv4 224.0.0.0/4 and IPv6 ff00::/8 literals. */
export function isMulticast(host: string): boolean {
  const family = net.isIP(host);
  if (family === 4) {
    const first = Number(host.split('.')[0]);
    return first >= 224 && first <= 239;
  }
  return family === 6 && /^ff/i.test(host);
}

/** What one frame cost on the wire. */
export interface SendResult {
  /** Image id the frame went out with (00..99). */
  imageId: number;
  /** Datagrams sent, parity included. */
  datagrams: number;
  /** Of those, parity datagrams (absent: none). */
  parityDatagrams?: number;
  /** UDP payload bytes sent, headers included. */
  bytes: number;
}

/** Anything that sends whole JPEG frames; the Sender needs only this (tests may swap in a fake). */
export interface FrameTransmitter {
  /** Largest JPEG, in bytes, that one frame can carry. */
  readonly maxFrameBytes: number;
  /** Sends one frame; resolves once every datagram of it was handed to the kernel. */
  send(jpeg: Buffer): Promise<SendResult>;
  /** Releases the socket; waits for a frame being sent. Safe to call more than once. */
  close(): Promise<void>;
}

/** Maps an error from sending to (or resolving) `target` ("host:port") to a UdpcamError. */
export function sendError(error: NodeJS.ErrnoException, target: string): UdpcamError {
  const denied = error.code === 'EACCES' || error.code === 'EPERM';
  return addressError(
    error,
    `cannot send to ${target}`,
    denied ? 'a broadcast address needs broadcast enabled' : undefined,
  );
}

/** A failed bind: with a --bind address or port, say so; else as any send error. */
function bindError(
  error: NodeJS.ErrnoException,
  bind: TransmitterOptions['bind'],
  target: string,
): UdpcamError {
  if (bind === undefined) return sendError(error, target);
  return addressError(error, `cannot send from --bind ${bind.address ?? '*'}:${bind.port}`);
}

function resolveType(host: string, type: TransmitterOptions['type']): 'udp4' | 'udp6' {
  const family = net.isIP(host);
  if (family === 0) return type ?? 'udp4';
  const derived = family === 6 ? 'udp6' : 'udp4';
  if (type !== undefined && type !== derived) {
    throw invalid(
      `host ${host} is an IPv${family} address but type is ${type}; leave type out to derive it from the host`,
    );
  }
  return derived;
}

/** Checks the parity ratio: 0..1, and 0 with the Python sender's framing. */
function checkFec(fec: number, legacy: boolean): number {
  if (!Number.isFinite(fec) || fec < 0 || fec > 1) throw invalid(`fec must be a ratio 0..1, got ${fec}`);
  if (legacy && fec > 0) {
    throw invalid(
      'parity (fec) cannot go with the legacy framing: the Python receiver does not know it; use fec 0',
    );
  }
  return fec;
}

/** Sends JPEG frames to one receiver over a UDP socket of its own. */
export class Transmitter implements FrameTransmitter {
  readonly host: string;
  readonly port: number;
  readonly packetSize: number;
  readonly type: 'udp4' | 'udp6';
  readonly legacy: boolean;
  /** Parity datagrams per data chunk (0: none). */
  readonly fec: number;
  readonly maxFrameBytes: number;
  /** "host:port" (IPv6 in brackets), for messages. */
  readonly target: string;
  #socket: dgram.Socket;
  /** sendmmsg on #socket, once it is bound and connected (undefined: dgram's send only). */
  #batch: BatchSender | undefined;
  /** Whether the socket has been bound and connected (and #batch settled). */
  #opened = false;
  readonly #imageIds = new ImageIdCycle();
  readonly #random: () => number;
  /** Seals datagrams when the transmitter has a key (one session per transmitter). */
  readonly #sealer: DatagramSealer | undefined;
  readonly #options: TransmitterOptions;
  /** The address datagrams go to: `host` itself, or what it resolved to. */
  #address: string | undefined;
  #opening: Promise<void> | undefined;
  /** Settles when the last frame handed to `send` is done (never rejects): frames go out in turn. */
  #lastFrame: Promise<void> = Promise.resolve();
  #closing: Promise<void> | undefined;
  /** Answers NACKs when retransmission is on (undefined: off, and the socket reads nothing). */
  readonly #nack: NackState | undefined;

  constructor(options: TransmitterOptions) {
    if (typeof options.host !== 'string' || options.host.length === 0) {
      throw invalid('host must be a non-empty address or host name');
    }
    if (!Number.isInteger(options.port) || options.port < 1 || options.port > 65535) {
      throw invalid(`port must be an integer 1..65535, got ${options.port}`);
    }
    assertPacketSize(options.packetSize);
    if (options.key !== undefined && options.packetSize > MAX_PACKET_SIZE - SECURE_OVERHEAD_BYTES) {
      throw new UdpcamError(
        'UDPCAM_ERR_INVALID_PACKET_SIZE',
        `with a key, packet size must be at most ${MAX_PACKET_SIZE - SECURE_OVERHEAD_BYTES} bytes (protection adds ${SECURE_OVERHEAD_BYTES}), got ${options.packetSize}`,
      );
    }
    this.#sealer = options.key === undefined ? undefined : new DatagramSealer(options.key);
    this.host = options.host;
    this.port = options.port;
    this.packetSize = options.packetSize;
    this.type = resolveType(options.host, options.type);
    this.legacy = options.legacy ?? false;
    this.fec = checkFec(options.fec ?? 0, this.legacy);
    // A parity datagram's payload is a whole chunk plus its 8-byte sub-header.
    const overhead = options.key === undefined ? 0 : SECURE_OVERHEAD_BYTES;
    if (this.fec > 0 && options.packetSize + PARITY_SUBHEADER_BYTES + overhead > MAX_PACKET_SIZE) {
      throw new UdpcamError(
        'UDPCAM_ERR_INVALID_PACKET_SIZE',
        `with parity (fec), packet size must be at most ${MAX_PACKET_SIZE - PARITY_SUBHEADER_BYTES - overhead} bytes (a parity datagram adds ${PARITY_SUBHEADER_BYTES}), got ${options.packetSize}`,
      );
    }
    this.#random = options.random ?? Math.random;
    this.#options = options;
    const ttl = options.multicastTtl;
    const spread = options.spreadMs;
    if (spread !== undefined && (!Number.isFinite(spread) || spread < 0 || spread > 10_000)) {
      throw invalid(`spreadMs must be a number of ms 0..10000, got ${spread}`);
    }
    if (ttl !== undefined && (!Number.isInteger(ttl) || ttl < 0 || ttl > 255)) {
      throw invalid(`multicast TTL must be an integer 0..255, got ${ttl}`);
    }
    // The Python sender counts 112 bytes more than the JPEG when it works out its chunks.
    this.maxFrameBytes = MAX_CHUNKS * this.packetSize - (this.legacy ? LEGACY_SIZE_OVERHEAD : 0);
    this.target = net.isIP(this.host) === 6 ? `[${this.host}]:${this.port}` : `${this.host}:${this.port}`;
    if (net.isIP(this.host) !== 0) this.#address = this.host;
    // A group or broadcast address is never a NACK's source: one-way, parity alone, no ring kept.
    const oneWay = isMulticast(this.host) || (options.broadcast ?? this.host === '255.255.255.255');
    this.#nack = options.nack === true && !this.legacy && !oneWay ? this.#nackState(options) : undefined;
    this.#socket = this.#newSocket();
  }

  #nackState(options: TransmitterOptions): NackState {
    const ring = new ResendRing(options.resendRingBytes);
    const budget = new ResendBudget(options.resendFraction);
    const opener = options.key === undefined ? undefined : new DatagramOpener([options.key]);
    return { responder: new NackResponder({ ring, budget, opener }), ring, budget };
  }

  get #wantsNative(): boolean {
    return this.#options.nativeUdp ?? process.env.UDPCAM_NATIVE_UDP !== '0';
  }

  /**
   * How datagrams reach the kernel: 'sendmmsg' (@udpcam/udp-native, a frame per system call) or
   * 'dgram' (a send each). Before the first frame binds the socket, what it will be.
   */
  get sendPath(): 'sendmmsg' | 'dgram' {
    if (this.#opened) return this.#batch === undefined ? 'dgram' : 'sendmmsg';
    return this.#wantsNative && nativeUdpProblem() === undefined ? 'sendmmsg' : 'dgram';
  }

  /** What retransmission did so far (undefined when it is off). */
  get nack(): Readonly<NackStats> | undefined {
    return this.#nack?.responder.stats;
  }

  #newSocket(): dgram.Socket {
    const socket = dgram.createSocket(this.type);
    // Send errors arrive through the callbacks; this keeps any other socket error from crashing
    // the process (the next send reports the socket as unusable).
    socket.on('error', () => {});
    if (this.#nack !== undefined) socket.on('message', (datagram, from) => this.#onNack(datagram, from));
    return socket;
  }

  /**
   * A datagram on the sending socket: a NACK from the receiver, or junk. Resends go out on the
   * connected socket (to the receiver, never to `from`), each sealed afresh under a key: a new
   * counter passes the receiver's replay window whether or not the original arrived.
   */
  #onNack(datagram: Buffer, from: dgram.RemoteInfo): void {
    const address = this.#address;
    if (this.#nack === undefined || this.#closing !== undefined || address === undefined) return;
    const resend = this.#nack.responder.answer(datagram, from, { address, port: this.port });
    const sealer = this.#sealer;
    for (const [header, payload] of resend) {
      try {
        this.#socket.send(sealer === undefined ? [header, payload] : sealer.seal(header, payload), ignore);
      } catch {
        // A socket closing under us: the receiver asks again or gives the frame up.
      }
    }
  }

  /** Sends one JPEG as one frame. Rejects with UDPCAM_ERR_FRAME_TOO_LARGE past 100 chunks, or a send error. */
  send(jpeg: Buffer): Promise<SendResult> {
    if (this.#closing) {
      return Promise.reject(new UdpcamError('UDPCAM_ERR_CLOSED', `transmitter to ${this.target} is closed`));
    }
    // Queue behind a frame still going out, so two frames never interleave even if a caller
    // does not wait (the Sender always waits, so this queue is at most one frame long there).
    const sending = this.#lastFrame.then(() => this.#send(jpeg));
    this.#lastFrame = sending.then(
      () => {},
      () => {},
    );
    return sending;
  }

  async #send(jpeg: Buffer): Promise<SendResult> {
    if (jpeg.length > this.maxFrameBytes) {
      throw new UdpcamError(
        'UDPCAM_ERR_FRAME_TOO_LARGE',
        `frame of ${jpeg.length} bytes does not fit ${MAX_CHUNKS} chunks of ${this.packetSize} bytes (max ${this.maxFrameBytes} bytes) for ${this.target}`,
      );
    }
    const imageId = this.legacy ? legacyImageId(this.#random) : this.#imageIds.next();
    const chunks = this.legacy
      ? legacyChunkFrame(jpeg, imageId, this.packetSize)
      : chunkFrame(jpeg, imageId, this.packetSize);
    // Parity goes after the data: a receiver without loss completes the frame at its E, and for
    // this code only how many of a frame's datagrams are lost matters, not which.
    const parity =
      this.fec > 0 ? parityDatagrams(chunks, imageId, jpeg.length, parityCount(chunks.length, this.fec)) : [];
    const datagrams = parity.length > 0 ? [...chunks, ...parity] : chunks;
    this.#opening ??= this.#open().catch((error: unknown) => {
      // Not for ever: the next frame tries again (a name not resolvable yet at boot, a --bind
      // port still held by the process this one replaces), on a fresh socket.
      this.#opening = undefined;
      this.#batch = undefined;
      this.#opened = false;
      this.#socket.close();
      this.#socket = this.#newSocket();
      throw error;
    });
    await this.#opening;
    const spreadMs = Math.min(this.#options.spreadMs ?? 0, (datagrams.length - 1) * MAX_SPREAD_GAP_MS);
    // Kept before the first datagram goes: a receiver may ask for a chunk of this very frame
    // while its last ones are still going out.
    if (this.#nack !== undefined) this.#nack.ring.put(imageId, chunks);
    // Sealed as a whole frame into the sealer's reused buffer: safe, as this frame's sends all
    // complete before the next frame's #send begins (see send()).
    const wire = this.#sealer === undefined ? datagrams : this.#sealer.sealFrame(datagrams);
    const bytes = spreadMs > 0 ? await this.#sendSpread(wire, spreadMs) : await this.#sendAll(wire);
    this.#nack?.budget.earn(bytes);
    return { imageId, datagrams: datagrams.length, parityDatagrams: parity.length, bytes };
  }

  /** Sends a frame's datagrams (or the slice of them due now), sealed already under a key. */
  #sendAll(wire: readonly NativeDatagram[]): Promise<number> {
    if (wire.length === 0) return Promise.resolve(0);
    let bytes = 0;
    for (const datagram of wire) {
      if (datagram instanceof Uint8Array) bytes += datagram.length;
      else for (const part of datagram) bytes += part.length;
    }
    // Straight to the kernel while dgram has nothing queued (so the two never reorder datagrams).
    let sent = 0;
    const batch = this.#batch;
    if (batch !== undefined && this.#socket.getSendQueueCount() === 0) {
      let refusals = 0;
      while (sent < wire.length) {
        const result = batch.send(wire, sent);
        if (result > 0) {
          sent += result;
          continue;
        }
        // An ICMP "port unreachable" for an earlier datagram, reported (and cleared) by this
        // send, which therefore did not go: try it again (UDP is fire and forget, and a receiver
        // may start later: no failure of this frame). Bounded: each retry follows a refusal.
        if (result === -ECONNREFUSED && refusals++ < wire.length) continue;
        // The send buffer is full (or a result never seen): dgram queues the rest and waits.
        if (result === 0 || result === -EAGAIN || result === -ENOBUFS || result === -ECONNREFUSED) break;
        return Promise.reject(sendError(errnoError(result), this.target));
      }
      if (sent === wire.length) return Promise.resolve(bytes);
    }
    return this.#sendQueued(wire, sent, bytes);
  }

  /** Sends wire[from..] with dgram (which queues what the kernel cannot take yet); resolves `bytes`. */
  #sendQueued(wire: readonly NativeDatagram[], from: number, bytes: number): Promise<number> {
    return new Promise((resolve, reject) => {
      let pending = wire.length - from;
      let failure: NodeJS.ErrnoException | undefined;
      const done = (error: NodeJS.ErrnoException | null) => {
        // The socket is connected, so an ICMP "port unreachable" for an earlier datagram comes
        // back on a later send as ECONNREFUSED. UDP is fire and forget (a receiver may start
        // later): that is no failure of this send.
        if (error && !failure && error.code !== 'ECONNREFUSED') failure = error;
        if (--pending > 0) return;
        if (failure) reject(sendError(failure, this.target));
        else resolve(bytes);
      };
      for (let i = from; i < wire.length; i++) {
        try {
          this.#socket.send(wire[i] as Uint8Array | Uint8Array[], done);
        } catch (error) {
          done(error as Error);
        }
      }
    });
  }

  /**
   * Sends datagram i at start + i × spreadMs / (n − 1). Timers fire about every millisecond, so
   * each wake sends every datagram that is due: small bursts, evenly spaced.
   */
  async #sendSpread(datagrams: readonly NativeDatagram[], spreadMs: number): Promise<number> {
    const clock = this.#options.clock ?? monotonicClock;
    const start = clock();
    const step = spreadMs / (datagrams.length - 1);
    let bytes = 0;
    let next = 0;
    while (next < datagrams.length) {
      const elapsed = clock() - start;
      let end = next;
      while (end < datagrams.length && end * step <= elapsed) end++;
      if (end === next) {
        await new Promise((resolve) => setTimeout(resolve, Math.max(1, next * step - elapsed)));
        continue;
      }
      bytes += await this.#sendAll(datagrams.slice(next, end));
      next = end;
    }
    return bytes;
  }

  /**
   * Binds the socket to an ephemeral port, resolves a host name and connects the socket to the
   * receiver, once. Connected, a send skips Node's per-datagram address lookup and the kernel's
   * route lookup: ~20 % less CPU per datagram here.
   */
  async #open(): Promise<void> {
    if (this.#address === undefined) {
      try {
        const found = await lookup(this.host, { family: this.type === 'udp6' ? 6 : 4 });
        this.#address = found.address;
      } catch (error) {
        throw sendError(error as NodeJS.ErrnoException, this.target);
      }
    }
    await new Promise<void>((resolve, reject) => {
      const onError = (error: NodeJS.ErrnoException) =>
        reject(bindError(error, this.#options.bind, this.target));
      this.#socket.once('error', onError);
      this.#socket.bind({ port: this.#options.bind?.port ?? 0, address: this.#options.bind?.address }, () => {
        this.#socket.off('error', onError);
        try {
          this.#configure();
        } catch (error) {
          reject(sendError(error as NodeJS.ErrnoException, this.target));
          return;
        }
        // Node hands a failed connect to the callback (typed as taking no argument).
        const connected = (error?: NodeJS.ErrnoException) => {
          if (error) {
            reject(sendError(error, this.target));
            return;
          }
          this.#batch = this.#wantsNative ? sendBatches(this.#socket) : undefined;
          this.#opened = true;
          resolve();
        };
        this.#socket.connect(this.port, this.#address, connected as () => void);
      });
    });
  }

  /** Multicast hops and interface, broadcast permission: set once the socket is bound. */
  #configure(): void {
    const address = this.#address ?? this.host;
    if (isMulticast(address)) {
      this.#socket.setMulticastTTL(this.#options.multicastTtl ?? 1);
      if (this.#options.multicastInterface !== undefined) {
        this.#socket.setMulticastInterface(this.#options.multicastInterface);
      }
    }
    if (this.#options.broadcast ?? address === '255.255.255.255') this.#socket.setBroadcast(true);
  }

  /** Waits for a frame being sent, then closes the socket. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      await this.#lastFrame;
      await new Promise<void>((resolve) => this.#socket.close(() => resolve()));
    })();
    return this.#closing;
  }
}
