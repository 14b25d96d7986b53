/**
 * The receiver's hub: UDP socket → FrameAssembler → sinks. One handler does the per-datagram
 * work (a sender key and a push), fed by @udpcam/udp-native's recvmmsg batches when that is
 * built, else by dgram's 'message' events; everything per frame happens in `#deliver`.
 */

import type dgram from 'node:dgram';
import { EventEmitter } from 'node:events';
import { BlockList, isIP } from 'node:net';
import { epochMicrosAt, monotonicClock } from '@udpcam/common';
import {
  type AssembledFrame,
  type AssemblerOptions,
  type Clock,
  FrameAssembler,
  SECURE_KEY_ID_OFFSET,
  type StreamKey,
  UdpcamError,
} from '@udpcam/protocol';
import { type BatchReceiver, NOT_OPENED, receiveBatches, type Sender } from '@udpcam/udp-native';
import { senderKey } from './camera.js';
import { CameraState } from './camera-state.js';
import type { FrameSink, ReceivedFrame } from './frame.js';
import { CameraIdentity, checkCameraNames, senderAddress } from './identity.js';
import { NackChannel } from './nack/nack-channel.js';
import type { NackTrackerOptions } from './nack/nack-tracker.js';
import { SecureGate } from './secure-gate.js';
import { type BoundUdpSocket, bindUdpSocket, type UdpSocketOptions } from './socket.js';
import { type ReceiverStats, receiverStats } from './stats.js';

/** The socket's options (default: 0.0.0.0, a 32 MiB receive buffer) and the receiver's own. */
export interface ReceiverOptions extends UdpSocketOptions {
  assembler: Partial<AssemblerOptions>;
  /** How often partial frames are checked for expiry, in ms (only while there are any). */
  expireIntervalMs: number;
  /**
   * Camera names by sender key ("10.0.0.5:5000" → "door") or by address alone ("10.0.0.5" →
   * "door"), for senders whose frames carry no name (identity.ts); others are named after their address.
   */
  names: Readonly<Record<string, string>>;
  /** A camera with no frame for this long (ms) is shown as offline. */
  offlineAfterMs: number;
  /** Stream keys (one, or two while rotating): every datagram must be protected with one of them. */
  keys?: readonly StreamKey[];
  /** Only senders in these CIDR ranges (e.g. 10.0.0.0/8, ::1/128) are heard; others are counted and ignored. */
  allow?: readonly string[];
  /** Monotonic ms for every time decision (reassembly, rates, online, receive stamps); default performance.now. */
  clock: Clock;
  /**
   * Ask udpcam senders to resend lost chunks (docs/protocol.md#nack): true, or the tracker's
   * options. Default off here (`udpcam receive` defaults to on); never with a multicast group.
   */
  nack?: boolean | Partial<NackTrackerOptions>;
  /**
   * Read the socket in batches with recvmmsg (@udpcam/udp-native) when the addon is built: one
   * wake-up and one callback per batch instead of per datagram. Default on, unless the
   * environment says UDPCAM_NATIVE_UDP=0; node:dgram's own reading when false or unavailable.
   */
  nativeUdp?: boolean;
}

/** How the receiver reads its socket: recvmmsg batches (udp-native) or node:dgram's events. */
export type ReceivePath = 'recvmmsg' | 'dgram';

export const DEFAULT_RECEIVER_OPTIONS = {
  host: '0.0.0.0',
  recvBufferBytes: 32 * 1024 * 1024,
  expireIntervalMs: 50,
  names: {},
  offlineAfterMs: 3000,
  clock: monotonicClock,
} as const;

/**
 * A check for --allow ranges. Decisions are cached per address (a sender sends thousands of
 * datagrams a second); the cache is dropped when it grows, so spoofed addresses cannot fill memory.
 */
