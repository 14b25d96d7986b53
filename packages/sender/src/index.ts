/**
 * @udpcam/sender: capture → encode → chunk → UDP. The tree follows the data path:
 *
 *   sources/     FrameSource implementations (the newest frame on demand)
 *                  test-pattern.ts  synthetic pattern (canvas.ts, font.ts draw it)
 *   latest-frame.ts  the newest-frame slot every source shares (the retry Backoff is in @udpcam/common)
 *   transforms/  per-frame pixel work: the area warp (homography + bilinear sampling), on a worker thread
 *   encoders/    JPEG codecs: jpeg-js (inline or on a worker thread), sharp (libjpeg-turbo) when installed
 *   transmitter.ts  one JPEG → its datagrams on a UDP socket (udpcam or legacy framing)
 *   sender.ts    the paced loop tying them together, with stats and events
 *   schedule.ts  pure timing helper the loop uses (clocks and the rate meter are in @udpcam/common)
 *
 * Exported: what the CLI, the area tool and the benches use, with the types of their signatures.
 */
export type { JpegCodec, RgbaImage } from './encoders/encoder.js';
export { CODEC_NAMES, type CodecName, loadCodec } from './encoders/load.js';
export { LatestFrame } from './latest-frame.js';
export { MAX_CONFIG_FILE_BYTES, readRegularFileSync } from './regular-file.js';
export {
  type FrameEvent,
  type FrameTransform,
  Sender,
  type SenderOptions,
  type SenderStats,
  type SenderWarning,
} from './sender.js';
export { DirectorySource } from './sources/directory.js';
export { type CameraConfig, FfmpegSource } from './sources/ffmpeg.js';
export { FileSource } from './sources/file.js';
export { HttpCameraSource } from './sources/http-camera.js';
export { jpegSize } from './sources/jpeg-info.js';
export type { CapturedFrame, FrameSource, JpegFrame, RgbaFrame } from './sources/source.js';
export { TestPatternSource } from './sources/test-pattern.js';
export { WebcamSource } from './sources/webcam.js';
export { AreaWarp, type CaptureArea } from './transforms/warp.js';
export { WorkerWarp } from './transforms/worker-warp.js';
export {
  type FrameTransmitter,
  isMulticast,
  MAX_SPREAD_GAP_MS,
  Transmitter,
  type TransmitterOptions,
} from './transmitter.js';
