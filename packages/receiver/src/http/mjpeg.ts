/**
 * MJPEG over HTTP (multipart/x-mixed-replace), fanned out to many clients the way µStreamer does
 * it: each frame's bytes are written to every client as they are — one buffer, no copies — after
 * a part header built once per frame. A client whose socket is still full does not get a queue:
 * it keeps only the newest frame and gets that one when the socket drains, so a slow client skips
 * frames and never delays the others or holds more than one frame in memory.
 */
import type { ServerResponse } from 'node:http';
import { monotonicClock, RateMeter } from '@udpcam/common';
import type { Clock } from '@udpcam/protocol';
import type { ReceivedFrame } from '../frame.js';

export const BOUNDARY = 'udpcam-frame';

/** Headers for a multipart MJPEG response (no caching: every part replaces the last). */
export const MJPEG_HEADERS = {
  'Content-Type': `multipart/x-mixed-replace;boundary=${BOUNDARY}`,
  'Cache-Control': 'no-store, no-cache, must-revalidate, max-age=0',
  Pragma: 'no-cache',
  Expires: '0',
  Connection: 'close',
} as const;

/** X-Timestamp as µStreamer writes it: seconds since the epoch with 6 decimals. */
export function timestampHeader(receivedUs: number): string {
  return `${Math.floor(receivedUs / 1e6)}.${String(receivedUs % 1e6).padStart(6, '0')}`;
}

/** The bytes that go before a frame in the stream. */
export function partHeader(frame: ReceivedFrame): Buffer {
  return Buffer.from(
    `--${BOUNDARY}\r\nContent-Type: image/jpeg\r\nContent-Length: ${frame.data.length}\r\nX-Timestamp: ${timestampHeader(frame.receivedUs)}\r\n\r\n`,
    'latin1',
  );
}

const PART_END = Buffer.from('\r\n', 'latin1');

/** One client of a stream; the constructor starts the response (headers only, frames come through `offer`). */
export class MjpegClient {
  readonly #response: ServerResponse;
  readonly #clock: Clock;
  readonly #rate = new RateMeter();
  #pending: { header: Buffer; frame: ReceivedFrame } | undefined;

  /** `clock` times the client's fps (default performance.now). */
  constructor(response: ServerResponse, clock: Clock = monotonicClock) {
    this.#response = response;
    this.#clock = clock;
    // Close-delimited like µStreamer and mjpg-streamer, not chunked: every MJPEG client reads that.
    response.useChunkedEncodingByDefault = false;
    response.shouldKeepAlive = false;
    response.writeHead(200, MJPEG_HEADERS);
    response.flushHeaders();
    response.on('drain', () => {
      const pending = this.#pending;
      if (pending === undefined) return;
      this.#pending = undefined;
      this.#write(pending.header, pending.frame);
    });
  }

  /** Frames per second actually written to this client, over the last ~2 s. */
  fps(nowMs = this.#clock()): number {
    return this.#rate.rate(nowMs);
  }

  /** Hands the client a new frame: written now, or kept as its newest until the socket drains. */
  offer(header: Buffer, frame: ReceivedFrame): void {
    if (this.#response.writableNeedDrain) {
      this.#pending = { header, frame };
      return;
    }
    this.#write(header, frame);
  }

  /** Ends the stream. */
  close(): void {
    this.#pending = undefined;
    this.#response.end();
  }

  #write(header: Buffer, frame: ReceivedFrame): void {
    const response = this.#response;
    if (response.destroyed || response.writableEnded) return;
    response.cork();
    response.write(header);
    response.write(frame.data);
    response.write(PART_END);
    response.uncork();
    this.#rate.add(this.#clock());
  }
}