export function allowList(ranges: readonly string[]): (address: string, family: string) => boolean {
  const list = new BlockList();
  for (const range of ranges) {
    const [address = '', bits] = range.split('/');
    const family = isIP(address);
    const prefix = bits === undefined ? (family === 6 ? 128 : 32) : Number(bits);
    if (family === 0 || !Number.isInteger(prefix) || prefix < 0 || prefix > (family === 6 ? 128 : 32)) {
      throw new UdpcamError(
        'UDPCAM_ERR_INVALID_OPTION',
        `--allow takes CIDR ranges such as 10.0.0.0/8 or ::1/128, got ${range}`,
      );
    }
    list.addSubnet(address, prefix, family === 6 ? 'ipv6' : 'ipv4');
  }
  const cache = new Map<string, boolean>();
  return (address, family) => {
    let verdict = cache.get(address);
    if (verdict === undefined) {
      // An IPv4 sender on a dual-stack (::) socket shows as ::ffff:a.b.c.d: BlockList matches it
      // against IPv4 ranges too.
      verdict = list.check(address, family === 'IPv6' ? 'ipv6' : 'ipv4');
      if (cache.size >= 4096) cache.clear();
      cache.set(address, verdict);
    }
    return verdict;
  };
}

interface ReceiverEvents {
  frame: [ReceivedFrame];
  /** A camera's id, when it is forgotten to keep the list bounded. */
  cameraForgotten: [string];
  sinkError: [unknown];
  /** A one-line message for the user (e.g. "encrypted stream from …: pass --key"), once per cause. */
  notice: [string];
}

/** Receives datagrams, reassembles frames and hands them to its sinks. Create with `Receiver.open`. */
export class Receiver extends EventEmitter<ReceiverEvents> {
  readonly #assembler: FrameAssembler;
  /** Receive buffer the kernel granted, in bytes, and the rmem_max cap when it applied. */
  readonly recvBufferBytes: number;
  readonly recvBufferCappedBy: number | undefined;
  readonly #socket: dgram.Socket;
  /** The recvmmsg loop reading the socket, when the addon is in use. */
  readonly #batches: BatchReceiver | undefined;
  /** How the socket is read ('recvmmsg' when the addon is in use, else 'dgram'). */
  readonly receivePath: ReceivePath;
  readonly #sinks: FrameSink[] = [];
  readonly #cameras = new Map<string, CameraState>();
  readonly #expireIntervalMs: number;
  #expireTimer: NodeJS.Timeout | undefined;
  readonly #identity: CameraIdentity;
  readonly offlineAfterMs: number;
  /** The clock every time decision reads (see ReceiverOptions.clock). */
  readonly clock: Clock;
  /** Cameras remembered at most (twice the assembler's sender limit). */
  readonly maxCameras: number;
  readonly #security: SecureGate;
  /** The NACK back channel, when retransmission is on. */
  readonly #nack: NackChannel | undefined;
  /** Frames delivered and their bytes (they outlive forgotten senders), datagrams from outside --allow. */
  readonly #counters = { frames: 0, frameBytes: 0, notAllowed: 0 };
  #closed = false;

  /** Binds the socket and starts receiving. Throws a UdpcamError when the port cannot be bound. */
  static async open(options: Partial<ReceiverOptions> & { port: number }): Promise<Receiver> {
    const full: ReceiverOptions = { ...DEFAULT_RECEIVER_OPTIONS, assembler: {}, ...options };
    if (full.allow !== undefined) allowList(full.allow); // refuse bad ranges before binding
    checkCameraNames(full.names);
    return new Receiver(full, await bindUdpSocket(full));
  }

