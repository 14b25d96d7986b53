/**
 * The receiver's HTTP side: a live page, MJPEG streams, snapshots, recent frames, JSON stats and
 * Prometheus metrics. It is a FrameSink: every frame the receiver completes is offered to the
 * camera's MJPEG clients and kept in the camera's ring.
 *
 *   GET /, /index.html, /style.css, /*.js  live page (grid of cameras; ES modules from page/)
 *   GET /cameras/:id/stream.mjpg          multipart/x-mixed-replace MJPEG
 *   GET /cameras/:id/snapshot.jpg[?wait=1] latest frame (or the next one)
 *   GET /cameras/:id/frames               recent frames kept in memory (JSON)
 *   GET /cameras/:id/frames/:seq.jpg      one of them by sequence number
 *   GET /cameras/:id/frame.jpg?at=T       the last frame at or before T (µs or ms since the epoch, or ISO time)
 *   GET /stream.mjpg, /snapshot.jpg, /?action=stream, /?action=snapshot   the first camera
 *                                         (mjpg-streamer / µStreamer URLs, so existing tools work)
 *   GET /api/cameras                      per-camera stats (JSON)
 *   GET /api/receiver                     the receiver: UDP address, limits (JSON)
 *   GET /metrics                          Prometheus text format
 */
import { readdirSync } from 'node:fs';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import {
  closeHttp,
  guardServer,
  listenHttp,
  PageFiles,
  sendError,
  sendJson,
  serverUrl,
  wallClockUs,
} from '@udpcam/common';
import { UdpcamError } from '@udpcam/protocol';
import type { FrameSink, ReceivedFrame } from '../frame.js';
import type { Receiver } from '../receiver.js';
import type { FrameRingOptions } from '../ring.js';
import type { CameraStats } from '../stats.js';
import { type AuthOptions, hasQueryToken, isAuthorized, offersCredentials, sessionCookie } from './auth.js';
import { connectionLimit } from './connections.js';
import { CameraFeeds, sendFrame } from './feeds.js';
import { LoginThrottle, type LoginThrottleOptions } from './login-throttle.js';
import { renderMetrics } from './metrics.js';
import { type Handler, type RouteContext, routeTable } from './routes.js';
import { cameraList, frameList, receiverView } from './views.js';

export interface HttpOptions {
  port: number;
  host: string;
  auth: AuthOptions;
  /** MJPEG clients and waiting snapshots at once, across cameras; more get 503. */
  maxClients: number;
  /** MJPEG clients and waiting snapshots from one address at once; more get 503. */
  maxClientsPerAddress: number;
  /**
   * TCP connections at once; more are closed on accept. The default leaves file descriptors for
   * the disk sink and the UDP socket: see `connectionLimit`.
   */
  maxConnections?: number;
  /** Recent frames kept per camera. */
  ring: FrameRingOptions;
  /** The camera (id or name) behind /stream.mjpg, /snapshot.jpg and ?action=; see #first. */
  primary?: string;
  /** Bytes of recent frames kept across all cameras; the oldest go first past it. */
  ringTotalBytes: number;
  /** How often every ring lets go of frames past --ring-seconds, new frames or not (ms). */
  ringPruneMs: number;
  /** How long `snapshot.jpg?wait=1` waits for the next frame (ms). */
  snapshotWaitMs: number;
  /** PEM certificate and key: serve HTTPS instead of HTTP. */
  tls?: { cert: string | Buffer; key: string | Buffer };
  /** Host names accepted in the Host header besides IP literals and localhost (DNS rebinding). */
  allowedHosts?: readonly string[];
  /** The slowdown after failed logins (defaults: DEFAULT_LOGIN_THROTTLE). */
  loginThrottle?: Partial<LoginThrottleOptions>;
  /** Gets one-line warnings (failed logins, rate-limited). */
  onWarning?: (message: string) => void;
}

