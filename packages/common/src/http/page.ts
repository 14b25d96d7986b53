/**
 * What every udpcam web page server needs (the receiver's live page, the area tool): the files of
 * a page/ folder named in an allow-list (index.html also at /), and JSON and JPEG answers never cached.
 */
import { readFile } from 'node:fs/promises';
import type { ServerResponse } from 'node:http';

const CONTENT_TYPES: Record<string, string> = {
  html: 'text/html; charset=utf-8',
  js: 'text/javascript; charset=utf-8',
  css: 'text/css; charset=utf-8',
};

/** Answers `body` as JSON, never cached. */
export function sendJson(response: ServerResponse, status: number, body: unknown): void {
  send(response, status, 'application/json; charset=utf-8', JSON.stringify(body));
}

/** Answers one JPEG, never cached; `headers` are the frame's own (X-Frame-Seq, X-Timestamp). */
export function sendJpeg(response: ServerResponse, jpeg: Buffer, headers: Record<string, string>): void {
  send(response, 200, 'image/jpeg', jpeg, headers);
}

function send(
  response: ServerResponse,
  status: number,
  type: string,
  body: string | Buffer,
  headers?: Record<string, string>,
): void {
  response.writeHead(status, {
    'Content-Type': type,
    'Content-Length': Buffer.byteLength(body),
    'Cache-Control': 'no-store',
    ...headers,
  });
  response.end(body);
}

/** Serves the page files under `pageDir` (a folder URL ending in /) that `files` names, and no other. */
export class PageFiles {
  readonly #dir: URL;
  /** File names by URL path. */
  readonly #files: Record<string, string> = { '/': 'index.html' };

  constructor(pageDir: URL, files: readonly string[] = ['index.html', 'app.js', 'style.css']) {
    this.#dir = pageDir;
    for (const file of files) this.#files[`/${file}`] = file;
  }

  /** The URL paths of the page's files ('/' among them). */
  get paths(): string[] {
    return Object.keys(this.#files);
  }

  /** Whether `path` names a page file. */
  has(path: string): boolean {
    return Object.hasOwn(this.#files, path);
  }

  /** Answers the page file `path` names (revalidated on each load, so an upgrade shows at once). */
  async serve(path: string, response: ServerResponse): Promise<void> {
    const file = this.has(path) ? this.#files[path] : undefined;
    let body: Buffer;
    try {
      if (file === undefined) throw new Error('not a page file');
      body = await readFile(new URL(file, this.#dir));
    } catch {
      return sendJson(response, 404, { error: `page file missing: ${file ?? path}` });
    }
    const type = CONTENT_TYPES[file.split('.').pop()!] ?? 'application/octet-stream';
    send(response, 200, type, body, { 'Cache-Control': 'no-cache' });
  }
}
