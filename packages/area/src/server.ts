/**
 * The area tool's HTTP side: the page, the live source, the warped preview, and saving.
 *
 *   GET  /                    the page (index.html, app.js, style.css)
 *   GET  /frame.jpg[?after=N] the newest source frame; with `after`, waits (≤ 10 s) for one newer than N
 *   GET  /preview.jpg?points=x,y;x,y;x,y;x,y&size=WxH[&after=N]
 *                             the newest frame warped as `udpcam send --area` would (422: a bad quad)
 *   GET  /api/area            source name and size, the file Save writes, the area being edited
 *   POST /api/area            save {selected_rect, visible_rect} (422 with the reason: nothing written)
 *   POST /api/quit            the page's Esc with no corners: the command ends
 *
 * Frames go out as single JPEGs the page asks for one after another, not as an MJPEG stream: a
 * page that stops asking costs nothing, and no frame ever waits in a queue (LiveFrames keeps one).
 */
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import https from 'node:https';
import path from 'node:path';
import {
  closeHttp,
  guardServer,
  listenHttp,
  PageFiles,
  requestError,
  sendError,
  sendJpeg,
  sendJson,
  serverUrl,
} from '@udpcam/common';
import { httpStatus } from '@udpcam/protocol';
import type { CaptureArea } from '@udpcam/sender';
import { writeCaptureArea } from './area-file.js';
import type { LiveFrames } from './live-frames.js';
import { captureArea, parsePoints, roundCorners, type Size } from './points.js';
import type { AreaCheck, PreviewRenderer } from './preview.js';
import { readJson } from './respond.js';

/** Largest preview side in pixels: the page's size fields must not make the server allocate gigabytes. */
export const MAX_PREVIEW_SIDE = 8192;
/**
 * Longest side a preview is rendered at (pixels). A larger requested size is scaled down to fit,
 * keeping its shape: the page shows the same picture, and eight 8192x8192 requests cannot take
 * seconds of CPU and a gigabyte each (issue 11, finding 18). Saving still takes the full size.
 */
export const MAX_PREVIEW_RENDER_SIDE = 1280;

/** `size` scaled down to fit MAX_PREVIEW_RENDER_SIDE. */
export function previewRenderSize(size: Size): Size {
  const scale = Math.min(1, MAX_PREVIEW_RENDER_SIDE / Math.max(size.width, size.height));
  return {
    width: Math.max(1, Math.round(size.width * scale)),
    height: Math.max(1, Math.round(size.height * scale)),
  };
}

/** How long `?after=N` waits for a newer frame (ms) before answering with the newest. */
const WAIT_MS = 10_000;

const PAGE = new PageFiles(new URL('../page/', import.meta.url));

/** Options of AreaServer. */
export interface AreaServerOptions {
  host: string;
  /** TCP port; 0 picks a free one (see `url`). */
  port: number;
  live: LiveFrames;
  preview: PreviewRenderer;
  /** Checks what Save sends (schema, convex quad, inside the source). */
  check: AreaCheck;
  /** The capture_area.json Save writes. */
  out: string;
  /** The area loaded from `out`, to edit; none for a new file. */
  area?: CaptureArea;
  /** Output size the page starts with (pixels). */
  outputSize: Size;
  /** Called after each save with the absolute path written. */
  onSave?: (file: string, area: CaptureArea) => void;
  /** Called when the page asks to quit. */
  onQuit?: () => void;
  /** PEM certificate and key: serve the page over HTTPS. */
  tls?: { cert: string | Buffer; key: string | Buffer };
  /** Host names accepted in the Host header besides IP literals and localhost (DNS rebinding). */
  allowedHosts?: readonly string[];
}

/** `WxH` → size in pixels, each side 1..MAX_PREVIEW_SIDE; throws a 400. */
function previewSize(value: string | null): Size {
  const match = /^(\d{1,5})x(\d{1,5})$/.exec(value ?? '');
  const width = Number(match?.[1]);
  const height = Number(match?.[2]);
  if (!match || width < 1 || height < 1 || width > MAX_PREVIEW_SIDE || height > MAX_PREVIEW_SIDE) {
    throw requestError(400, `size must be WxH with sides from 1 to ${MAX_PREVIEW_SIDE}, got ${value}`);
  }
  return { width, height };
}

/** `after=N` → N, or -1 (any frame) when absent; throws a 400. */
function afterSeq(value: string | null): number {
  if (value === null) return -1;
  if (!/^\d{1,15}$/.test(value)) throw requestError(400, `after must be a frame number, got ${value}`);
  return Number(value);
}

