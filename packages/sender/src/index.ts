/**
 * @udpcam/sender: capture → encode → chunk → UDP. The tree follows the data path:
 *
 *   sources/     FrameSource implementations (the newest frame on demand)
 *                  test-pattern.ts  synthetic pattern (canvas.ts, font.ts draw it; not exported)
 *   latest-frame.ts  the newest-frame slot every source shares (the retry Backoff is in @udpcam/common)
 *   transforms/  per-frame pixel work: the area warp (homography + bilinear sampling), on a worker thread
 *   encoders/    JPEG codecs: jpeg-js (inline or on a worker thread), sharp (libjpeg-turbo) when installed
 *   transmitter.ts  one JPEG → its datagrams on a UDP socket (udpcam or legacy framing)
 *   sender.ts    the paced loop tying them together, with stats and events
 *   schedule.ts  pure timing helper the loop uses (clocks and the rate meter are in @udpcam/common)
 */
export {
  assertQuality,
  assertRgbaSize,
  DEFAULT_QUALITY,
  type JpegEncoder,
  MAX_QUALITY,
  MIN_QUALITY,
} from './encoders/encoder.js';
export {
  availableCodecs,
  CODEC_NAMES,
  type CodecName,
  decodeError,
  type JpegCodec,
  JpegJsCodec,
  jpegJsDecode,
  jpegJsEncode,
  type LoadCodecOptions,
  loadCodec,
  type RgbaImage,
  SharpCodec,
  type SharpModule,
  sharpMissingMessage,
  WorkerCodec,
} from './encoders/index.js';
export { JpegJsEncoder } from './encoders/jpeg-js.js';
export { LatestFrame } from './latest-frame.js';
export * from './nack/index.js';
export * from './regular-file.js';
export { FrameSchedule } from './schedule.js';
export {
  DEFAULT_MIN_QUALITY,
  type FrameEvent,
  type FrameFailedWarning,
  type FrameTransform,
  MAX_FPS,
  type QualityReducedWarning,
  Sender,
  type SenderEvents,
  type SenderOptions,
  type SenderStats,
  type SenderWarning,
} from './sender.js';
export type { Rect } from './sources/canvas.js';
export * from './sources/directory.js';
export * from './sources/ffmpeg.js';
export * from './sources/file.js';
export * from './sources/http-camera.js';
export { jpegSize } from './sources/jpeg-info.js';
export type { CapturedFrame, FrameSource, JpegFrame, RgbaFrame } from './sources/source.js';
export {
  type TestPatternLayout,
  type TestPatternOptions,
  TestPatternSource,
  testPatternMarkers,
} from './sources/test-pattern.js';
export * from './sources/webcam.js';
export {
  apply,
  assertConvexQuad,
  invert,
  type Matrix3,
  multiply,
  type Point,
  perspectiveTransform,
  type Quad,
} from './transforms/homography.js';
export {
  AreaWarp,
  type CaptureArea,
  MAX_CAPTURE_COORDINATE,
  visibleSize,
} from './transforms/warp.js';
export { WorkerWarp } from './transforms/worker-warp.js';
export {
  type FrameTransmitter,
  isMulticast,
  MAX_SPREAD_GAP_MS,
  type SendResult,
  sendError,
  Transmitter,
  type TransmitterOptions,
} from './transmitter.js';
