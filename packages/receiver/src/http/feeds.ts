/**
 * Camera feeds: what the HTTP side keeps per camera — a ring of recent frames (all rings under one
 * byte budget), the newest frame, its MJPEG clients and waiting snapshots — and the client places
 * that streams and waiters take (at most maxClients in all, maxClientsPerAddress from one address).
 */
import type { ServerResponse } from 'node:http';
import { sendError, sendJpeg } from '@udpcam/common';
import type { Clock } from '@udpcam/protocol';
import type { ReceivedFrame } from '../frame.js';
import { FrameRing } from '../ring.js';
import { MjpegClient, partHeader, timestampHeader } from './mjpeg.js';
import type { HttpOptions } from './server.js';

/** One camera's ring, newest frame (with its part header once someone streams), clients and waiters. */
class Feed {
  latest: ReceivedFrame | undefined;
  latestHeader: Buffer | undefined;
  readonly clients = new Set<MjpegClient>();
  readonly waiters = new Set<(frame: ReceivedFrame | undefined) => void>();
  constructor(readonly ring: FrameRing) {}
}

/** Answers one frame as image/jpeg with its timestamp and sequence number. */
export function sendFrame(response: ServerResponse, frame: ReceivedFrame): void {
  const headers = { 'X-Timestamp': timestampHeader(frame.receivedUs), 'X-Frame-Seq': String(frame.seq) };
  sendJpeg(response, frame.data, headers);
}

/** Every camera's feed; see the module comment. */
export class CameraFeeds {
  readonly #options: HttpOptions;
  readonly #clock: Clock;
  readonly #feeds = new Map<string, Feed>();
  readonly #perAddress = new Map<string, number>();
  #ringBytes = 0;
  #waiting = 0;
  #waitTimers = 0;

  constructor(options: HttpOptions, clock: Clock) {
    this.#options = options;
    this.#clock = clock;
  }

  /** Bytes held in all rings. */
  get ringBytes(): number {
    return this.#ringBytes;
  }

  /** Snapshot requests waiting for a frame, across cameras. */
  get waiting(): number {
    return this.#waiting;
  }

  /** MJPEG clients streaming from one camera (by id), or from all. */
  clientCount(camera?: string): number {
    if (camera === undefined) return this.held().clients;
    return this.#feeds.get(camera)?.clients.size ?? 0;
  }

