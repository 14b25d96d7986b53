/**
 * A test camera: a UDP socket with a fixed source port (so the receiver sees one camera with a
 * stable id) that sends real JPEGs, each tagged with its index so a test can tell from the bytes
 * alone which frame it got, through the protocol's own chunker.
 */
import dgram from 'node:dgram';
import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { chunkFrame, ImageIdCycle } from '@udpcam/protocol';
import { cameraId } from '@udpcam/receiver';
import { senderKey } from '#receiver/camera.js';
import { makeJpeg, padJpegTo } from './frames.js';

/** Marker at the start of the first COM segment's payload, followed by the frame index (u32 BE). */
const TAG = Buffer.from('udpcamTF', 'latin1');
/** Where the tag goes: after SOI (2 bytes) and the COM marker and length (4 bytes). */
const TAG_OFFSET = 6;

/** Payload bytes per datagram the test camera uses (a 60 kB frame is 43 chunks). */
export const TEST_PACKET_SIZE = 1400;

/** Frames of exactly `size` bytes (≥ the base JPEG + 16): valid JPEGs whose bytes carry their index. */
export class TaggedFrames {
  readonly #template: Buffer;

  constructor(size: number, width = 64, height = 48, seed = 1) {
    const base = makeJpeg(width, height, seed);
    if (size < base.length + TAG.length + 8) throw new Error(`frame size ${size} is too small for the tag`);
    this.#template = padJpegTo(base, size);
  }

  /** Frame number `index` (a new buffer). */
  frame(index: number): Buffer {
    const frame = Buffer.from(this.#template);
    TAG.copy(frame, TAG_OFFSET);
    frame.writeUInt32BE(index, TAG_OFFSET + TAG.length);
    return frame;
  }
}

/** The index a tagged frame carries, or undefined for any other bytes. */
export function frameIndex(frame: Buffer): number | undefined {
  if (frame.length < TAG_OFFSET + TAG.length + 4) return undefined;
  if (!frame.subarray(TAG_OFFSET, TAG_OFFSET + TAG.length).equals(TAG)) return undefined;
  return frame.readUInt32BE(TAG_OFFSET + TAG.length);
}

/** A UDP sender on loopback; every frame goes out as udpcam datagrams. */
export class TestCamera {
  readonly #socket: dgram.Socket;
  readonly #ids = new ImageIdCycle();
  readonly #host: string;
  readonly #target: number;
  /** Frames sent so far. */
  sent = 0;

  private constructor(socket: dgram.Socket, host: string, target: number) {
    this.#socket = socket;
    this.#host = host;
    this.#target = target;
  }

  /**
   * Binds a socket on `from` (default `host`: 127.0.0.1 or ::1; any 127.x.y.z is loopback too),
   * any port, that sends to `host`:`receiverPort`.
   */
  static async open(receiverPort: number, host = '127.0.0.1', from = host): Promise<TestCamera> {
    const socket = dgram.createSocket(host.includes(':') ? 'udp6' : 'udp4');
    socket.bind(0, from);
    await once(socket, 'listening');
    return new TestCamera(socket, host, receiverPort);
  }

  /** The camera id the receiver gives this sender ("127.0.0.1_PORT", "ip6_--1_PORT"). */
  get id(): string {
    const { address, port, family } = this.#socket.address();
    return cameraId(senderKey(address, port, family));
  }

  /** Sends one raw datagram as it is (given whole or in parts, e.g. a chunk's [header, payload]). */
  async sendRaw(datagram: Buffer | readonly Buffer[]): Promise<void> {
    await new Promise<void>((resolve, reject) =>
      this.#socket.send(datagram, this.#target, this.#host, (error) => (error ? reject(error) : resolve())),
    );
  }

  /** Calls `listener` with each datagram that comes back to the camera's port (a NACK). */
  onMessage(listener: (data: Buffer, from: dgram.RemoteInfo) => void): void {
    this.#socket.on('message', listener);
  }

  /** Sends one frame (all its datagrams); resolves once the socket has taken them. */
  async send(frame: Buffer): Promise<void> {
    const datagrams = chunkFrame(frame, this.#ids.next(), TEST_PACKET_SIZE);
    await Promise.all(
      datagrams.map(
        ([header, payload]) =>
          new Promise<void>((resolve, reject) =>
            this.#socket.send([header, payload], this.#target, this.#host, (error) =>
              error ? reject(error) : resolve(),
            ),
          ),
      ),
    );
    this.sent++;
  }

  /**
   * Sends `count` frames at `fps`, on a schedule that does not drift (a late frame is sent at
   * once, not skipped); `frameAt(i)` gives frame i, `onSent(i)` runs after it went out.
   */
  async sendAt(
    fps: number,
    count: number,
    frameAt: (i: number) => Buffer,
    onSent?: (i: number) => void,
  ): Promise<void> {
    const start = performance.now();
    for (let i = 0; i < count; i++) {
      const due = start + (i * 1000) / fps;
      const wait = due - performance.now();
      if (wait > 0) await sleep(wait);
      await this.send(frameAt(i));
      onSent?.(i);
    }
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => this.#socket.close(() => resolve()));
  }
}
