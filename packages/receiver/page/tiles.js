// @ts-check
/** The grid's tiles: one per camera, showing its live image, badge and stats. */
import { downloadBlobUrl, freshStreamUrl, receiverUrl } from './api.js';
import { $, clockFormatSeconds, fillStats, setBadge } from './dom.js';

/** How often a snapshot tile refreshes (ms). */
export const POLL_MS = 1000;
/**
 * Browsers open at most 6 HTTP/1.1 connections per host and an MJPEG stream holds one for as long
 * as it is shown. Past this many streams, tiles show a snapshot refreshed once a second, so
 * /api/cameras, snapshots and recent frames always find a free connection.
 */
const MAX_STREAMS = 4;

/** @typedef {import('./api.js').Camera} Camera */
/** @typedef {'none' | 'stale' | 'stream' | 'poll' | 'still'} Mode */

const template = /** @type {HTMLTemplateElement} */ ($('#tile-template'));

/**
 * One camera in the grid. Its <img> is in one of these modes:
 *   stream    the live MJPEG stream (holds a connection)
 *   poll      a snapshot refreshed every second (past MAX_STREAMS streams)
 *   still     the latest frame, loaded once (offline, or the grid is covered or hidden)
 * Every mode change bumps `generation`, so a download started for an older mode is discarded.
 */
export class Tile {
  /** @type {Mode} */
  mode = 'none';
  generation = 0;
  /** @type {string | null} */
  blobUrl = null;
  /** @type {ReturnType<typeof setInterval> | undefined} */
  pollTimer = undefined;
  loading = false;
  streamFailed = false;

  /**
   * @param {Camera} camera
   * @param {(tile: Tile) => void} onOpen  called when the tile is clicked (opens the larger view)
   */
  constructor(camera, onOpen) {
    this.camera = camera;
    this.element = /** @type {HTMLElement} */ (template.content.firstElementChild?.cloneNode(true));
    this.element.dataset.camera = camera.id;
    this.image = /** @type {HTMLImageElement} */ ($('.tile-image', this.element));
    this.image.addEventListener('error', () => {
      // A stream that fails (receiver restarted, too many clients) is reopened on the next poll.
      if (this.mode === 'stream') this.streamFailed = true;
    });
    // The whole tile opens the larger view; its name is the button that keyboards reach.
    this.element.addEventListener('click', () => onOpen(this));
  }

  /** Shows `camera`'s name, badge and stats. @param {Camera} camera */
  update(camera) {
    this.camera = camera;
    const element = this.element;
    element.dataset.online = String(camera.online);
    element.classList.toggle('offline', !camera.online);
    setBadge($('.badge', element), camera.online);
    const title = camera.name ?? camera.id;
    $('.tile-open', element).textContent = title;
    $('.tile-sender', element).textContent = camera.name === null ? '' : camera.sender;
    $('.tile-open', element).setAttribute(
      'aria-label',
      `${title}, ${camera.online ? 'live' : 'offline'}: open the larger view with recent frames`,
    );
    this.image.alt = `${title} (live)`;
    $('.tile-offline-note', element).textContent =
      camera.online || camera.lastFrameAt === null
        ? ''
        : `no frame since ${clockFormatSeconds.format(new Date(camera.lastFrameAt))}`;
    fillStats(element, camera);
  }

  /** Switches the image to `mode` (see the class comment); a failed stream is reopened. @param {Mode} mode */
  setMode(mode) {
    if (mode === this.mode && !(mode === 'stream' && this.streamFailed)) return;
    this.mode = mode;
    this.streamFailed = false;
    const generation = ++this.generation;
    clearInterval(this.pollTimer);
    this.element.dataset.mode = mode;
    $('.tile-mode', this.element).hidden = mode !== 'poll';
    if (mode === 'stream') {
      this.#show(freshStreamUrl(this.camera), false);
      return;
    }
    const loadSnapshot = () => {
      if (this.loading) return;
      this.loading = true;
      downloadBlobUrl(receiverUrl(this.camera.urls.snapshot))
        .then((url) => {
          if (generation === this.generation) this.#show(url, true);
          else URL.revokeObjectURL(url);
        })
        .catch(() => {})
        .finally(() => {
          this.loading = false;
        });
    };
    loadSnapshot();
    if (mode === 'poll') this.pollTimer = setInterval(loadSnapshot, POLL_MS);
  }

  remove() {
    this.generation++;
    clearInterval(this.pollTimer);
    this.image.removeAttribute('src');
    if (this.blobUrl !== null) URL.revokeObjectURL(this.blobUrl);
    this.element.remove();
  }

  /** @param {string} src @param {boolean} isBlob */
  #show(src, isBlob) {
    const previous = this.blobUrl;
    this.image.src = src;
    this.blobUrl = isBlob ? src : null;
    if (previous !== null) URL.revokeObjectURL(previous);
  }
}

/**
 * Gives streams to the first online cameras, snapshots to the rest (see MAX_STREAMS); with the
 * grid `covered` (the larger view open, or the tab hidden) every tile holds a still.
 * @param {Iterable<Tile>} tiles
 * @param {boolean} covered
 */
export function assignImageModes(tiles, covered) {
  let streams = covered ? 0 : MAX_STREAMS;
  for (const tile of tiles) {
    if (!tile.camera.online || covered) tile.setMode('still');
    else if (streams > 0) {
      streams--;
      tile.setMode('stream');
    } else tile.setMode('poll');
  }
}
