export * from './camera.js';
export * from './frame.js';
export * from './http/auth.js';
export * from './http/connections.js';
export * from './http/login-throttle.js';
export * from './http/mjpeg.js';
export * from './http/server.js';
export * from './identity.js';
export * from './nack/index.js';
export * from './receiver.js';
export * from './ring.js';
export * from './secure-gate.js';
export * from './sinks/disk.js';
export * from './sinks/retention.js';
export * from './sinks/sync-writer.js';
export * from './sinks/thinning.js';
export * from './socket.js';
export type {
  CameraStats,
  LatencyPercentiles,
  PendingSender,
  ReceiverStats,
  ReceiverTotals,
} from './stats.js';
