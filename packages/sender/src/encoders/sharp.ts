/**
 * JPEG through sharp (libvips on libjpeg-turbo), an optional dependency. sharp does its work on
 * libuv's thread pool, so the event loop stays free without a worker of our own. Baseline,
 * 4:2:0, no mozjpeg tricks: the fastest settings, and what a webcam stream wants.
 *
 * sharp is typed here by the little this file uses, so udpcam builds and runs without it.
 */
import {
  assertQuality,
  assertRgbaSize,
  DEFAULT_QUALITY,
  decodeError,
  type JpegCodec,
  type RgbaImage,
} from './encoder.js';

/** The part of a sharp pipeline this codec uses. */
interface SharpPipeline {
  removeAlpha(): SharpPipeline;
  ensureAlpha(): SharpPipeline;
  raw(): SharpPipeline;
  jpeg(options: { quality: number; mozjpeg: boolean; chromaSubsampling: string }): SharpPipeline;
  toBuffer(): Promise<Buffer>;
  toBuffer(options: { resolveWithObject: true }): Promise<{
    data: Buffer;
    info: { width: number; height: number; channels: number };
  }>;
}

/** The part of sharp's default export this codec uses. */
export interface SharpModule {
  (input: Buffer, options?: { raw?: { width: number; height: number; channels: 4 } }): SharpPipeline;
  cache(options: boolean): unknown;
}

export class SharpCodec implements JpegCodec {
  readonly name = 'sharp';
  readonly #sharp: SharpModule;

  /** `sharp` is the module's default export (see loadCodec, which imports it). */
  constructor(sharp: SharpModule) {
    this.#sharp = sharp;
    // Every frame is new input: libvips' operation cache would only hold memory.
    sharp.cache(false);
  }

  async encode(
    rgba: Buffer,
    width: number,
    height: number,
    quality: number = DEFAULT_QUALITY,
  ): Promise<Buffer> {
    assertQuality(quality);
    assertRgbaSize(rgba, width, height);
    // removeAlpha: JPEG has no alpha, and flattening would blacken pixels whose alpha is 0.
    return this.#sharp(rgba, { raw: { width, height, channels: 4 } })
      .removeAlpha()
      .jpeg({ quality, mozjpeg: false, chromaSubsampling: '4:2:0' })
      .toBuffer();
  }

  async decode(jpeg: Buffer): Promise<RgbaImage> {
    try {
      const { data, info } = await this.#sharp(jpeg)
        .ensureAlpha()
        .raw()
        .toBuffer({ resolveWithObject: true });
      return { data, width: info.width, height: info.height };
    } catch (error) {
      throw decodeError('sharp', jpeg, error);
    }
  }

  async close(): Promise<void> {}
}