  private constructor(options: ReceiverOptions, { socket, recvBufferBytes, cappedBy }: BoundUdpSocket) {
    super();
    // Named cameras always get a slot among the senders (issue 11, finding 4).
    const assembler = new FrameAssembler({
      preferSender: (sender) =>
        Object.hasOwn(options.names, sender) || Object.hasOwn(options.names, senderAddress(sender)),
      ...options.assembler,
    });
    this.#assembler = assembler;
    this.recvBufferBytes = recvBufferBytes;
    this.recvBufferCappedBy = cappedBy;
    this.#socket = socket;
    this.#identity = new CameraIdentity(options.names, options.offlineAfterMs);
    this.offlineAfterMs = options.offlineAfterMs;
    const clock = options.clock;
    this.clock = clock;
    this.maxCameras = 2 * assembler.options.maxSenders;
    const allowed = options.allow === undefined ? undefined : allowList(options.allow);
    const security = new SecureGate(
      options.keys,
      (message) => this.emit('notice', message),
      (sender) => assembler.senderStats(sender) !== undefined,
      (sender, imageId) => assembler.isLateParity(sender, imageId, clock()),
    );
    this.#security = security;
    const udpcamFraming = (sender: string) => assembler.senderStats(sender)?.framing === 'udpcam';
    const nackOptions = options.nack === true ? {} : options.nack;
    const nack =
      !nackOptions || options.group !== undefined
        ? undefined
        : new NackChannel(socket, options.keys, udpcamFraming, nackOptions);
    this.#nack = nack;
    // A camera sends thousands of datagrams a second from one address and port: reuse its key
    // string instead of building one per datagram (less garbage on the hottest path).
    let lastAddress = '';
    let lastPort = -1;
    let lastKey = '';
    const keyIds = options.keys?.map((key) => key.id);
    // `status`: NOT_OPENED for a datagram as received; else receiveBatches opened it in C (a key
    // index: `datagram` is plain) or refused it (a negative reason: `datagram` is undefined).
    const onDatagram = (datagram: Buffer | undefined, info: Sender, status = NOT_OPENED) => {
      if (allowed !== undefined && !allowed(info.address, info.family)) {
        this.#counters.notAllowed++;
        return;
      }
      if (info.port !== lastPort || info.address !== lastAddress) {
        lastAddress = info.address;
        lastPort = info.port;
        lastKey = senderKey(info.address, info.port, info.family);
      }
      if (status < 0) {
        security.refused(status, lastKey);
        return;
      }
      // With keys, only datagrams that open reach reassembly (docs/protocol.md#protected).
      const plain = status === NOT_OPENED ? security.pass(datagram!, lastKey) : datagram;
      if (plain === undefined) return;
      const now = clock();
      if (nack !== undefined) {
        // The key a sealed datagram names (the opener leaves its id in place), for sealing NACKs.
        const keyId =
          keyIds === undefined
            ? undefined
            : status === NOT_OPENED
              ? datagram!.readUInt32BE(SECURE_KEY_ID_OFFSET)
              : keyIds[status];
        nack.observe(plain, keyId, lastKey, info.address, info.port, now);
      }
      const frame = assembler.push(plain, lastKey, now);
      if (frame !== undefined) this.#deliver(frame);
      this.#scheduleExpiry();
    };
    // A batch's senders share one object per run of datagrams from one address and port, so the
    // key check above is two identity comparisons. A batch's datagrams are views into one Buffer:
    // after it, the assembler copies out what it still holds, so that Buffer is not kept.
    // With keys, datagrams are opened in C as they arrive, unless an allow list is to drop some
    // first: a datagram from an address not allowed must not move a session's replay window.
    const batches =
      (options.nativeUdp ?? process.env.UDPCAM_NATIVE_UDP !== '0')
        ? receiveBatches(
            socket,
            onDatagram,
            (batch) => assembler.detach(batch),
            allowed === undefined ? security.native : undefined,
          )
        : undefined;
    if (batches === undefined) socket.on('message', onDatagram);
    security.openedInBatch = batches !== undefined && allowed === undefined && security.native !== undefined;
    this.#batches = batches;
    this.receivePath = batches === undefined ? 'dgram' : 'recvmmsg';
    // After a successful bind, socket errors are transient (e.g. ICMP echoes); keep receiving.
    socket.on('error', () => {});
    this.#expireIntervalMs = options.expireIntervalMs;
  }

  /**
   * Runs the assembler's expiry only while it has something to reclaim: armed by a datagram that
   * leaves something partial, first for frameTimeoutMs (nothing can be due sooner), then every
   * expireIntervalMs while needed, and never cleared on the datagram path but left to lapse.
   * Arming and clearing it per frame cost ~70 µs of CPU per frame, mostly in wake-ups (issue 16).
   */
  #scheduleExpiry(): void {
    if (this.#expireTimer !== undefined || this.#closed || !this.#assembler.needsExpiry) return;
    this.#armExpiry(Math.max(this.#expireIntervalMs, this.#assembler.options.frameTimeoutMs));
  }