export const DEFAULT_HTTP_OPTIONS = {
  host: '127.0.0.1',
  auth: {},
  maxClients: 256,
  maxClientsPerAddress: 32,
  ring: { maxAgeUs: 10_000_000, maxFrames: 600, maxBytes: 64 * 1024 * 1024 },
  ringTotalBytes: 256 * 1024 * 1024,
  ringPruneMs: 1000,
  snapshotWaitMs: 10_000,
} as const;

/** The live page: page/*.{html,css,js} (ES modules, type-checked by page/tsconfig.json), as published. */
const PAGE_DIR = new URL('../../page/', import.meta.url);
const PAGE = new PageFiles(
  PAGE_DIR,
  readdirSync(PAGE_DIR).filter((file) => /\.(html|css|js)$/.test(file)),
);

/** `at` as µs since the epoch: digits (µs if > 1e14, else ms) or an ISO time. */
function parseTime(value: string): number | undefined {
  if (/^\d+$/.test(value)) {
    const n = Number(value);
    return n > 1e14 ? n : n * 1000;
  }
  if (!/^\d{4}-\d{2}-\d{2}T/.test(value)) return undefined;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? undefined : ms * 1000;
}

/** The HTTP server and frame sink described above. Create with `HttpServer.listen`. */
export class HttpServer implements FrameSink {
  readonly #receiver: Receiver;
  readonly #options: HttpOptions;
  readonly #server: http.Server;
  readonly #feeds: CameraFeeds;
  readonly #route: ReturnType<typeof routeTable>;
  readonly #throttle: LoginThrottle;
  readonly #pruneTimer: NodeJS.Timeout;
  #closed = false;

  static readonly defaults = DEFAULT_HTTP_OPTIONS;

