/** Helpers for the protection tests: key files, folders of distinct JPEGs, a capturing relay. */
import dgram from 'node:dgram';
import { once } from 'node:events';
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { formatKeyFile, generateKey, StreamKey } from '@udpcam/protocol';
import { makeJpeg } from './frames.js';

/** Writes a fresh key file (mode 600) and returns its path, key and hex secret (to look for leaks). */
export async function writeKeyFile(file: string): Promise<{ file: string; key: StreamKey; hex: string }> {
  const secret = generateKey();
  await writeFile(file, formatKeyFile(secret), { mode: 0o600 });
  await chmod(file, 0o600);
  return { file, key: new StreamKey(secret), hex: secret.toString('hex') };
}

/**
 * `count` distinct JPEGs (width×height, seeds from `firstSeed`) written as frame-NNNN.jpg into a
 * new folder `dir`; `udpcam send --source dir:DIR --no-meta` sends exactly these bytes, in order.
 */
export async function writeFrameFolder(
  dir: string,
  count: number,
  width = 160,
  height = 120,
  firstSeed = 1,
): Promise<Buffer[]> {
  await mkdir(dir, { recursive: true });
  const frames = Array.from({ length: count }, (_, i) => makeJpeg(width, height, firstSeed + i));
  await Promise.all(
    frames.map((frame, i) => writeFile(path.join(dir, `frame-${String(i).padStart(4, '0')}.jpg`), frame)),
  );
  return frames;
}

/** A UDP socket on 127.0.0.1 that keeps every datagram it gets, and may forward each one on. */
export class CapturingRelay {
  readonly datagrams: Buffer[] = [];
  readonly socket: dgram.Socket;

  private constructor(socket: dgram.Socket, forwardTo: number | undefined) {
    this.socket = socket;
    socket.on('message', (datagram) => {
      // Forward first, keep after: a copy kept here has always reached the receiver's queue.
      if (forwardTo !== undefined) socket.send(datagram, forwardTo, '127.0.0.1');
      this.datagrams.push(Buffer.from(datagram));
    });
  }

  /** Binds on 127.0.0.1 (any port); forwards each datagram to 127.0.0.1:`forwardTo` if given. */
  static async open(forwardTo?: number): Promise<CapturingRelay> {
    const socket = dgram.createSocket('udp4');
    socket.bind(0, '127.0.0.1');
    await once(socket, 'listening');
    // A test sprays from this process too: a big buffer, so the relay itself drops nothing.
    socket.setRecvBufferSize(8 * 1024 * 1024);
    return new CapturingRelay(socket, forwardTo);
  }

  get port(): number {
    return this.socket.address().port;
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.socket.close(() => resolve()));
  }
}
