/** The JPEG codecs, also exported from the package as `@udpcam/sender/encoders`. */
export {
  assertQuality,
  assertRgbaSize,
  DEFAULT_QUALITY,
  decodeError,
  type JpegCodec,
  type JpegEncoder,
  MAX_QUALITY,
  MIN_QUALITY,
  type RgbaImage,
} from './encoder.js';
export { JpegJsCodec, JpegJsEncoder, jpegJsDecode, jpegJsEncode } from './jpeg-js.js';
export {
  availableCodecs,
  CODEC_NAMES,
  type CodecName,
  type LoadCodecOptions,
  loadCodec,
  sharpMissingMessage,
} from './load.js';
export { SharpCodec, type SharpModule } from './sharp.js';
export { WorkerCodec } from './worker-codec.js';
