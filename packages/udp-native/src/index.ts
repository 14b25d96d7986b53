/**
 * udpcam's batched UDP for node:dgram sockets on Linux: receive with recvmmsg (receive.ts), send
 * with sendmmsg (send.ts). Every function returns undefined where the addon is not built or does
 * not load, and the caller keeps node:dgram's own path.
 */
export { nativeUdpProblem } from './binding.js';
export {
  type BatchListener,
  type BatchReceiver,
  type BatchStats,
  receiveBatches,
  type Sender,
} from './receive.js';
export { type BatchSender, type NativeDatagram, sendBatches } from './send.js';
