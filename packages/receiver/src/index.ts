/**
 * @udpcam/receiver: UDP socket → reassembly → sinks (disk, HTTP), as the CLI and the benches use
 * it. Tests reach the internals through `#receiver/*` (the root package.json's imports).
 */
export { cameraId, cameraNameProblem } from './camera.js';
export type { FrameSink, ReceivedFrame } from './frame.js';
export { type HttpOptions, HttpServer } from './http/server.js';
export { checkCameraNames } from './identity.js';
export type { NackCounters } from './nack/nack-tracker.js';
export { DEFAULT_RECEIVER_OPTIONS, type ReceivePath, Receiver, type ReceiverOptions } from './receiver.js';
export { checkWritableDir, DiskSink, type DiskSinkOptions, type DiskSinkStats } from './sinks/disk.js';
export { bindUdpSocket } from './socket.js';
export type {
  CameraStats,
  LatencyPercentiles,
  PendingSender,
  ReceiverStats,
  ReceiverTotals,
} from './stats.js';
