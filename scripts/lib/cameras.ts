/**
 * Paced cameras in the bench's own process (bench-cameras, bench-fanout, bench-snapshot): each a
 * UDP socket of its own on 127.0.0.1 sending one frame's datagrams back to back, like udpcam
 * send, every 1/fps s, the cameras staggered over the frame interval as independent ones would be.
 */
import dgram from 'node:dgram';
import { ImageIdCycle } from '@udpcam/protocol';
import { frameDatagrams } from './frames.js';

/** What startCameras needs. */
export interface CamerasOptions {
  count: number;
  fps: number;
  /** The receiver's UDP port on 127.0.0.1. */
  port: number;
  /** Payload bytes per datagram (default 1400, udpcam send's). */
  packetSize?: number;
  /** Frame `seq` of camera `camera` (0-based), built as it goes out. */
  frame(camera: number, seq: number): Buffer;
  /** Further ports that get every datagram too (a yardstick); the set may change while running. */
  alsoTo?: ReadonlySet<number>;
}

/** Starts `count` cameras (see the file comment): their source ports, frames sent so far, and stop. */
export async function startCameras(options: CamerasOptions) {
  const { count, fps, port, packetSize = 1400, frame, alsoTo = new Set() } = options;
  const sockets = await Promise.all(
    Array.from({ length: count }, async () => {
      const socket = dgram.createSocket('udp4');
      await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
      return socket;
    }),
  );
  const timers: NodeJS.Timeout[] = [];
  let framesSent = 0;
  sockets.forEach((socket, camera) => {
    const ids = new ImageIdCycle();
    let seq = 0;
    const tick = () => {
      for (const datagram of frameDatagrams(frame(camera, seq++), ids.next(), packetSize)) {
        socket.send(datagram, port, '127.0.0.1');
        for (const other of alsoTo) socket.send(datagram, other, '127.0.0.1');
      }
      framesSent++;
    };
    const start = () => timers.push(setInterval(tick, 1000 / fps));
    timers.push(setTimeout(start, (camera * 1000) / fps / count));
  });
  return {
    ports: sockets.map((socket) => socket.address().port),
    framesSent: () => framesSent,
    stop: () => {
      for (const timer of timers) clearTimeout(timer);
      for (const socket of sockets) socket.close();
    },
  };
}
