/**
 * What every udpcam web page server needs (the receiver's live page, the area tool): its
 * index.html, app.js and style.css from a page/ folder, and JSON answers that are never cached.
 */
import { readFile } from 'node:fs/promises';
import type { ServerResponse } from 'node:http';

/** URL paths of a page folder's files. */
const PAGE_FILES: Record<string, string> = {
  '/': 'index.html',
  '/index.html': 'index.html',
  '/app.js': 'app.js',
  '/style.css': 'style.css',
};
const CONTENT_TYPES: Record<string, string> = {
  html: 'text/html; charset=utf-8',
  js: 'text/javascript; charset=utf-8',
  css: 'text/css; charset=utf-8',
};

/** Answers `body` as JSON, never cached. */
export function sendJson(response: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  response.writeHead(status, {
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': Buffer.byteLength(text),
    'Cache-Control': 'no-store',
  });
  response.end(text);
}

/** Serves the page files under `pageDir` (a folder URL ending in /). */
export class PageFiles {
  readonly #dir: URL;

  constructor(pageDir: URL) {
    this.#dir = pageDir;
  }

  /** Whether `path` names a page file. */
  has(path: string): boolean {
    return Object.hasOwn(PAGE_FILES, path);
  }

  /** Answers the page file `path` names (revalidated on each load, so an upgrade shows at once). */
  async serve(path: string, response: ServerResponse): Promise<void> {
    const file = PAGE_FILES[path];
    let body: Buffer;
    try {
      if (file === undefined) throw new Error('not a page file');
      body = await readFile(new URL(file, this.#dir));
    } catch {
      return sendJson(response, 404, { error: `page file missing: ${file ?? path}` });
    }
    response.writeHead(200, {
      'Content-Type': CONTENT_TYPES[file.split('.').pop()!] ?? 'application/octet-stream',
      'Content-Length': body.length,
      'Cache-Control': 'no-cache',
    });
    response.end(body);
  }
}
