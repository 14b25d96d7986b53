/**
 * Picks a JPEG codec at run time. sharp is an optional dependency, so it is imported only here,
 * dynamically: 'auto' takes it when it loads and falls back to jpeg-js (on a worker thread).
 */
import { UdpcamError } from '@udpcam/protocol';
import type { JpegCodec } from './encoder.js';
import { JpegJsCodec } from './jpeg-js.js';
import { SharpCodec, type SharpModule } from './sharp.js';
import { WorkerCodec } from './worker-codec.js';

export const CODEC_NAMES = ['auto', 'sharp', 'jpeg-js'] as const;
export type CodecName = (typeof CODEC_NAMES)[number];

export interface LoadCodecOptions {
  /** jpeg-js on the calling thread instead of a worker thread (tests, tiny frames); default false. */
  inline?: boolean;
  /** How sharp is imported; default `import('sharp')`. Tests pass a failing one. */
  importSharp?: () => Promise<unknown>;
}

/** The message of the error for `--codec sharp` when sharp does not load. */
export function sharpMissingMessage(cause: unknown): string {
  const reason = cause instanceof Error ? cause.message.split('\n')[0] : String(cause);
  return `the sharp JPEG codec is not available (${reason}); install it with "npm install sharp", or use the jpeg-js codec`;
}

async function importSharpDefault(): Promise<unknown> {
  // A variable specifier keeps TypeScript from needing sharp's types at build time.
  const specifier = 'sharp';
  return import(specifier);
}

/** sharp's default export, or the reason it did not load. */
async function tryLoadSharp(
  importSharp: () => Promise<unknown>,
): Promise<{ sharp: SharpModule } | { error: unknown }> {
  try {
    const module = (await importSharp()) as { default?: unknown };
    const sharp = (module.default ?? module) as SharpModule;
    if (typeof sharp !== 'function')
      return { error: new Error('the sharp module has no default export function') };
    return { sharp };
  } catch (error) {
    return { error };
  }
}

/**
 * A codec by name: 'sharp' (rejects with UDPCAM_ERR_INVALID_OPTION and an install hint when
 * sharp does not load), 'jpeg-js' (on a worker thread unless `inline`), or 'auto' (sharp when it
 * loads, else jpeg-js). Close it when done (the Sender does).
 */
export async function loadCodec(
  name: CodecName = 'auto',
  options: LoadCodecOptions = {},
): Promise<JpegCodec> {
  if (!CODEC_NAMES.includes(name)) {
    throw new UdpcamError(
      'UDPCAM_ERR_INVALID_OPTION',
      `codec must be one of ${CODEC_NAMES.join(', ')}, got ${name}`,
    );
  }
  const jpegJs = () => (options.inline ? new JpegJsCodec() : new WorkerCodec());
  if (name === 'jpeg-js') return jpegJs();
  const loaded = await tryLoadSharp(options.importSharp ?? importSharpDefault);
  if ('sharp' in loaded) return new SharpCodec(loaded.sharp);
  if (name === 'auto') return jpegJs();
  throw new UdpcamError('UDPCAM_ERR_INVALID_OPTION', sharpMissingMessage(loaded.error), {
    cause: loaded.error,
  });
}

/** The codec names that work here, 'auto' excluded: always 'jpeg-js', 'sharp' when it loads. */
export async function availableCodecs(
  options: Pick<LoadCodecOptions, 'importSharp'> = {},
): Promise<CodecName[]> {
  const loaded = await tryLoadSharp(options.importSharp ?? importSharpDefault);
  return 'sharp' in loaded ? ['sharp', 'jpeg-js'] : ['jpeg-js'];
}
