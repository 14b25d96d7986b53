/**
 * An MJPEG client for the benches that notes when each part arrives: it reads a
 * multipart/x-mixed-replace stream (@udpcam/common's MultipartParser), and for
 * every whole part records udpcam's metadata from the JPEG (sender seq, capture µs) and the wall
 * clock (µs since the epoch) of the 'data' event that completed it — taken before any parsing.
 */
import http from 'node:http';
import { boundaryFromContentType, MultipartParser, wallClockUs } from '@udpcam/common';
import { type FrameMeta, readFrameMeta } from '@udpcam/protocol';

/** One part as it arrived. */
export interface MjpegArrival {
  /** Wall clock when its last byte was read, µs since the epoch. */
  arrivalUs: number;
  bytes: number;
  meta: FrameMeta | undefined;
}

/** A connected MJPEG stream; parts accumulate in `parts`, body bytes in `bytes`. */
export class MjpegRecorder {
  readonly parts: MjpegArrival[] = [];
  /** Response body bytes read (boundaries, part headers and JPEGs). */
  bytes = 0;
  error: Error | undefined;
  readonly #request: http.ClientRequest;
  readonly #parser: MultipartParser;

  private constructor(request: http.ClientRequest, boundary: string | undefined) {
    this.#request = request;
    this.#parser = new MultipartParser(boundary);
  }

  /** GETs `url` on a connection of its own; resolves once a 200 MJPEG response has started. */
  static connect(url: string, timeoutMs = 5_000): Promise<MjpegRecorder> {
    return new Promise((resolve, reject) => {
      const request = http.get(url, { agent: false }, (response) => {
        if (
          response.statusCode !== 200 ||
          !/^multipart\/x-mixed-replace/.test(response.headers['content-type'] ?? '')
        ) {
          response.resume();
          reject(new Error(`${url} answered ${response.statusCode} ${response.headers['content-type']}`));
          return;
        }
        const recorder = new MjpegRecorder(
          request,
          boundaryFromContentType(response.headers['content-type'] ?? ''),
        );
        response.on('data', (chunk: Buffer) => recorder.#read(chunk, wallClockUs()));
        response.on('error', () => {});
        resolve(recorder);
      });
      request.setTimeout(timeoutMs, () =>
        request.destroy(new Error(`${url}: no answer within ${timeoutMs} ms`)),
      );
      request.on('error', reject);
    });
  }

  /** Closes the connection. */
  close(): void {
    this.#request.destroy();
  }

  #read(chunk: Buffer, nowUs: number): void {
    this.bytes += chunk.length;
    for (const part of this.#parser.feed(chunk)) {
      this.parts.push({ arrivalUs: nowUs, bytes: part.body.length, meta: readFrameMeta(part.body) });
    }
    if (this.#parser.skippedBytes > 0 && this.error === undefined) {
      this.error = new Error(
        `MJPEG stream broke the format (${this.#parser.skippedBytes} bytes outside parts)`,
      );
      this.close();
    }
  }
}
