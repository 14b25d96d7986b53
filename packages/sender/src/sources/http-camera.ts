/**
 * `http://…` / `https://…` — an IP camera. The response's Content-Type tells the kind:
 *
 * - `multipart/x-mixed-replace` — an MJPEG stream, parsed by MultipartParser. Only the newest
 *   complete JPEG is kept; `grab` returns it, or waits for one newer than the last it returned.
 * - `image/jpeg` — a snapshot URL: each `grab` fetches a fresh snapshot.
 * - anything else (ffmpeg's HTTP server says application/octet-stream) — sniffed: a body
 *   starting with 0xFF is a snapshot, one starting with "--" is multipart.
 *
 * When the camera drops (connection error, end of stream, non-2xx status, no data for
 * STALL_TIMEOUT_MS) the source reconnects by itself with exponential backoff (250 ms doubling to
 * 5 s, back to 250 ms after a good frame); `grab` waits meanwhile, up to `grabTimeoutMs`, then
 * rejects with UDPCAM_ERR_SOURCE saying what went wrong. Basic auth comes from `user:pass@` in
 * the URL or the `auth` option; the password never appears in names, states or errors. Cameras
 * rarely have real certificates, so a self-signed one is accepted. Parts past 16 MiB are dropped.
 */
import http from 'node:http';
import https from 'node:https';
import {
  Backoff,
  boundaryFromContentType,
  DEFAULT_MAX_PART_BYTES,
  errnoReason,
  MultipartParser,
  wallClockUs,
} from '@udpcam/common';
import { isWellFormedJpeg, UdpcamError } from '@udpcam/protocol';
import { LatestFrame } from '../latest-frame.js';
import { jpegSize } from './jpeg-info.js';
import { type FrameSource, type JpegFrame, notStarted } from './source.js';

export type HttpCameraState = 'connecting' | 'streaming' | 'retrying';

/** A connection that sends nothing for this long (ms) is dropped and retried. */
const STALL_TIMEOUT_MS = 10_000;

/** Options of HttpCameraSource. */
export interface HttpCameraOptions {
  /** Basic auth as "user:pass"; overrides credentials in the URL. */
  auth?: string;
  /** How long a grab waits for a frame before rejecting, in ms; default 10000. */
  grabTimeoutMs?: number;
  /** First reconnect delay, in ms; default 250. It doubles on each failure. */
  minRetryMs?: number;
  /** Longest reconnect delay, in ms; default 5000. */
  maxRetryMs?: number;
  /** Called on each state change with a one-line detail (never containing the password). */
  onState?: (state: HttpCameraState, detail: string) => void;
  /** Called for dropped parts that are not JPEGs, oversize parts and the like. */
  onWarning?: (message: string) => void;
}

type Mode = 'unknown' | 'stream' | 'snapshot';

/** Splits credentials off a URL: the URL without them (safe to log) and "user:pass" if any. */
export function splitCredentials(url: string): { url: URL; auth: string | undefined } {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new UdpcamError('UDPCAM_ERR_SOURCE_SPEC', `not a valid camera URL: ${redactUrl(url)}`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new UdpcamError(
      'UDPCAM_ERR_SOURCE_SPEC',
      `camera URL must be http:// or https://, got ${parsed.protocol}`,
    );
  }
  const auth =
    parsed.username !== '' || parsed.password !== ''
      ? `${decodeURIComponent(parsed.username)}:${decodeURIComponent(parsed.password)}`
      : undefined;
  parsed.username = '';
  parsed.password = '';
  return { url: parsed, auth };
}

/** The URL with any password replaced by "***", for messages. */
function redactUrl(url: string): string {
  return url.replace(/^([a-z]+:\/\/[^:/@]*):[^@/]*@/i, '$1:***@');
}

