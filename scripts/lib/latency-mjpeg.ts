/**
 * An MJPEG client for the benches that notes when each part arrives: for every whole part of the
 * multipart/x-mixed-replace stream (@udpcam/common's MultipartParser), udpcam's metadata from the
 * JPEG (sender seq, capture µs) and the wall clock of the 'data' event that completed it, taken
 * before any parsing.
 */
import http from 'node:http';
import { boundaryFromContentType, MultipartParser, wallClockUs } from '@udpcam/common';
import { type FrameMeta, readFrameMeta } from '@udpcam/protocol';

/** One part as it arrived: its metadata, and when its last byte was read (µs since the epoch). */
interface MjpegArrival {
  arrivalUs: number;
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
  static connect(url: string): Promise<MjpegRecorder> {
    return new Promise((resolve, reject) => {
      const request = http.get(url, { agent: false }, (response) => {
        const type = response.headers['content-type'] ?? '';
        if (response.statusCode !== 200 || !type.startsWith('multipart/x-mixed-replace')) {
          response.resume();
          reject(new Error(`${url} answered ${response.statusCode} ${type}`));
          return;
        }
        const recorder = new MjpegRecorder(request, boundaryFromContentType(type));
        response.on('data', (chunk: Buffer) => recorder.#read(chunk, wallClockUs()));
        response.on('error', () => {});
        resolve(recorder);
      });
      request.setTimeout(5_000, () => request.destroy(new Error(`${url}: no answer within 5 s`)));
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
      this.parts.push({ arrivalUs: nowUs, meta: readFrameMeta(part.body) });
    }
    if (this.#parser.skippedBytes > 0 && this.error === undefined) {
      this.error = new Error(
        `MJPEG stream broke the format (${this.#parser.skippedBytes} bytes outside parts)`,
      );
      this.close();
    }
  }
}
