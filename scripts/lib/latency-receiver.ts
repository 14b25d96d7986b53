/**
 * bench-latency's receiver (a child process, pinned by the parent): Receiver + HttpServer on
 * 127.0.0.1, ephemeral ports, as `udpcam receive --http` runs them. For every frame with udpcam's
 * metadata it records, on this process's clock (µs since the epoch), when its first datagram
 * reached the assembler, when it completed (the receiver's own stamp, before the sinks) and when
 * the sinks had run, i.e. the HTTP server had written it to every MJPEG socket.
 *
 * IPC (replies echo the request's id): {type:'clock'} → {nowUs}; {type:'camera'} → {camera}, the
 * first frame's; {type:'collect'} → the records so far and this process's CPU time; {type:'exit'}.
 * First message: {type:'ready', udpPort, httpPort}.
 */
import { once } from 'node:events';
import { epochMicrosAt, wallClockUs } from '@udpcam/common';
import { HttpServer, Receiver } from '@udpcam/receiver';
import { answerClockPings } from './latency-clock.js';

/** One frame as the receiver saw it (µs on this process's clock). */
export interface FrameRecord {
  seq: number;
  captureUs: number;
  firstChunkUs: number;
  receivedUs: number;
  sinksDoneUs: number;
  bytes: number;
}

/** The answer to 'collect'. */
export interface ReceiverRecords {
  frames: FrameRecord[];
  /** This process's CPU time since it started, µs (user + system, every thread). */
  cpuUs: number;
  rssBytes: number;
}

const receiver = await Receiver.open({ port: 0, host: '127.0.0.1' });
const web = await HttpServer.listen(receiver, { port: 0, host: '127.0.0.1' });
const frames: FrameRecord[] = [];

const firstFrame = once(receiver, 'frame');
// 'frame' is emitted after every sink's write, so now is when the MJPEG writes were handed to the sockets.
receiver.on('frame', (frame) => {
  const sinksDoneUs = wallClockUs();
  if (frame.meta === undefined) return;
  frames.push({
    seq: frame.meta.seq,
    captureUs: frame.meta.captureUs,
    firstChunkUs: epochMicrosAt(frame.firstChunkAt),
    receivedUs: frame.receivedUs,
    sinksDoneUs,
    bytes: frame.data.length,
  });
});

answerClockPings();
process.on('message', async (message: { type: string; id: number }) => {
  if (message.type === 'collect') {
    const { user, system } = process.cpuUsage();
    const records: ReceiverRecords = { frames, cpuUs: user + system, rssBytes: process.memoryUsage.rss() };
    process.send!({ ...records, id: message.id });
  } else if (message.type === 'camera') {
    // Answered at the first frame: by then the HTTP server knows the camera.
    const [frame] = await firstFrame;
    process.send!({ camera: frame.camera, id: message.id });
  } else if (message.type === 'exit') {
    await web.close();
    await receiver.close();
    process.exit(0);
  }
});
process.on('disconnect', () => process.exit(0));
process.send!({ type: 'ready', udpPort: receiver.address.port, httpPort: web.address.port });