  /** Starts listening; throws a UdpcamError when the port cannot be bound. */
  static async listen(
    receiver: Receiver,
    options: Partial<HttpOptions> & { port: number },
  ): Promise<HttpServer> {
    const server = new HttpServer(receiver, { ...DEFAULT_HTTP_OPTIONS, ...options });
    await listenHttp(server.#server, server.#options.port, server.#options.host);
    receiver.addSink(server);
    receiver.on('cameraForgotten', (id) => server.#feeds.forget(id));
    return server;
  }

  private constructor(receiver: Receiver, options: HttpOptions) {
    this.#receiver = receiver;
    this.#options = options;
    for (const [name, secret] of Object.entries(options.auth)) {
      // An empty secret would accept `?token=` or an empty password.
      if (typeof secret === 'string' && secret.trim() === '') {
        throw new UdpcamError('UDPCAM_ERR_INVALID_OPTION', `the ${name} secret must not be empty`);
      }
    }
    if (options.auth.basic !== undefined && !/^[^:]+:.*\S/.test(options.auth.basic)) {
      throw new UdpcamError('UDPCAM_ERR_INVALID_OPTION', 'basic auth needs user:password with a password');
    }
    this.#throttle = new LoginThrottle(options.loginThrottle);
    this.#feeds = new CameraFeeds(options, receiver.clock);
    this.#route = routeTable(this.#table());
    this.#pruneTimer = setInterval(() => this.pruneRings(), options.ringPruneMs).unref();
    this.#server = options.tls ? https.createServer(options.tls) : http.createServer();
    this.#server.maxConnections = options.maxConnections ?? connectionLimit(options.maxClients);
    guardServer(this.#server, (request, response, url) => this.#preprocess(request, response, url), {
      allowedHosts: options.allowedHosts,
    });
  }

  /** The bound address. */
  get address(): AddressInfo {
    return this.#server.address() as AddressInfo;
  }

  /** The base URL, e.g. http://127.0.0.1:8080/. */
  get url(): string {
    return serverUrl(this.#server, this.#options.tls !== undefined);
  }

  /** MJPEG clients streaming from one camera (by id), or from all. */
  clientCount(camera?: string): number {
    return this.#feeds.clientCount(camera);
  }

  /** What the server holds for long-lived answers now, as counts (for leak checks): see CameraFeeds.held. */
  held(): { waiters: number; waitTimers: number; clients: number; addresses: number } {
    return this.#feeds.held();
  }

  /** Bytes held in all cameras' rings. */
  get ringBytes(): number {
    return this.#feeds.ringBytes;
  }

  /**
   * Lets every ring go of frames past --ring-seconds at the receiver's clock (run on a timer, so
   * a camera that stopped sending does not keep its last seconds for ever).
   */
  pruneRings(): void {
    this.#feeds.prune(wallClockUs(this.#receiver.clock));
  }

  write(frame: ReceivedFrame): void {
    this.#feeds.write(frame);
  }

  /** Ends every stream and stops listening. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#pruneTimer);
    this.#feeds.close();
    await closeHttp(this.#server);
  }

  /** Every request after the guard (guard.ts): auth, then the method, then the route table. */
  #preprocess(request: IncomingMessage, response: ServerResponse, url: URL): unknown {
    if (!this.#authenticate(request, response, url)) return;
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      return sendError(response, 405, `method ${request.method} not allowed`, undefined, {
        Allow: 'GET, HEAD',
      });
    }
    const route = this.#route(url.pathname);
    if (route !== undefined) return route.handle({ request, response, url, params: route.params });
    return sendError(response, 404, `no such path: ${url.pathname}`);
  }

  /**
   * Answers 429 (an address slowed down after failed logins), 401, or a redirect that swaps a
   * page URL's `?token=` for a session cookie; true when the request may go on.
   */
  #authenticate(request: IncomingMessage, response: ServerResponse, url: URL): boolean {
    const auth = this.#options.auth;
    if (auth.basic === undefined && auth.token === undefined) return true;
    const address = request.socket.remoteAddress ?? '';
    const waitMs = this.#throttle.waitMs(address);
    if (waitMs > 0) {
      const retryAfter = String(Math.ceil(waitMs / 1000));
      const message = 'too many failed logins from this address; try again later';
      sendError(response, 429, message, undefined, { 'Retry-After': retryAfter });
      return false;
    }
    if (!isAuthorized(request, url, auth)) {
      if (offersCredentials(request, url)) {
        const line = this.#throttle.failed(address);
        if (line !== undefined) this.#options.onWarning?.(line);
      }
      // RFC 9110 §11.6.1: a 401 carries a challenge for each scheme the server accepts.
      const challenges: string[] = [];
      if (auth.basic !== undefined) challenges.push('Basic realm="udpcam", charset="UTF-8"');
      if (auth.token !== undefined) challenges.push('Bearer realm="udpcam"');
      sendError(response, 401, 'authentication required', undefined, { 'WWW-Authenticate': challenges });
      return false;
    }
    this.#throttle.succeeded(address);
    if (
      hasQueryToken(url, auth) &&
      (url.pathname === '/' || url.pathname === '/index.html') &&
      !url.searchParams.has('action')
    ) {
      // The page itself: trade the token for a cookie, so it is not in the address bar, the
      // history, or any URL the page builds.
      const rest = new URLSearchParams(url.search);
      rest.delete('token');
      const query = rest.toString();
      response.writeHead(303, {
        Location: `./${url.pathname === '/' ? '' : 'index.html'}${query === '' ? '' : `?${query}`}`,
        'Set-Cookie': sessionCookie(auth.token!),
        'Cache-Control': 'no-store',
      });
      response.end();
      return false;
    }
    return true;
  }