/** The HTTP server described above. Create with `AreaServer.listen`. */
export class AreaServer {
  readonly #options: AreaServerOptions;
  readonly #server: http.Server;
  readonly #file: string;
  #area: CaptureArea | undefined;

  /** Starts listening; throws UDPCAM_ERR_ADDRESS_IN_USE or UDPCAM_ERR_ADDRESS_NOT_AVAILABLE. */
  static async listen(options: AreaServerOptions): Promise<AreaServer> {
    const server = new AreaServer(options);
    await listenHttp(server.#server, options.port, options.host);
    return server;
  }

  private constructor(options: AreaServerOptions) {
    this.#options = options;
    this.#file = path.resolve(options.out);
    this.#area = options.area;
    this.#server = options.tls ? https.createServer(options.tls) : http.createServer();
    guardServer(this.#server, (request, response, url) => this.#handle(request, response, url), {
      allowedHosts: options.allowedHosts,
    });
  }

  /** The page's URL, e.g. http://127.0.0.1:8090/. */
  get url(): string {
    return serverUrl(this.#server, this.#options.tls !== undefined);
  }

  /** Stops listening and drops open requests. */
  close(): Promise<void> {
    return closeHttp(this.#server);
  }

  #handle(request: IncomingMessage, response: ServerResponse, url: URL): Promise<void> {
    return this.#route(request, response, url).catch((error: unknown) => {
      if (response.headersSent) {
        response.destroy();
        return;
      }
      sendError(response, httpStatus(error), (error as Error).message);
    });
  }

  async #route(request: IncomingMessage, response: ServerResponse, url: URL): Promise<void> {
    const route = `${request.method} ${url.pathname}`;
    if (PAGE.has(url.pathname) && request.method === 'GET') return PAGE.serve(url.pathname, response);
    switch (route) {
      case 'GET /frame.jpg':
        return this.#frame(request, url, response);
      case 'GET /preview.jpg':
        return this.#preview(request, url, response);
      case 'GET /api/area':
        return sendJson(response, 200, this.#state());
      case 'POST /api/area':
        return this.#save(request, response);
      case 'POST /api/quit':
        await readJson(request);
        sendJson(response, 200, { quitting: true });
        setImmediate(() => this.#options.onQuit?.());
        return;
    }
    const known =
      ['/frame.jpg', '/preview.jpg', '/api/area', '/api/quit'].includes(url.pathname) ||
      PAGE.has(url.pathname);
    throw requestError(
      known ? 405 : 404,
      known ? `${route} is not allowed` : `no such path: ${url.pathname}`,
    );
  }

  /** What the page needs to start: the source, where Save writes, the area to edit. */
  #state() {
    const frame = this.#options.live.newest;
    return {
      source: { name: this.#options.live.name, width: frame.width, height: frame.height },
      out: this.#file,
      area: this.#area ?? null,
      outputSize: this.#options.outputSize,
    };
  }

  /** Aborts when the client goes away, so a waiting request lets go at once. */
  #gone(request: IncomingMessage, response: ServerResponse): AbortSignal {
    const controller = new AbortController();
    response.on('close', () => controller.abort());
    request.on('aborted', () => controller.abort());
    return controller.signal;
  }

  async #frame(request: IncomingMessage, url: URL, response: ServerResponse): Promise<void> {
    const after = afterSeq(url.searchParams.get('after'));
    const frame = await this.#options.live.next(after, WAIT_MS, this.#gone(request, response));
    if (!response.destroyed) sendJpeg(response, frame.jpeg, { 'X-Frame-Seq': String(frame.seq) });
  }

  async #preview(request: IncomingMessage, url: URL, response: ServerResponse): Promise<void> {
    let corners: [number, number][];
    try {
      corners = parsePoints(url.searchParams.get('points') ?? '');
    } catch (error) {
      throw requestError(400, (error as Error).message);
    }
    const area = captureArea(corners, previewRenderSize(previewSize(url.searchParams.get('size'))));
    const after = afterSeq(url.searchParams.get('after'));
    const frame = await this.#options.live.next(after, WAIT_MS, this.#gone(request, response));
    if (response.destroyed) return;
    if (this.#options.preview.busy) throw requestError(503, 'busy rendering other previews; try again');
    // A bad area is a user error (422); a frame that fails to decode is a source error (500).
    const jpeg = await this.#options.preview.render(frame, area);
    if (!response.destroyed) sendJpeg(response, jpeg, { 'X-Frame-Seq': String(frame.seq) });
  }

  async #save(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const body = roundCorners(await readJson(request));
    const { area } = this.#options.check(body); // a bad area is a user error: 422
    const file = await writeCaptureArea(this.#file, area);
    this.#area = area;
    this.#options.onSave?.(file, area);
    sendJson(response, 200, { file, area });
  }
}
