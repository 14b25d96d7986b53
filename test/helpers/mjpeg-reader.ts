/**
 * A strict reader for multipart/x-mixed-replace MJPEG streams, as µStreamer and mjpg-streamer
 * write them: every part is `--BOUNDARY\r\n`, header lines, a blank line, exactly Content-Length
 * bytes of JPEG and `\r\n`. The parser is pure (bytes in, parts out); the adapters below feed it
 * from an HTTP response or from a raw socket a test controls.
 */
import http, { type IncomingHttpHeaders, type IncomingMessage } from 'node:http';
import net from 'node:net';

/** One part of the stream: its headers (names lower-cased) and body. */
export interface MjpegPart {
  headers: Record<string, string>;
  body: Buffer;
}

const CRLF = Buffer.from('\r\n', 'latin1');
const HEADER_END = Buffer.from('\r\n\r\n', 'latin1');
/** Part headers longer than this are a broken stream, not a slow one. */
const MAX_PART_HEADER_BYTES = 8192;

/** The boundary from a `multipart/x-mixed-replace;boundary=...` Content-Type; throws otherwise. */
export function boundaryOf(contentType: string | undefined): string {
  const match = /^multipart\/x-mixed-replace\s*;\s*boundary="?([^";]+)"?$/i.exec(contentType ?? '');
  if (!match) throw new Error(`not a multipart/x-mixed-replace Content-Type: ${contentType}`);
  return match[1]!;
}

/** Incremental parser: `push` bytes as they arrive, get back the parts completed by them. */
export class MjpegParser {
  readonly #delimiter: Buffer;
  readonly #chunks: Buffer[] = [];
  #buffered = 0;
  /** Headers of the part whose body is awaited, or undefined while awaiting headers. */
  #headers: Record<string, string> | undefined;
  #bodyLength = 0;
  /** Parts read so far. */
  parts = 0;

  constructor(boundary: string) {
    this.#delimiter = Buffer.from(`--${boundary}\r\n`, 'latin1');
  }

  /** Bytes received but not yet part of a complete part. */
  get buffered(): number {
    return this.#buffered;
  }

  /** Adds bytes; returns the parts they complete. Throws on anything that breaks the format. */
  push(chunk: Buffer): MjpegPart[] {
    this.#chunks.push(chunk);
    this.#buffered += chunk.length;
    const parts: MjpegPart[] = [];
    for (;;) {
      if (this.#headers === undefined) {
        const data = this.#flatten();
        const end = data.indexOf(HEADER_END);
        if (end < 0) {
          if (data.length > MAX_PART_HEADER_BYTES) throw new Error('part header too long');
          if (!this.#delimiter.subarray(0, data.length).equals(data.subarray(0, this.#delimiter.length))) {
            throw new Error(
              `part does not start with the boundary: ${JSON.stringify(data.toString('latin1', 0, 40))}`,
            );
          }
          return parts;
        }
        if (!data.subarray(0, this.#delimiter.length).equals(this.#delimiter)) {
          throw new Error(
            `part does not start with the boundary: ${JSON.stringify(data.toString('latin1', 0, 40))}`,
          );
        }
        this.#headers = parseHeaderLines(data.toString('latin1', this.#delimiter.length, end));
        const length = this.#headers['content-length'];
        if (length === undefined || !/^\d+$/.test(length)) {
          throw new Error(`part without a valid Content-Length: ${JSON.stringify(this.#headers)}`);
        }
        this.#bodyLength = Number(length);
        this.#consume(end + HEADER_END.length);
      }
      // The body, then the CRLF that ends the part.
      if (this.#buffered < this.#bodyLength + CRLF.length) return parts;
      const data = this.#flatten();
      if (!data.subarray(this.#bodyLength, this.#bodyLength + CRLF.length).equals(CRLF)) {
        throw new Error(`part body is not Content-Length (${this.#bodyLength}) bytes followed by CRLF`);
      }
      // A copy: the part outlives the stream's buffers, and a view would pin them.
      parts.push({ headers: this.#headers, body: Buffer.from(data.subarray(0, this.#bodyLength)) });
      this.parts++;
      this.#consume(this.#bodyLength + CRLF.length);
      this.#headers = undefined;
    }
  }

  /** The buffered bytes as one buffer (concatenated only when they span chunks). */
  #flatten(): Buffer {
    if (this.#chunks.length > 1) {
      const whole = Buffer.concat(this.#chunks, this.#buffered);
      this.#chunks.length = 0;
      this.#chunks.push(whole);
    }
    return this.#chunks[0] ?? Buffer.alloc(0);
  }

  #consume(bytes: number): void {
    const rest = this.#flatten().subarray(bytes);
    this.#chunks.length = 0;
    if (rest.length > 0) this.#chunks.push(rest);
    this.#buffered = rest.length;
  }
}

function parseHeaderLines(text: string): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const line of text.split('\r\n')) {
    const colon = line.indexOf(':');
    if (colon <= 0) throw new Error(`bad part header line: ${JSON.stringify(line)}`);
    headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  return headers;
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
