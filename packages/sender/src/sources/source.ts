/**
 * What every capture source delivers. A source hands out the newest frame on demand and never a
 * queue: a camera source keeps only the latest frame it captured (an older one is overwritten,
 * never sent late), a synthetic one renders when asked. Sources that get compressed bytes from
 * the device (MJPEG cameras, HTTP streams, files) deliver JPEG; those that get pixels deliver RGBA
 * for the encoder.
 */
import { UdpcamError } from '@udpcam/protocol';

/** A frame that is already a JPEG: sent as is (its size is whatever the device made). */
export interface JpegFrame {
  kind: 'jpeg';
  /** One whole JPEG, SOI to EOI. */
  data: Buffer;
  /** Pixel size when the source knows it. */
  width?: number;
  height?: number;
  /** Capture time in µs since the Unix epoch. */
  captureUs: number;
}

/** A frame of raw pixels: 4 bytes per pixel (R, G, B, A), rows packed with no padding. */
export interface RgbaFrame {
  kind: 'rgba';
  /** width * height * 4 bytes. */
  data: Buffer;
  width: number;
  height: number;
  /** Capture time in µs since the Unix epoch. */
  captureUs: number;
}

export type CapturedFrame = JpegFrame | RgbaFrame;

/**
 * A capture source. Call `start` once, then `grab` for each frame to send, then `stop`.
 * A frame's `data` stays valid only until the next `grab`: sources may render or capture into a
 * reused buffer, so copy it to keep it.
 */
export interface FrameSource {
  /** Short name for logs and errors, e.g. "test-pattern" or "/dev/video0". */
  readonly name: string;
  /** Opens the device or starts capturing; rejects with UDPCAM_ERR_SOURCE_SPEC (unusable as given) or UDPCAM_ERR_SOURCE. */
  start(): Promise<void>;
  /**
   * The newest frame: a camera source waits for one newer than the last it returned (it keeps
   * only the latest capture, never a backlog); a synthetic source renders one on the spot.
   */
  grab(): Promise<CapturedFrame>;
  /** Stops capturing and releases the device; safe to call more than once. */
  stop(): Promise<void>;
}

/** The error of a `grab()` on a source that is not started (or already stopped), for every source. */
export function notStarted(name: string): UdpcamError {
  return new UdpcamError('UDPCAM_ERR_CLOSED', `${name}: grab() called while not started`);
}