  #armExpiry(delayMs: number): void {
    this.#expireTimer = setTimeout(() => {
      // Sweep after this turn's poll phase: datagrams that queued while the loop was busy are
      // read first, so a late timer does not see a gap in a frame that is in fact complete.
      setImmediate(() => {
        this.#expireTimer = undefined;
        if (this.#closed) return;
        this.#assembler.expire(this.clock());
        if (this.#assembler.needsExpiry) this.#armExpiry(this.#expireIntervalMs);
      });
    }, delayMs).unref();
  }

  /** The bound address and port. */
  get address(): { address: string; port: number; family: string } {
    return this.#socket.address();
  }

  /** Adds a sink; every frame from now on is written to it. */
  addSink(sink: FrameSink): void {
    this.#sinks.push(sink);
  }

  /** Every figure of the receiver, its cameras and its senders, now (see stats.ts). */
  stats(): ReceiverStats {
    const sources = {
      assembler: this.#assembler,
      cameras: this.#cameras.values(),
      security: this.#security,
      nack: this.#nack,
      counters: { ...this.#counters },
      offlineAfterMs: this.offlineAfterMs,
    };
    return receiverStats(sources, this.clock());
  }

  /** Which library opens protected datagrams ('openssl', 'libsodium' or 'node:crypto'); undefined without keys. */
  get aeadBackend(): string | undefined {
    return this.#security.opener?.backend.name;
  }

  /** True when protected datagrams are opened in C as they are received (SecurityReport.openedInBatch). */
  get openedInBatch(): boolean {
    return this.#security.openedInBatch;
  }

  /** Stops receiving, then flushes and closes every sink. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearTimeout(this.#expireTimer);
    this.#batches?.close();
    await new Promise<void>((resolve) => this.#socket.close(() => resolve()));
    await Promise.all(this.#sinks.map((sink) => sink.close()));
  }

  /**
   * Keeps the camera list bounded: a sender that restarts comes back from a new port as a new
   * camera, and anyone can send frames from many ports. Past `maxCameras`, offline cameras are
   * forgotten, the longest silent first ('cameraForgotten' tells the sinks).
   */
  #forgetOfflineCameras(nowMs: number): void {
    if (this.#cameras.size < this.maxCameras) return;
    const offline = [...this.#cameras.values()]
      .filter((camera) => nowMs - camera.lastFrameAt > this.offlineAfterMs)
      .sort((a, b) => a.lastFrameAt - b.lastFrameAt);
    for (const camera of offline) {
      if (this.#cameras.size < this.maxCameras) break;
      this.#cameras.delete(camera.camera);
      this.#identity.forget(camera.camera);
      this.emit('cameraForgotten', camera.camera);
    }
  }

  #deliver(assembled: AssembledFrame): void {
    const { meta, sender, completedAt, data } = assembled;
    const ref = this.#identity.resolve(sender, meta?.name, completedAt);
    let camera = this.#cameras.get(ref.id);
    if (camera === undefined) {
      camera = new CameraState(ref.id, sender, ref.named);
      this.#forgetOfflineCameras(completedAt);
      this.#cameras.set(ref.id, camera);
    } else camera.sender = sender; // the same camera from a new port (a restart)
    const receivedUs = epochMicrosAt(completedAt);
    this.#counters.frames++;
    this.#counters.frameBytes += data.length;
    const latencyUs = meta === undefined ? undefined : receivedUs - meta.captureUs;
    camera.record(data.length, completedAt, receivedUs, latencyUs);
    // Every field written out, always in this order: one hidden class for every frame (a spread
    // of `assembled` built its shape anew, ~2 % of a receiver's CPU).
    const frame: ReceivedFrame = {
      sender,
      imageId: assembled.imageId,
      data,
      chunks: assembled.chunks,
      firstChunkAt: assembled.firstChunkAt,
      completedAt,
      meta,
      camera: camera.camera,
      seq: camera.frames,
      receivedUs,
    };
    for (const sink of this.#sinks) {
      try {
        sink.write(frame);
      } catch (error) {
        this.emit('sinkError', error);
      }
    }
    this.emit('frame', frame);
  }
}