/** A FrameSource reading an IP camera over HTTP (see the file comment). */
export class HttpCameraSource implements FrameSource {
  readonly name: string;
  readonly url: URL;
  readonly #authHeader: string | undefined;
  readonly #user: string | undefined;
  readonly #options: HttpCameraOptions;
  readonly #grabTimeoutMs: number;
  readonly #backoff: Backoff;
  readonly #agent: http.Agent;

  #running = false;
  #mode: Mode = 'unknown';
  #state: HttpCameraState | undefined;
  #request: http.ClientRequest | undefined;
  /** The last problem, for grab errors: "connection refused, retrying". */
  #problem = 'no frame yet';
  readonly #latest = new LatestFrame<JpegFrame>();

  constructor(url: string, options: HttpCameraOptions = {}) {
    const split = splitCredentials(url);
    this.url = split.url;
    this.name = split.url.href;
    const auth = options.auth ?? split.auth;
    this.#authHeader = auth === undefined ? undefined : `Basic ${Buffer.from(auth).toString('base64')}`;
    this.#user = auth?.split(':')[0];
    this.#options = options;
    this.#grabTimeoutMs = options.grabTimeoutMs ?? 10_000;
    this.#backoff = new Backoff(options.minRetryMs, options.maxRetryMs);
    const agent = { keepAlive: true, maxSockets: 1 };
    this.#agent =
      split.url.protocol === 'https:'
        ? new https.Agent({ ...agent, rejectUnauthorized: false })
        : new http.Agent(agent);
  }

  /** 'stream' or 'snapshot' once the camera answered, 'unknown' before. */
  get mode(): Mode {
    return this.#mode;
  }

  /** The current connection state (undefined before start). */
  get state(): HttpCameraState | undefined {
    return this.#state;
  }

