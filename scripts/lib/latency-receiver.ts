/**
 * bench-latency's receiver (a child process, pinned to a core by the parent): Receiver +
 * HttpServer on 127.0.0.1, ephemeral ports, as `udpcam receive --http` runs them. For every frame
 * that carries udpcam's metadata it records, on this process's clock (µs since the epoch):
 *   firstChunkUs  the frame's first datagram handed to the assembler (its firstChunkAt),
 *   receivedUs    the frame complete (the receiver's own stamp, taken before the sinks run),
 *   sinksDoneUs   after the sinks ran, i.e. after the HTTP server wrote it to every MJPEG socket.
 *
 * IPC (requests carry an id, replies echo it): {type:'clock'} → {nowUs}; {type:'collect'} → the
 * records so far and this process's CPU time; {type:'exit'}. First message: {type:'ready', udpPort,
 * httpPort}.
 *
 *   node build/scripts/lib/latency-receiver.js   (spawned with an IPC channel)
 */

import { epochMicrosAt, wallClockUs } from '@udpcam/common';
import { HttpServer, Receiver } from '@udpcam/receiver';
import { answerClockPings } from './latency-clock.js';

/** Per-frame records, one array per field (sender seq order as received). */
export interface ReceiverRecords {
  type: 'frames';
  camera: string | undefined;
  seq: number[];
  captureUs: number[];
  firstChunkUs: number[];
  receivedUs: number[];
  sinksDoneUs: number[];
  bytes: number[];
  /** Complete frames without udpcam metadata (none expected). */
  withoutMeta: number;
  /** This process's CPU time since it started, µs (user + system, every thread). */
  cpuUs: number;
  rssBytes: number;
}

const receiver = await Receiver.open({ port: 0, host: '127.0.0.1' });
const web = await HttpServer.listen(receiver, { port: 0, host: '127.0.0.1' });

const records: ReceiverRecords = {
  type: 'frames',
  camera: undefined,
  seq: [],
  captureUs: [],
  firstChunkUs: [],
  receivedUs: [],
  sinksDoneUs: [],
  bytes: [],
  withoutMeta: 0,
  cpuUs: 0,
  rssBytes: 0,
};

// 'frame' is emitted after every sink's write, so now is when the MJPEG writes were handed to the sockets.
receiver.on('frame', (frame) => {
  const sinksDoneUs = wallClockUs();
  if (frame.meta === undefined) {
    records.withoutMeta++;
    return;
  }
  records.camera ??= frame.camera;
  records.seq.push(frame.meta.seq);
  records.captureUs.push(frame.meta.captureUs);
  records.firstChunkUs.push(epochMicrosAt(frame.firstChunkAt));
  records.receivedUs.push(frame.receivedUs);
  records.sinksDoneUs.push(sinksDoneUs);
  records.bytes.push(frame.data.length);
});

answerClockPings();
process.on('message', async (message: { type: string; id: number }) => {
  if (message.type === 'collect') {
    const { user, system } = process.cpuUsage();
    process.send!({ ...records, cpuUs: user + system, rssBytes: process.memoryUsage.rss(), id: message.id });
  } else if (message.type === 'exit') {
    await web.close();
    await receiver.close();
    process.exit(0);
  }
});
process.send!({ type: 'ready', udpPort: receiver.address.port, httpPort: web.address.port });
