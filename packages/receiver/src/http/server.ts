/**
 * The receiver's HTTP side: a live page, MJPEG streams, snapshots, recent frames, JSON stats and
 * Prometheus metrics. It is a FrameSink: every frame the receiver completes is offered to the
 * camera's MJPEG clients and kept in the camera's ring.
 *
 *   GET /                                 live page (grid of cameras)
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

import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { addressError, guardServer, PageFiles, sendJson, wallClockUs } from '@udpcam/common';
import { UdpcamError } from '@udpcam/protocol';
import type { FrameSink, ReceivedFrame } from '../frame.js';
import type { Receiver } from '../receiver.js';
import { FrameRing, type FrameRingOptions } from '../ring.js';
import type { CameraStats, ReceiverStats } from '../stats.js';
import { type AuthOptions, hasQueryToken, isAuthorized, offersCredentials, sessionCookie } from './auth.js';
import { connectionLimit } from './connections.js';
import { LoginThrottle, type LoginThrottleOptions } from './login-throttle.js';
import { renderMetrics } from './metrics.js';
import { type MjpegClient, partHeader, startMjpeg, timestampHeader } from './mjpeg.js';

/** Options of the HTTP server. */
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

const PAGE = new PageFiles(new URL('../../page/', import.meta.url));

/** What the HTTP side keeps per camera. */
interface CameraHttp {
  ring: FrameRing;
  latest: ReceivedFrame | undefined;
  latestHeader: Buffer | undefined;
  clients: Set<MjpegClient>;
  waiters: Set<(frame: ReceivedFrame | undefined) => void>;
}

const json = sendJson;