  /** Snapshot waiters and their pending timers, MJPEG clients, and addresses holding a client place. */
  held(): { waiters: number; waitTimers: number; clients: number; addresses: number } {
    let waiters = 0;
    let clients = 0;
    for (const feed of this.#feeds.values()) {
      waiters += feed.waiters.size;
      clients += feed.clients.size;
    }
    return { waiters, waitTimers: this.#waitTimers, clients, addresses: this.#perAddress.size };
  }

  /** Frames per second each of a camera's MJPEG clients gets, at `nowMs`. */
  clientFps(camera: string, nowMs: number): number[] {
    return [...(this.#feeds.get(camera)?.clients ?? [])].map((c) => Number(c.fps(nowMs).toFixed(2)));
  }

  /** A camera's ring, if it has a feed. */
  ring(camera: string): FrameRing | undefined {
    return this.#feeds.get(camera)?.ring;
  }

  /** Which frames a camera's ring holds (for a 404 that says what is kept); undefined when none. */
  keptRange(camera: string) {
    const ring = this.ring(camera);
    const [oldest, newest] = [ring?.oldest(), ring?.latest()];
    if (!ring || !oldest || !newest) return undefined;
    return { oldestSeq: oldest.seq, newestSeq: newest.seq, frames: ring.size };
  }

  /** Keeps `frame` in its camera's ring and offers it to the camera's clients and waiters. */
  write(frame: ReceivedFrame): void {
    const feed = this.#feed(frame.camera);
    const before = feed.ring.bytes;
    feed.ring.push(frame);
    this.#ringBytes += feed.ring.bytes - before;
    if (this.#ringBytes > this.#options.ringTotalBytes) this.#overBudget();
    feed.latest = frame;
    // The part header is built once per frame, and only when someone streams.
    const header = feed.clients.size > 0 ? partHeader(frame) : undefined;
    feed.latestHeader = header;
    if (header !== undefined) for (const client of feed.clients) client.offer(header, frame);
    // Each waiter takes itself out of the set.
    for (const waiter of feed.waiters) waiter(frame);
  }

  /** Lets every ring go of frames older than the ring's maximum age at `nowUs` (µs since the epoch). */
  prune(nowUs: number): void {
    for (const feed of this.#feeds.values()) {
      const before = feed.ring.bytes;
      feed.ring.prune(nowUs);
      this.#ringBytes -= before - feed.ring.bytes;
    }
  }

  /** Lets go of a camera the receiver forgot: its ring, its clients, its waiters. */
  forget(camera: string): void {
    const feed = this.#feeds.get(camera);
    if (feed === undefined) return;
    this.#ringBytes -= feed.ring.bytes;
    for (const client of feed.clients) client.close();
    for (const waiter of feed.waiters) waiter(undefined);
    this.#feeds.delete(camera);
  }

  /** Ends every stream. */
  close(): void {
    for (const feed of this.#feeds.values()) {
      for (const client of feed.clients) client.close();
      feed.clients.clear();
    }
  }

  /** Answers an MJPEG stream of `camera`, starting with its newest frame (or 503: no place). */
  stream(camera: string, response: ServerResponse): void {
    if (!this.#takePlace(response)) return;
    const feed = this.#feed(camera);
    const client = new MjpegClient(response, this.#clock);
    // The close listener goes on first, so no client place can leak.
    response.on('close', () => feed.clients.delete(client));
    feed.clients.add(client);
    // Start with the newest frame, so a client sees a picture at once.
    if (feed.latest !== undefined) client.offer(feed.latestHeader ?? partHeader(feed.latest), feed.latest);
  }

  /** Answers `camera`'s newest frame, or with `wait` the next one (503 when none comes in time). */
  async snapshot(camera: string, wait: boolean, response: ServerResponse): Promise<void> {
    const feed = this.#feed(camera);
    if (!wait) {
      if (feed.latest === undefined) return sendError(response, 503, 'no frame yet');
      return sendFrame(response, feed.latest);
    }
    // A waiter holds a connection like a stream does: it takes a place (issue 11, finding 8).
    if (!this.#takePlace(response)) return;
    this.#waiting++;
    response.on('close', () => this.#waiting--);
    const waitMs = this.#options.snapshotWaitMs;
    const frame = await new Promise<ReceivedFrame | undefined>((resolve) => {
      const waiter = (next: ReceivedFrame | undefined) => {
        if (!feed.waiters.delete(waiter)) return; // answered already
        clearTimeout(timer);
        this.#waitTimers--;
        resolve(next);
      };
      const timer = setTimeout(waiter, waitMs, undefined);
      this.#waitTimers++;
      feed.waiters.add(waiter);
      response.on('close', () => waiter(undefined));
    });
    if (response.destroyed) return;
    if (frame === undefined) return sendError(response, 503, `no new frame within ${waitMs} ms`);
    return sendFrame(response, frame);
  }

  /**
   * Takes a place for a long-lived answer (a stream or a waiting snapshot), or answers 503, so
   * never-reading clients from one host cannot lock every other viewer out. Freed on 'close'.
   */
  #takePlace(response: ServerResponse): boolean {
    const { maxClients, maxClientsPerAddress } = this.#options;
    const address = response.req.socket.remoteAddress ?? '';
    const fromAddress = this.#perAddress.get(address) ?? 0;
    if (this.clientCount() + this.#waiting >= maxClients) {
      sendError(response, 503, 'too many clients', { maxClients });
      return false;
    }
    if (fromAddress >= maxClientsPerAddress) {
      sendError(response, 503, 'too many streams from this address', { maxClientsPerAddress });
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

  /** Drops the oldest frames across cameras until the rings fit ringTotalBytes. */
  #overBudget(): void {
    while (this.#ringBytes > this.#options.ringTotalBytes) {
      let oldest: FrameRing | undefined;
      let oldestUs = Number.POSITIVE_INFINITY;
      for (const feed of this.#feeds.values()) {
        const frame = feed.ring.oldest();
        if (frame !== undefined && frame.receivedUs < oldestUs) {
          oldest = feed.ring;
          oldestUs = frame.receivedUs;
        }
      }
      if (oldest === undefined) return;
      this.#ringBytes -= oldest.dropOldest();
    }
  }

  /** A camera's feed, made on first use (a camera may predate the HTTP server). */
  #feed(camera: string): Feed {
    let feed = this.#feeds.get(camera);
    if (feed === undefined) {
      feed = new Feed(new FrameRing(this.#options.ring));
      this.#feeds.set(camera, feed);
    }
    return feed;
  }
}
