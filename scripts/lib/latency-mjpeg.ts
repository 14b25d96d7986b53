/**
 * An MJPEG client for the benches that notes when each part arrives: it reads a
 * multipart/x-mixed-replace stream (`--boundary`, headers, Content-Length bytes, CRLF), and for
 * every whole part records udpcam's metadata from the JPEG (sender seq, capture µs) and the wall
 * clock (µs since the epoch) of the 'data' event that completed it — taken before any parsing.
 */
import http from 'node:http';
import { type FrameMeta, readFrameMeta } from '@udpcam/protocol';
import { epochUs } from './latency-clock.js';

/** One part as it arrived. */
export interface MjpegArrival {
  /** Wall clock when its last byte was read, µs since the epoch. */
  arrivalUs: number;
  bytes: number;
  meta: FrameMeta | undefined;
}

const HEADER_END = Buffer.from('\r\n\r\n', 'latin1');
/** Part headers longer than this mean a broken stream. */
const MAX_HEADER_BYTES = 8192;

/** A connected MJPEG stream; parts accumulate in `parts`, body bytes in `bytes`. */
export class MjpegRecorder {
  readonly parts: MjpegArrival[] = [];
  /** Response body bytes read (boundaries, part headers and JPEGs). */
  bytes = 0;
  error: Error | undefined;
  readonly #request: http.ClientRequest;
  #chunks: Buffer[] = [];
  #buffered = 0;
  #bodyLength = -1;

  private constructor(request: http.ClientRequest) {
    this.#request = request;
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
        const recorder = new MjpegRecorder(request);
        response.on('data', (chunk: Buffer) => recorder.#read(chunk, epochUs()));
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
    if (this.error) return;
    this.#chunks.push(chunk);
    this.#buffered += chunk.length;
    try {
      for (;;) {
        if (this.#bodyLength < 0) {
          const data = this.#flatten();
          const end = data.indexOf(HEADER_END);
          if (end < 0) {
            if (data.length > MAX_HEADER_BYTES) throw new Error('MJPEG part header too long');
            return;
          }
          const length = /\r\ncontent-length:\s*(\d+)/i.exec(data.toString('latin1', 0, end))?.[1];
          if (length === undefined) throw new Error('MJPEG part without Content-Length');
          this.#bodyLength = Number(length);
          this.#consume(end + HEADER_END.length);
        }
        // The body and the CRLF after it.
        if (this.#buffered < this.#bodyLength + 2) return;
        const body = this.#flatten().subarray(0, this.#bodyLength);
        this.parts.push({ arrivalUs: nowUs, bytes: body.length, meta: readFrameMeta(body) });
        this.#consume(this.#bodyLength + 2);
        this.#bodyLength = -1;
      }
    } catch (error) {
      this.error = error as Error;
      this.close();
    }
  }

  #flatten(): Buffer {
    if (this.#chunks.length > 1) this.#chunks = [Buffer.concat(this.#chunks, this.#buffered)];
    return this.#chunks[0] ?? Buffer.alloc(0);
  }

  #consume(bytes: number): void {
    const rest = this.#flatten().subarray(bytes);
    this.#chunks = rest.length > 0 ? [rest] : [];
    this.#buffered = rest.length;
  }
}
