/**
 * The receiver's hub: UDP socket → FrameAssembler → sinks. One 'message' handler does the
 * per-datagram work (a sender key and a push); everything per frame happens in `#deliver`.
 */

import type dgram from 'node:dgram';
import { EventEmitter } from 'node:events';
import { performance } from 'node:perf_hooks';
import { type AssembledFrame, type AssemblerOptions, FrameAssembler, readFrameMeta } from '@udpcam/protocol';
import { cameraId, senderKey } from './camera.js';
import type { FrameSink, ReceivedFrame } from './frame.js';
import { bindUdpSocket } from './socket.js';

/** Options of a Receiver. */
export interface ReceiverOptions {
  port: number;
  /** Address to bind (default 0.0.0.0). */
  host: string;
  /** Kernel receive buffer to ask for, in bytes (default 32 MiB; Linux caps it at net.core.rmem_max). */
  recvBufferBytes: number;
  /** Reassembly limits (see AssemblerOptions). */
  assembler: Partial<AssemblerOptions>;
  /** How often partial frames are checked for expiry, in ms. */
  expireIntervalMs: number;
}

export const DEFAULT_RECEIVER_OPTIONS = {
  host: '0.0.0.0',
  recvBufferBytes: 32 * 1024 * 1024,
  expireIntervalMs: 50,
} as const;

/** What the receiver knows of one camera. */
export interface CameraState {
  camera: string;
  sender: string;
  frames: number;
  /** Wall-clock time of the last frame, µs since the epoch. */
  lastFrameUs: number;
  /** Capture → complete, in µs, of the last frame that carried metadata. */
  lastLatencyUs: number | undefined;
}

/** Wall-clock now in µs since the epoch, with sub-ms precision (same clock as the sender's stamp). */
export function epochMicros(): number {
  return Math.round((performance.timeOrigin + performance.now()) * 1000);
}

interface ReceiverEvents {
  frame: [ReceivedFrame];
  sinkError: [unknown];
}

/** Receives datagrams, reassembles frames and hands them to its sinks. Create with `Receiver.open`. */
export class Receiver extends EventEmitter<ReceiverEvents> {
  readonly assembler: FrameAssembler;
  /** Receive buffer the kernel granted, in bytes, and the rmem_max cap when it applied. */
  readonly recvBufferBytes: number;
  readonly recvBufferCappedBy: number | undefined;
  readonly #socket: dgram.Socket;
  readonly #sinks: FrameSink[] = [];
  readonly #cameras = new Map<string, CameraState>();
  readonly #expireTimer: NodeJS.Timeout;
  #closed = false;

  /** Binds the socket and starts receiving. Throws a UdpcamError when the port cannot be bound. */
  static async open(options: Partial<ReceiverOptions> & { port: number }): Promise<Receiver> {
    const full: ReceiverOptions = { ...DEFAULT_RECEIVER_OPTIONS, assembler: {}, ...options };
    const bound = await bindUdpSocket(full);
    return new Receiver(full, bound.socket, bound.recvBufferBytes, bound.cappedBy);
  }

  private constructor(
    options: ReceiverOptions,
    socket: dgram.Socket,
    recvBufferBytes: number,
    cappedBy: number | undefined,
  ) {
    super();
    this.assembler = new FrameAssembler(options.assembler);
    this.recvBufferBytes = recvBufferBytes;
    this.recvBufferCappedBy = cappedBy;
    this.#socket = socket;
    const assembler = this.assembler;
    socket.on('message', (datagram, info) => {
      const frame = assembler.push(
        datagram,
        senderKey(info.address, info.port, info.family),
        performance.now(),
      );
      if (frame !== undefined) this.#deliver(frame);
    });
    // After a successful bind, socket errors are transient (e.g. ICMP echoes); keep receiving.
    socket.on('error', () => {});
    this.#expireTimer = setInterval(() => assembler.expire(performance.now()), options.expireIntervalMs);
    this.#expireTimer.unref();
  }

  /** The bound address and port. */
  get address(): { address: string; port: number; family: string } {
    return this.#socket.address();
  }

  /** Adds a sink; every frame from now on is written to it. */
  addSink(sink: FrameSink): void {
    this.#sinks.push(sink);
  }

  /** Every camera seen so far. */
  cameras(): IterableIterator<CameraState> {
    return this.#cameras.values();
  }

  /** Stops receiving, then flushes and closes every sink. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#expireTimer);
    await new Promise<void>((resolve) => this.#socket.close(() => resolve()));
    await Promise.all(this.#sinks.map((sink) => sink.close()));
  }

  #deliver(assembled: AssembledFrame): void {
    let camera = this.#cameras.get(assembled.sender);
    if (camera === undefined) {
      camera = {
        camera: cameraId(assembled.sender),
        sender: assembled.sender,
        frames: 0,
        lastFrameUs: 0,
        lastLatencyUs: undefined,
      };
      this.#cameras.set(assembled.sender, camera);
    }
    const receivedUs = epochMicros();
    const meta = readFrameMeta(assembled.data);
    camera.frames++;
    camera.lastFrameUs = receivedUs;
    if (meta !== undefined) camera.lastLatencyUs = receivedUs - meta.captureUs;
    const frame: ReceivedFrame = {
      ...assembled,
      camera: camera.camera,
      seq: camera.frames,
      receivedUs,
      meta,
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