  /** The routes (the module comment lists them). */
  #table(): Record<string, Handler> {
    const feeds = this.#feeds;
    type CameraHandler = (context: RouteContext, camera: CameraStats) => unknown;
    const stream: CameraHandler = ({ response }, { id }) => feeds.stream(id, response);
    const snapshot: CameraHandler = ({ url, response }, { id }) =>
      feeds.snapshot(id, url.searchParams.get('wait') === '1', response);
    /** A short URL's route: the camera #first picks, or 503 while there is none. */
    const ofFirst = (handle: CameraHandler) => (context: RouteContext) => {
      const camera = this.#first();
      if (camera !== undefined) return handle(context, camera);
      const primary = this.#options.primary;
      const message =
        primary === undefined
          ? 'no camera has sent a frame yet'
          : `camera ${primary} has not sent a frame yet`;
      return sendError(context.response, 503, message);
    };
    /** A /cameras/:id/… route: 404 for an unknown camera, after letting rings go of old frames. */
    const ofCamera =
      (handle: CameraHandler): Handler =>
      (context) => {
        // Frames past --ring-seconds go even when no new frame pushes them out.
        this.pruneRings();
        const cameras = this.#receiver.stats().cameras;
        const camera = cameras.find((c) => c.id === context.params.id);
        if (camera !== undefined) return handle(context, camera);
        const ids = cameras.map((c) => c.id);
        return sendError(context.response, 404, `unknown camera: ${context.params.id}`, { cameras: ids });
      };
    return {
      '/': (context) => {
        const action = context.url.searchParams.get('action');
        if (action === 'stream') return ofFirst(stream)(context);
        if (action === 'snapshot') return ofFirst(snapshot)(context);
        return PAGE.serve('/', context.response);
      },
      ...Object.fromEntries(
        PAGE.paths
          .filter((path) => path !== '/')
          .map((path) => [path, ({ response }: RouteContext) => PAGE.serve(path, response)]),
      ),
      '/stream.mjpg': ofFirst(stream),
      '/snapshot.jpg': ofFirst(snapshot),
      '/api/cameras': ({ response }) => sendJson(response, 200, cameraList(this.#receiver.stats(), feeds)),
      '/api/receiver': ({ response }) => {
        const view = receiverView(this.#receiver, feeds, this.#options, this.#server.maxConnections);
        sendJson(response, 200, view);
      },
      '/metrics': ({ response }) => {
        const text = renderMetrics(this.#receiver.stats(), (camera) => feeds.clientCount(camera));
        response.writeHead(200, { 'Content-Type': 'text/plain; version=0.0.4; charset=utf-8' });
        response.end(text);
      },
      '/cameras/:id/stream.mjpg': ofCamera(stream),
      '/cameras/:id/snapshot.jpg': ofCamera(snapshot),
      '/cameras/:id/frames': ofCamera(({ response }, { id }) =>
        sendJson(response, 200, frameList(id, feeds)),
      ),
      '/cameras/:id/frame.jpg': ofCamera(({ url, response }, { id }) => {
        const at = parseTime(url.searchParams.get('at') ?? '');
        if (at === undefined) {
          return sendError(response, 400, 'frame.jpg needs ?at=<µs or ms since the epoch, or an ISO time>');
        }
        const frame = feeds.ring(id)?.atOrBefore(at);
        if (frame) return sendFrame(response, frame);
        return sendError(response, 404, 'no frame kept from that time', { kept: feeds.keptRange(id) });
      }),
      '/cameras/:id/frames/:seq.jpg': ofCamera(({ params, response }, { id }) => {
        const frame = feeds.ring(id)?.bySeq(Number(params.seq));
        if (frame) return sendFrame(response, frame);
        return sendError(response, 404, `frame ${params.seq} is not kept`, { kept: feeds.keptRange(id) });
      }),
    };
  }

  /**
   * The camera behind the short URLs (issue 11, finding 5): the `primary` one when set (nothing
   * else, even while it is away); otherwise a named camera before an unnamed one — another
   * process on the host cannot take over by sending first — and online before offline.
   */
  #first(): CameraStats | undefined {
    const cameras = this.#receiver.stats().cameras;
    const primary = this.#options.primary;
    if (primary !== undefined) return cameras.find((camera) => camera.id === primary);
    const rank = (camera: CameraStats) => (camera.named ? 2 : 0) + (camera.online ? 1 : 0);
    // The first of the highest rank.
    return cameras.reduce<CameraStats | undefined>(
      (best, camera) => (best === undefined || rank(camera) > rank(best) ? camera : best),
      undefined,
    );
  }
}