function jpeg(response: ServerResponse, frame: ReceivedFrame): void {
  response.writeHead(200, {
    'Content-Type': 'image/jpeg',
    'Content-Length': frame.data.length,
    'Cache-Control': 'no-store',
    'X-Timestamp': timestampHeader(frame.receivedUs),
    'X-Frame-Seq': String(frame.seq),
  });
  response.end(frame.data);
}

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
  readonly #cameras = new Map<string, CameraHttp>();
  readonly #throttle: LoginThrottle;
  readonly #pruneTimer: NodeJS.Timeout;
  #ringBytes = 0;
  readonly #perAddress = new Map<string, number>();
  #waiting = 0;
  #waitTimers = 0;
  #clients = 0;
  #closed = false;

  static readonly defaults = DEFAULT_HTTP_OPTIONS;

  /** Starts listening; throws a UdpcamError when the port cannot be bound. */
  static async listen(
    receiver: Receiver,
    options: Partial<HttpOptions> & { port: number },
  ): Promise<HttpServer> {
    const server = new HttpServer(receiver, { ...DEFAULT_HTTP_OPTIONS, ...options });
    await server.#listen();
    receiver.addSink(server);
    receiver.on('cameraForgotten', (id) => server.#forget(id));
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
    this.#pruneTimer = setInterval(() => this.pruneRings(), options.ringPruneMs);
    this.#pruneTimer.unref();
    this.#server = options.tls ? https.createServer(options.tls) : http.createServer();
    this.#server.maxConnections = options.maxConnections ?? connectionLimit(options.maxClients);
    guardServer(this.#server, (request, response, url) => this.#handle(request, response, url), {
      allowedHosts: options.allowedHosts,
    });
  }

  /** The bound address. */
  get address(): AddressInfo {
    return this.#server.address() as AddressInfo;
  }

  /** The base URL, e.g. http://127.0.0.1:8080/. */
  get url(): string {
    const { address, port, family } = this.address;
    const host = family === 'IPv6' ? `[${address}]` : address;
    return `${this.#options.tls ? 'https' : 'http'}://${host}:${port}/`;
  }

  /** MJPEG clients streaming from one camera (by id), or from all. */
  clientCount(camera?: string): number {
    if (camera === undefined) return this.#clients;
    return this.#cameras.get(camera)?.clients.size ?? 0;
  }

  /** Snapshot requests (?wait=1) of one camera (by id) waiting for its next frame. */
  waiting(camera: string): number {
    return this.#cameras.get(camera)?.waiters.size ?? 0;
  }

  /**
   * What the server holds for long-lived answers right now, as counts (for leak checks): snapshot
   * waiters and their pending timers, MJPEG clients, and addresses holding a client place.
   */
  held(): { waiters: number; waitTimers: number; clients: number; addresses: number } {
    let waiters = 0;
    let clients = 0;
    for (const camera of this.#cameras.values()) {
      waiters += camera.waiters.size;
      clients += camera.clients.size;
    }
    return { waiters, waitTimers: this.#waitTimers, clients, addresses: this.#perAddress.size };
  }

  /** Bytes held in all cameras' rings. */
  get ringBytes(): number {
    return this.#ringBytes;
  }

  /**
   * Lets every ring go of frames past --ring-seconds at the receiver's clock (run on a timer, so
   * a camera that stopped sending does not keep its last seconds for ever).
   */
  pruneRings(): void {
    const nowUs = wallClockUs(this.#receiver.clock);
    for (const camera of this.#cameras.values()) {
      const before = camera.ring.bytes;
      camera.ring.prune(nowUs);
      this.#ringBytes -= before - camera.ring.bytes;
    }
  }

  write(frame: ReceivedFrame): void {
    const camera = this.#state(frame.camera);
    const before = camera.ring.bytes;
    camera.ring.push(frame);
    this.#ringBytes += camera.ring.bytes - before;
    if (this.#ringBytes > this.#options.ringTotalBytes) this.#overBudget();
    camera.latest = frame;
    camera.latestHeader = undefined;
    if (camera.clients.size > 0) {
      const header = partHeader(frame);
      camera.latestHeader = header;
      for (const client of camera.clients) client.offer(header, frame);
    }
    if (camera.waiters.size > 0) {
      for (const waiter of camera.waiters) waiter(frame);
      camera.waiters.clear();
    }
  }

  /** Ends every stream and stops listening. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#pruneTimer);
    for (const camera of this.#cameras.values()) {
      for (const client of camera.clients) client.close();
      camera.clients.clear();
    }
    await new Promise<void>((resolve) => {
      this.#server.close(() => resolve());
      this.#server.closeAllConnections();
    });
  }

  async #listen(): Promise<void> {
    const { port, host } = this.#options;
    await new Promise<void>((resolve, reject) => {
      const onError = (error: NodeJS.ErrnoException) => reject(addressError(error, `HTTP ${host}:${port}`));
      this.#server.once('error', onError);
      this.#server.listen(port, host, () => {
        this.#server.off('error', onError);
        resolve();
      });
    });
  }

  #handle(request: IncomingMessage, response: ServerResponse, url: URL): Promise<void> | undefined {
    if (!this.#authenticate(request, response, url)) return;
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      response.writeHead(405, { Allow: 'GET, HEAD', 'Content-Type': 'application/json' });
      response.end(JSON.stringify({ error: `method ${request.method} not allowed` }));
      return;
    }
    return this.#route(url, response);
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
      response.setHeader('Retry-After', String(Math.ceil(waitMs / 1000)));
      json(response, 429, { error: 'too many failed logins from this address; try again later' });
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
      response.writeHead(401, { 'Content-Type': 'application/json', 'WWW-Authenticate': challenges });
      response.end(JSON.stringify({ error: 'authentication required' }));
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

  async #route(url: URL, response: ServerResponse): Promise<void> {
    const path = url.pathname;
    const action = url.searchParams.get('action');
    if (path === '/' && action === 'stream') return this.#stream(this.#first(), response);
    if (path === '/' && action === 'snapshot') return this.#snapshot(this.#first(), url, response);
    if (path === '/stream.mjpg') return this.#stream(this.#first(), response);
    if (path === '/snapshot.jpg') return this.#snapshot(this.#first(), url, response);
    if (path === '/api/cameras') return json(response, 200, this.#cameraList(this.#receiver.stats()));
    if (path === '/api/receiver') {
      const stats = this.#receiver.stats();
      return json(response, 200, {
        udp: this.#receiver.address,
        offlineAfterMs: this.#receiver.offlineAfterMs,
        ringSeconds: this.#options.ring.maxAgeUs / 1e6,
        ringBytes: this.#ringBytes,
        // Senders heard that never completed a frame: not cameras yet, but worth seeing.
        pendingSenders: stats.pendingSenders,
        ringMaxBytes: this.#options.ringTotalBytes,
        clients: this.#clients,
        waiting: this.#waiting,
        maxClients: this.#options.maxClients,
        security: stats.security,
        maxClientsPerAddress: this.#options.maxClientsPerAddress,
        maxConnections: this.#server.maxConnections,
      });
    }
    if (path === '/metrics') {
      const text = renderMetrics(this.#receiver.stats(), (camera) => this.clientCount(camera));
      response.writeHead(200, { 'Content-Type': 'text/plain; version=0.0.4; charset=utf-8' });
      response.end(text);
      return;
    }
    if (PAGE.has(path)) return PAGE.serve(path, response);

    const match =
      /^\/cameras\/([A-Za-z0-9._-]+)\/(stream\.mjpg|snapshot\.jpg|frames|frame\.jpg|frames\/(\d+)\.jpg)$/.exec(
        path,
      );
    if (!match) return json(response, 404, { error: `no such path: ${path}` });
    const id = match[1]!;
    // Frames past --ring-seconds go even when no new frame pushes them out.
    this.pruneRings();
    const camera = this.#findCamera(id);
    if (camera === undefined) {
      return json(response, 404, {
        error: `unknown camera: ${id}`,
        cameras: this.#receiver.stats().cameras.map((c) => c.id),
      });
    }
    switch (match[2]) {
      case 'stream.mjpg':
        return this.#stream(camera, response);
      case 'snapshot.jpg':
        return this.#snapshot(camera, url, response);
      case 'frames':
        return json(response, 200, this.#frameList(id));
      case 'frame.jpg': {
        const at = parseTime(url.searchParams.get('at') ?? '');
        if (at === undefined)
          return json(response, 400, {
            error: 'frame.jpg needs ?at=<µs or ms since the epoch, or an ISO time>',
          });
        const frame = this.#cameras.get(id)?.ring.atOrBefore(at);
        if (!frame)
          return json(response, 404, { error: 'no frame kept from that time', kept: this.#keptRange(id) });
        return jpeg(response, frame);
      }
      default: {
        const frame = this.#cameras.get(id)?.ring.bySeq(Number(match[3]));
        if (!frame)
          return json(response, 404, { error: `frame ${match[3]} is not kept`, kept: this.#keptRange(id) });
        return jpeg(response, frame);
      }
    }
  }

  /**
   * The camera behind the short URLs (issue 11, finding 5): the `primary` one when set (nothing
   * else, even while it is away); otherwise a named camera before an unnamed one — another
   * process on the host cannot take over by sending first — and online before offline.
   */
  #first(): CameraStats | undefined {
    const primary = this.#options.primary;
    if (primary !== undefined) return this.#findCamera(primary);
    let best: CameraStats | undefined;
    let bestRank = 0;
    for (const camera of this.#receiver.stats().cameras) {
      const rank = (camera.named ? 2 : 0) + (camera.online ? 1 : 0);
      if (best === undefined || rank > bestRank) {
        best = camera;
        bestRank = rank;
      }
    }
    return best;
  }

  /**
   * Takes a place for a long-lived answer (a stream or a waiting snapshot), or answers 503: at
   * most maxClients across the server and maxClientsPerAddress from one address, so never-reading
   * clients from one host cannot lock every other viewer out. The place is freed on 'close'.
   */
  #takePlace(response: ServerResponse): boolean {
    const { maxClients, maxClientsPerAddress } = this.#options;
    const address = response.req.socket.remoteAddress ?? '';
    const fromAddress = this.#perAddress.get(address) ?? 0;
    if (this.#clients + this.#waiting >= maxClients) {
      json(response, 503, { error: 'too many clients', maxClients });
      return false;
    }
    if (fromAddress >= maxClientsPerAddress) {
      json(response, 503, { error: 'too many streams from this address', maxClientsPerAddress });
      return false;
    }
    this.#perAddress.set(address, fromAddress + 1);
    response.on('close', () => {
      const left = (this.#perAddress.get(address) ?? 1) - 1;
      if (left > 0) this.#perAddress.set(address, left);
      else this.#perAddress.delete(address);
    });
    return true;
  }

  #noCameraYet(): string {
    const primary = this.#options.primary;
    return primary === undefined
      ? 'no camera has sent a frame yet'
      : `camera ${primary} has not sent a frame yet`;
  }

  /** Drops the oldest frames across cameras until the rings fit ringTotalBytes. */
  #overBudget(): void {
    while (this.#ringBytes > this.#options.ringTotalBytes) {
      let oldest: FrameRing | undefined;
      let oldestUs = Number.POSITIVE_INFINITY;
      for (const camera of this.#cameras.values()) {
        const frame = camera.ring.oldest();
        if (frame !== undefined && frame.receivedUs < oldestUs) {
          oldest = camera.ring;
          oldestUs = frame.receivedUs;
        }
      }
      if (oldest === undefined) return;
      this.#ringBytes -= oldest.dropOldest();
    }
  }

  /** Lets go of a camera the receiver forgot: its ring, its clients, its waiters. */
  #forget(id: string): void {
    const state = this.#cameras.get(id);
    if (state === undefined) return;
    this.#ringBytes -= state.ring.bytes;
    for (const client of state.clients) client.close();
    for (const waiter of state.waiters) waiter(undefined);
    this.#cameras.delete(id);
  }

  /** The HTTP side's state of a camera, made on first use (a camera may predate this server). */
  #state(id: string): CameraHttp {
    let state = this.#cameras.get(id);
    if (state === undefined) {
      state = {
        ring: new FrameRing(this.#options.ring),
        latest: undefined,
        latestHeader: undefined,
        clients: new Set(),
        waiters: new Set(),
      };
      this.#cameras.set(id, state);
    }
    return state;
  }

  #findCamera(id: string): CameraStats | undefined {
    return this.#receiver.stats().cameras.find((camera) => camera.id === id);
  }

  #stream(camera: CameraStats | undefined, response: ServerResponse): void {
    if (camera === undefined) {
      json(response, 503, { error: this.#noCameraYet() });
      return;
    }
    if (!this.#takePlace(response)) return;
    const state = this.#state(camera.id);
    const client = startMjpeg(response, this.#receiver.clock);
    // The close listener goes on first, so no client place can leak.
    response.on('close', () => {
      if (state.clients.delete(client)) this.#clients--;
    });
    this.#clients++;
    state.clients.add(client);
    // Start with the newest frame, so a client sees a picture at once.
    if (state.latest !== undefined)
      client.offer(state.latestHeader ?? partHeader(state.latest), state.latest);
  }

  async #snapshot(camera: CameraStats | undefined, url: URL, response: ServerResponse): Promise<void> {
    if (camera === undefined) return json(response, 503, { error: this.#noCameraYet() });
    const state = this.#state(camera.id);
    if (url.searchParams.get('wait') === '1') {
      // A waiter holds a connection like a stream does: it takes a place (issue 11, finding 8).
      if (!this.#takePlace(response)) return;
      this.#waiting++;
      response.on('close', () => this.#waiting--);
      const frame = await new Promise<ReceivedFrame | undefined>((resolve) => {
        let timer: NodeJS.Timeout | undefined;
        const waiter = (next: ReceivedFrame | undefined) => {
          if (timer !== undefined) {
            clearTimeout(timer);
            timer = undefined;
            this.#waitTimers--;
          }
          state.waiters.delete(waiter);
          resolve(next);
        };
        timer = setTimeout(waiter, this.#options.snapshotWaitMs, undefined);
        this.#waitTimers++;
        state.waiters.add(waiter);
        response.on('close', () => waiter(undefined));
      });
      if (response.destroyed) return;
      if (frame === undefined)
        return json(response, 503, { error: `no new frame within ${this.#options.snapshotWaitMs} ms` });
      return jpeg(response, frame);
    }
    if (state.latest === undefined) return json(response, 503, { error: 'no frame yet' });
    return jpeg(response, state.latest);
  }

  #keptRange(id: string): { oldestSeq: number; newestSeq: number; frames: number } | undefined {
    const ring = this.#cameras.get(id)?.ring;
    if (!ring || ring.size === 0) return undefined;
    const frames = [...ring.frames()];
    return { oldestSeq: frames[0]!.seq, newestSeq: frames.at(-1)!.seq, frames: frames.length };
  }

  #frameList(id: string): unknown {
    const ring = this.#cameras.get(id)?.ring;
    const frames = ring ? [...ring.frames()] : [];
    return frames.map((f) => ({
      seq: f.seq,
      receivedUs: f.receivedUs,
      bytes: f.data.length,
      captureUs: f.meta?.captureUs,
      url: `/cameras/${id}/frames/${f.seq}.jpg`,
    }));
  }

  #cameraList({ cameras, atMs: now }: ReceiverStats) {
    return cameras.map((camera) => {
      const stats = camera.assembly;
      const state = this.#cameras.get(camera.id);
      const latency = camera.latencyUs;
      const complete = stats?.framesComplete ?? 0;
      const dropped = stats?.framesDropped ?? 0;
      return {
        id: camera.id,
        name: camera.named ? camera.id : null,
        sender: camera.sender,
        online: camera.online,
        frames: camera.frames,
        fps: Number(camera.fps.toFixed(2)),
        bytesPerSecond: Math.round(camera.bytesPerSecond),
        lastFrameAt: camera.lastFrameUs > 0 ? new Date(camera.lastFrameUs / 1000).toISOString() : null,
        lossPercent: complete + dropped > 0 ? Number(((100 * dropped) / (complete + dropped)).toFixed(2)) : 0,
        framesDropped: dropped,
        framesRecovered: stats?.framesRecovered ?? 0,
        datagramsLost: stats?.datagramsLost ?? 0,
        parityReceived: stats?.parityReceived ?? 0,
        latencyMs: latency
          ? {
              p50: latency.p50 / 1000,
              p95: latency.p95 / 1000,
              p99: latency.p99 / 1000,
              max: latency.max / 1000,
            }
          : null,
        // Frames whose capture stamp was implausible: the sender's clock is off (latency leaves them out).
        senderClockSuspect: camera.implausibleLatencies > 0,
        implausibleLatencies: camera.implausibleLatencies,
        clients: state?.clients.size ?? 0,
        clientFps: state ? [...state.clients].map((c) => Number(c.fps(now).toFixed(2))) : [],
        recent: state?.ring.size ?? 0,
        stats,
        rejectedDatagrams: camera.rejectedDatagrams ?? null,
        urls: {
          stream: `/cameras/${camera.id}/stream.mjpg`,
          snapshot: `/cameras/${camera.id}/snapshot.jpg`,
          frames: `/cameras/${camera.id}/frames`,
        },
      };
    });
  }
}
