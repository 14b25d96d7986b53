/**
 * A strict reader for multipart/x-mixed-replace MJPEG streams, as µStreamer and mjpg-streamer
 * write them: every part is `--BOUNDARY\r\n`, header lines with a Content-Length, a blank line,
 * the JPEG and a line end, nothing else between parts. The adapters below feed it from an HTTP
 * response or from a raw socket a test controls.
 */
import http, { type IncomingHttpHeaders, type IncomingMessage } from 'node:http';
import net from 'node:net';
import { boundaryFromContentType, MultipartParser, type MultipartPart } from '@udpcam/common';

const HEADER_END = Buffer.from('\r\n\r\n', 'latin1');

/** One part of the stream: its headers (names lower-cased) and body. */
export type MjpegPart = MultipartPart;

/** The boundary from a `multipart/x-mixed-replace;boundary=...` Content-Type; throws otherwise. */
export function boundaryOf(contentType: string | undefined): string {
  const boundary = boundaryFromContentType(contentType ?? '');
  if (!/^multipart\/x-mixed-replace\s*;/i.test(contentType ?? '') || boundary === undefined) {
    throw new Error(`not a multipart/x-mixed-replace Content-Type: ${contentType}`);
  }
  return boundary;
}

/**
 * @udpcam/common's MultipartParser held to the letter: `push` throws when bytes between parts
 * were skipped or a part has no valid Content-Length.
 */
export class MjpegParser {
  readonly #parser: MultipartParser;
  /** Parts read so far. */
  parts = 0;

  constructor(boundary: string) {
    this.#parser = new MultipartParser(boundary);
  }

  /** Bytes received but not yet part of a complete part (at least 1 inside a part). */
  get buffered(): number {
    return this.#parser.inPart ? Math.max(1, this.#parser.pendingBytes) : this.#parser.pendingBytes;
  }

  /** Adds bytes; returns the parts they complete. Throws on anything that breaks the format. */
  push(chunk: Buffer): MjpegPart[] {
    const parts = this.#parser.feed(chunk);
    if (this.#parser.skippedBytes > 0) throw new Error(`${this.#parser.skippedBytes} bytes outside any part`);
    for (const part of parts) {
      if (!/^\d+$/.test(part.headers['content-length'] ?? '')) {
        throw new Error(`part without a valid Content-Length: ${JSON.stringify(part.headers)}`);
      }
    }
    this.parts += parts.length;
    return parts;
  }
}

/** An MJPEG stream being read: parts go to `onPart` as they complete. */
export interface MjpegStream {
  status: number;
  headers: IncomingHttpHeaders;
  /** Resolves when the server ends the stream (or the connection closes), with how it ended. */
  ended: Promise<'end' | 'error'>;
  /** The first parse error, if the stream broke the format. */
  error: Error | undefined;
  /** Bytes read past the last whole part: not 0 after the end means the last part was cut. */
  leftover(): number;
  /** Closes the connection from the client side. */
  close(): void;
}

/**
 * GETs an MJPEG URL with its own connection and feeds every part to `onPart`. Resolves once the
 * response headers arrive; a non-200 answer resolves too (with no parts), so tests can check it.
 */
export function readMjpeg(
  url: string,
  onPart: (part: MjpegPart) => void,
  headers: Record<string, string> = {},
): Promise<MjpegStream & { body: Promise<Buffer> }> {
  return new Promise((resolve, reject) => {
    const request = http.get(url, { agent: false, headers }, (response: IncomingMessage) => {
      const stream = {
        status: response.statusCode ?? 0,
        headers: response.headers,
        error: undefined as Error | undefined,
        ended: new Promise<'end' | 'error'>((done) => {
          response.on('end', () => done('end'));
          response.on('error', () => done('error'));
          response.on('close', () => done(response.complete ? 'end' : 'error'));
        }),
        close: () => request.destroy(),
        leftover: () => parser?.buffered ?? 0,
        body: Promise.resolve(Buffer.alloc(0)),
      };
      let parser: MjpegParser | undefined;
      if (stream.status !== 200) {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        stream.body = stream.ended.then(() => Buffer.concat(chunks));
        resolve(stream);
        return;
      }
      const reader = new MjpegParser(boundaryOf(response.headers['content-type']));
      parser = reader;
      response.on('data', (chunk: Buffer) => {
        if (stream.error) return;
        try {
          for (const part of reader.push(chunk)) onPart(part);
        } catch (error) {
          stream.error = error as Error;
          request.destroy();
        }
      });
      resolve(stream);
    });
    request.on('error', reject);
  });
}

/**
 * An MJPEG client that connects, sends its GET and then stops reading (a raw socket, paused), so
 * the server's socket fills up. `resume()` starts reading: the HTTP head is skipped and the parts
 * go to `onPart`.
 */
export class StalledMjpegClient {
  readonly #socket: net.Socket;
  #onPart: ((part: MjpegPart) => void) | undefined;
  #head: Buffer[] = [];
  #parser: MjpegParser | undefined;
  /** Bytes read since `resume()`. */
  bytes = 0;
  error: Error | undefined;

  private constructor(socket: net.Socket) {
    this.#socket = socket;
  }

  /** Connects to `url` (http://127.0.0.1:PORT/path), sends the request and stops reading. */
  static async connect(url: string): Promise<StalledMjpegClient> {
    const target = new URL(url);
    const socket = net.connect({ host: target.hostname.replace(/^\[|\]$/g, ''), port: Number(target.port) });
    socket.pause();
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    socket.on('error', () => {});
    socket.write(`GET ${target.pathname}${target.search} HTTP/1.1\r\nHost: ${target.host}\r\n\r\n`);
    return new StalledMjpegClient(socket);
  }

  /** Starts reading; parts from now on go to `onPart`. */
  resume(onPart: (part: MjpegPart) => void): void {
    this.#onPart = onPart;
    this.#socket.on('data', (chunk: Buffer) => this.#read(chunk));
    this.#socket.resume();
  }

  close(): void {
    this.#socket.destroy();
  }

  #read(chunk: Buffer): void {
    this.bytes += chunk.length;
    if (this.error) return;
    try {
      if (this.#parser === undefined) {
        this.#head.push(chunk);
        const data = Buffer.concat(this.#head);
        const end = data.indexOf(HEADER_END);
        if (end < 0) return;
        const head = data.toString('latin1', 0, end);
        if (!/^HTTP\/1\.1 200 /.test(head)) throw new Error(`stream answered ${head.split('\r\n')[0]}`);
        const contentType = /\r\ncontent-type:\s*([^\r]+)/i.exec(head)?.[1];
        this.#parser = new MjpegParser(boundaryOf(contentType));
        this.#head = [];
        chunk = data.subarray(end + HEADER_END.length);
        if (chunk.length === 0) return;
      }
      for (const part of this.#parser.push(chunk)) this.#onPart?.(part);
    } catch (error) {
      this.error = error as Error;
      this.#socket.destroy();
    }
  }
}