  /** Starts connecting; frames and failures are then handled in the background. */
  async start(): Promise<void> {
    if (this.#running) return;
    this.#running = true;
    this.#connect();
  }

  async stop(): Promise<void> {
    if (!this.#running) return;
    this.#running = false;
    this.#backoff.cancel();
    this.#request?.destroy();
    this.#request = undefined;
    this.#agent.destroy();
    this.#latest.cancel(new UdpcamError('UDPCAM_ERR_CLOSED', `${this.name}: stopped`));
  }

  /** The newest frame not yet returned; waits for one (up to grabTimeoutMs). */
  grab(): Promise<JpegFrame> {
    if (!this.#running) return Promise.reject(notStarted(this.name));
    // A snapshot camera: fetch a fresh one unless a fetch or retry is already under way.
    const idle = this.#request === undefined && !this.#backoff.pending;
    if (!this.#latest.fresh && this.#mode === 'snapshot' && idle) this.#connect();
    return this.#latest.take(
      this.#grabTimeoutMs,
      () =>
        new UdpcamError(
          'UDPCAM_ERR_SOURCE',
          `${this.name}: ${this.#problem} (no frame for ${this.#grabTimeoutMs} ms)`,
        ),
    );
  }

  #setState(state: HttpCameraState, detail: string): void {
    if (state === this.#state && state !== 'retrying') return;
    this.#state = state;
    this.#options.onState?.(state, `${this.name}: ${detail}`);
  }

  #publish(data: Buffer): void {
    if (!isWellFormedJpeg(data)) {
      this.#options.onWarning?.(`${this.name}: dropped a part that is not a JPEG (${data.length} bytes)`);
      return;
    }
    this.#backoff.succeed();
    this.#problem = 'no new frame';
    this.#latest.put({ kind: 'jpeg', data, ...jpegSize(data), captureUs: wallClockUs() });
  }

  #connect(): void {
    if (!this.#running) return;
    // Polling a snapshot camera that works is not news.
    if (this.#mode !== 'snapshot' || this.#state !== 'streaming') {
      this.#setState('connecting', this.#user === undefined ? 'connecting' : `connecting as ${this.#user}`);
    }
    const get = this.url.protocol === 'https:' ? https.get : http.get;
    const headers = this.#authHeader === undefined ? {} : { Authorization: this.#authHeader };
    let failed = false;
    const request = get(this.url, { agent: this.#agent, headers });
    this.#request = request;
    const fail = (problem: string): void => {
      if (failed || this.#request !== request) return;
      failed = true;
      this.#request = undefined;
      request.destroy();
      this.#retry(problem);
    };
    request.setTimeout(STALL_TIMEOUT_MS, () => fail(`no data for ${STALL_TIMEOUT_MS} ms`));
    request.on('error', (error) => fail(errnoReason(error)));
    request.on('response', (response) => {
      response.on('error', (error) => fail(errnoReason(error)));
      response.on('aborted', () => fail('connection closed mid-response'));
      const status = response.statusCode ?? 0;
      if (status < 200 || status > 299) {
        response.resume();
        let problem = `HTTP ${status} ${response.statusMessage ?? ''}`.trim();
        if (status === 401 || status === 403) {
          problem +=
            this.#user === undefined
              ? ' (the camera wants a user and password)'
              : ` (check the password of ${this.#user})`;
        }
        fail(problem);
        return;
      }
      const contentType = response.headers['content-type'] ?? '';
      if (/^multipart\//i.test(contentType)) {
        this.#stream(response, boundaryFromContentType(contentType));
      } else if (/^image\//i.test(contentType)) {
        this.#snapshot(response, undefined, fail, request);
      } else {
        // Unknown type: sniff the first byte.
        response.once('data', (first: Buffer) => {
          if (first[0] === 0xff) this.#snapshot(response, first, fail, request);
          else if (first[0] === 0x2d || first[0] === 0x0d || first[0] === 0x0a)
            this.#stream(response, undefined, first);
          else fail(`unsupported Content-Type "${contentType}"`);
        });
      }
      response.on('end', () => fail('end of stream'));
    });
  }

  #stream(response: http.IncomingMessage, boundary: string | undefined, first?: Buffer): void {
    this.#mode = 'stream';
    let good = this.#latest.seq;
    const parser = new MultipartParser(boundary);
    let dropped = 0;
    const onData = (chunk: Buffer): void => {
      const parts = parser.feed(chunk);
      if (parser.droppedParts > dropped) {
        dropped = parser.droppedParts;
        this.#options.onWarning?.(`${this.name}: dropped a part larger than ${DEFAULT_MAX_PART_BYTES} bytes`);
      }
      // Only the newest complete part matters.
      const last = parts[parts.length - 1];
      if (last !== undefined) {
        this.#publish(last.body);
        if (this.#latest.seq > good && this.#state !== 'streaming')
          this.#setState('streaming', 'receiving frames');
        good = this.#latest.seq;
      }
    };
    if (first !== undefined) onData(first);
    response.on('data', onData);
  }

  #snapshot(
    response: http.IncomingMessage,
    first: Buffer | undefined,
    fail: (problem: string) => void,
    request: http.ClientRequest,
  ): void {
    this.#mode = 'snapshot';
    const chunks: Buffer[] = first === undefined ? [] : [first];
    let size = first?.length ?? 0;
    response.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > DEFAULT_MAX_PART_BYTES) fail(`snapshot larger than ${DEFAULT_MAX_PART_BYTES} bytes`);
      else chunks.push(chunk);
    });
    response.prependListener('end', () => {
      if (this.#request !== request) return;
      this.#request = undefined; // done: the 'end' listener's fail() now does nothing
      const data = Buffer.concat(chunks, size);
      if (!isWellFormedJpeg(data)) {
        this.#request = request;
        fail(`snapshot is not a JPEG (${size} bytes)`);
        return;
      }
      this.#setState('streaming', 'snapshot received');
      this.#publish(data);
    });
  }

  #retry(problem: string): void {
    if (!this.#running) return;
    const delay = this.#backoff.retry(() => this.#connect());
    this.#problem = `${problem}, retrying`;
    this.#setState('retrying', `${problem}, retrying in ${delay} ms`);
  }
}
