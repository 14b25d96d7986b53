/** The JSON views of the API (/api/cameras, /api/receiver, a camera's /frames), built from the stats snapshot and the feeds. */
import type { Receiver } from '../receiver.js';
import type { ReceiverStats } from '../stats.js';
import type { CameraFeeds } from './feeds.js';
import type { HttpOptions } from './server.js';

/** /api/cameras: every camera's figures, its HTTP clients and its URLs. */
export function cameraList({ cameras, atMs }: ReceiverStats, feeds: CameraFeeds) {
  return cameras.map((camera) => {
    const { id, assembly: stats, latencyUs: latency } = camera;
    const complete = stats?.framesComplete ?? 0;
    const dropped = stats?.framesDropped ?? 0;
    const ms = (us: number) => us / 1000;
    return {
      id,
      name: camera.named ? id : null,
      sender: camera.sender,
      online: camera.online,
      frames: camera.frames,
      fps: Number(camera.fps.toFixed(2)),
      bytesPerSecond: Math.round(camera.bytesPerSecond),
      lastFrameAt: camera.lastFrameUs > 0 ? new Date(camera.lastFrameUs / 1000).toISOString() : null,
      lossPercent: complete + dropped > 0 ? Number(((100 * dropped) / (complete + dropped)).toFixed(2)) : 0,
      framesDropped: dropped,
      framesRecovered: stats?.framesRecovered ?? 0,
      datagramsLost: stats?.datagramsLost ?? 0,
      parityReceived: stats?.parityReceived ?? 0,
      // Retransmission on request (docs/protocol.md#nack): null when the receiver does not ask.
      nack: camera.nack,
      latencyMs: latency
        ? { p50: ms(latency.p50), p95: ms(latency.p95), p99: ms(latency.p99), max: ms(latency.max) }
        : null,
      // Frames whose capture stamp was implausible: the sender's clock is off (latency leaves them out).
      senderClockSuspect: camera.implausibleLatencies > 0,
      implausibleLatencies: camera.implausibleLatencies,
      clients: feeds.clientCount(id),
      clientFps: feeds.clientFps(id, atMs),
      recent: feeds.ring(id)?.size ?? 0,
      stats,
      rejectedDatagrams: camera.rejectedDatagrams ?? null,
      urls: {
        stream: `/cameras/${id}/stream.mjpg`,
        snapshot: `/cameras/${id}/snapshot.jpg`,
        frames: `/cameras/${id}/frames`,
      },
    };
  });
}

/** /cameras/:id/frames: the frames a camera's ring holds, each with its URL. */
export function frameList(id: string, feeds: CameraFeeds) {
  return [...(feeds.ring(id)?.frames() ?? [])].map((f) => ({
    seq: f.seq,
    receivedUs: f.receivedUs,
    bytes: f.data.length,
    captureUs: f.meta?.captureUs,
    url: `/cameras/${id}/frames/${f.seq}.jpg`,
  }));
}

/** /api/receiver: the UDP address and how it is read, the HTTP side's load and limits, senders with no frame yet, protection. */
export function receiverView(
  receiver: Receiver,
  feeds: CameraFeeds,
  options: HttpOptions,
  maxConnections: number,
) {
  const stats = receiver.stats();
  return {
    udp: receiver.address,
    receivePath: receiver.receivePath,
    offlineAfterMs: receiver.offlineAfterMs,
    ringSeconds: options.ring.maxAgeUs / 1e6,
    ringBytes: feeds.ringBytes,
    // Senders heard that never completed a frame: not cameras yet, but worth seeing.
    pendingSenders: stats.pendingSenders,
    ringMaxBytes: options.ringTotalBytes,
    clients: feeds.clientCount(),
    waiting: feeds.waiting,
    maxClients: options.maxClients,
    security: stats.security,
    maxClientsPerAddress: options.maxClientsPerAddress,
    maxConnections,
  };
}
