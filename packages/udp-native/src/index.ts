/**
 * udpcam's native parts on Linux: batched UDP for node:dgram sockets, receiving with recvmmsg
 * (receive.ts) and sending with sendmmsg (send.ts); ChaCha20-Poly1305 through Node's own OpenSSL
 * for protected datagrams (aead.ts), with a receiver's opener in C (opener.ts); Reed-Solomon
 * parity (parity.ts); frame files written atomically in one call (write-file.ts). Every function
 * returns undefined where its addon is not built or does not load, and the caller keeps node:dgram's
 * path, another AEAD backend, the JavaScript encoder or node:fs.
 */

export { type OpensslChaCha20Poly1305, opensslAeadProblem, opensslChaCha20Poly1305 } from './aead.js';
export { nativeUdpProblem } from './binding.js';
export { type NativeOpener, type NativeOpenerCounts, nativeOpener, type OpenerKey } from './opener.js';
export { nativeParityEncoder, type ParityEncoder } from './parity.js';
export {
  type BatchEndListener,
  type BatchReceiver,
  type BatchStats,
  type DatagramListener,
  NOT_OPENED,
  receiveBatches,
  type Sender,
} from './receive.js';
export { type BatchSender, type NativeDatagram, sendBatches } from './send.js';
export { type AtomicFileWriter, nativeFileWriter } from './write-file.js';
