// @ts-check
/**
 * The receiver's HTTP API as the page uses it: its URLs, and downloads through a small queue that
 * limits parallel requests. Results are blob: URLs, so a frame stays viewable after the receiver's
 * ring has dropped it, and nothing depends on the HTTP cache (the receiver sends no-store).
 */

/** One camera of /api/cameras and one frame of /cameras/:id/frames, as src/http/views.ts builds them. */
/** @typedef {ReturnType<typeof import('../dist/http/views.js').cameraList>[number]} Camera */
/** @typedef {ReturnType<typeof import('../dist/http/views.js').frameList>[number]} RecentFrame */

/**
 * Snapshot and frame downloads at once. While the larger view is open the grid holds no stream,
 * so its one stream and the stats poll leave connections for these.
 */
const FETCH_CONCURRENCY = 3;

/**
 * A URL on this receiver. Paths from the API start with '/'; they are resolved against the page
 * so a reverse proxy under a prefix works. With --token the page holds a session cookie instead
 * (the server trades `?token=` for it), so no URL carries the token.
 * @param {string} path
 * @param {Record<string, string | number>} [params]
 */
export function receiverUrl(path, params = {}) {
  // A relative path drops the page's own query and fragment.
  const url = new URL(path.replace(/^\//, ''), location.href);
  for (const [key, value] of Object.entries(params)) url.searchParams.set(key, String(value));
  return url.href;
}

let streamGeneration = 0;
/** A stream URL that is new each time, so the <img> opens a new connection. @param {Camera} camera */
export const freshStreamUrl = (camera) =>
  receiverUrl(camera.urls.stream, { _: `${Date.now()}-${++streamGeneration}` });

let activeDownloads = 0;
/** @type {{ run: () => void, key: string }[]} Waiting downloads, first out first. */
const waitingDownloads = [];

/**
 * Runs `task` when fewer than FETCH_CONCURRENCY downloads run.
 * @template T
 * @param {() => Promise<T>} task
 * @param {string} key
 * @returns {Promise<T>}
 */
function limited(task, key) {
  return new Promise((resolve, reject) => {
    const run = () => {
      activeDownloads++;
      task()
        .then(resolve, reject)
        .finally(() => {
          activeDownloads--;
          waitingDownloads.shift()?.run();
        });
    };
    if (activeDownloads < FETCH_CONCURRENCY) run();
    else waitingDownloads.push({ run, key });
  });
}

/** Moves a waiting download to the front of the queue (the frame someone just clicked). @param {string} key */
export function hurry(key) {
  const index = waitingDownloads.findIndex((waiting) => waiting.key === key);
  if (index > 0) waitingDownloads.unshift(...waitingDownloads.splice(index, 1));
}

/** A download the receiver answered with an error status. */
export class HttpError extends Error {
  /** @param {number} status @param {string} url */
  constructor(status, url) {
    super(`HTTP ${status} for ${url}`);
    this.status = status;
  }
}

/**
 * Downloads `url` (limited) and returns a blob: URL for it; the caller revokes it.
 * @param {string} url
 * @param {AbortSignal} [signal]
 */
export function downloadBlobUrl(url, signal) {
  return limited(async () => {
    signal?.throwIfAborted();
    const response = await fetch(url, { cache: 'no-store', signal });
    if (!response.ok) throw new HttpError(response.status, url);
    return URL.createObjectURL(await response.blob());
  }, url);
}
