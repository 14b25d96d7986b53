/** @udpcam/common: the primitives the packages, tests and benches share, each written once. */
export { writeFileAtomic, writeFileAtomicSync } from './atomic-write.js';
export { Backoff } from './backoff.js';
export { epochMicrosAt, monotonicClock, wallClockUs } from './clock.js';
export { addressError, errnoReason } from './errno.js';
export {
  GUARD_TIMEOUTS,
  type GuardedHandler,
  type GuardOptions,
  guardServer,
  requestError,
  sendError,
} from './http/guard.js';
export { closeHttp, listenHttp, serverUrl } from './http/listen.js';
export { PageFiles, sendJpeg, sendJson } from './http/page.js';
export {
  boundaryFromContentType,
  DEFAULT_MAX_PART_BYTES,
  MultipartParser,
  type MultipartParserOptions,
  type MultipartPart,
} from './multipart.js';
export { percentile, sortedAscending } from './percentile.js';
export { RateMeter } from './rate-meter.js';
