// @ts-check
/**
 * The larger view of one camera: its live stream, its figures, and a strip of the recent frames
 * the receiver keeps in memory (/cameras/:id/frames), to step back to the frame from just before
 * something happened.
 */
import { downloadBlobUrl, freshStreamUrl, HttpError, hurry, receiverUrl } from './api.js';
import { $, fillStats, formatClockUs, formatMs, number, setBadge } from './dom.js';

/** Thumbnails in the recent-frames strip (the newest ones). */
const STRIP_MAX = 300;

/** @typedef {import('./api.js').Camera} Camera */
/** @typedef {import('./api.js').RecentFrame} RecentFrame */
/**
 * One thumbnail of the strip; `url` is its frame's blob: URL once downloaded.
 * @typedef {{ frame: RecentFrame, button: HTMLButtonElement, image: HTMLImageElement, url: string | null,
 *   promise: Promise<string> | null, signal: AbortSignal }} StripEntry
 */

const dialog = /** @type {HTMLDialogElement} */ ($('#viewer'));
const stage = $('#viewer-stage');
const stageImage = /** @type {HTMLImageElement} */ ($('#viewer-image'));
const caption = $('#viewer-caption');
const liveButton = $('#viewer-live');
const strip = $('#strip');
const stripInfo = $('#strip-info');

/** What the view shows. */
export const viewer = {
  /** @type {Camera | null} The camera shown (null while closed), as of the last poll. */
  camera: null,
  /** @type {StripEntry[]} Strip entries, oldest first. */
  entries: [],
  /** @type {number | null} Index into entries of the frame shown, or null for live. */
  selected: null,
  /** @type {AbortController | null} */
  abort: null,
  /** Called when the view opens or closes (the grid gives up or takes back its streams). */
  onToggle: () => {},
};

/** Opens the view of `camera`. @param {Camera} camera */
export function openViewer(camera) {
  viewer.camera = camera;
  dialog.dataset.camera = camera.id;
  updateViewer([camera]);
  dialog.showModal();
  // The grid is covered: its streams close first, so the larger view gets a connection at once.
  viewer.onToggle();
  showLive();
  loadStrip();
}

dialog.addEventListener('close', () => {
  viewer.camera = null;
  delete dialog.dataset.camera;
  stageImage.removeAttribute('src');
  clearStrip();
  viewer.onToggle();
});

// A click on the backdrop (the dialog box itself, outside its content) closes the view.
dialog.addEventListener('click', (event) => {
  if (event.target === dialog) dialog.close();
});

/**
 * Shows the viewed camera's new figures from the polled `list` (nothing while closed); back to live
 * when it came back online or the receiver restarted.
 * @param {Camera[]} list
 */
export function updateViewer(list, restart = false) {
  const camera = list.find((other) => other.id === viewer.camera?.id);
  if (camera === undefined) return;
  const cameBack = viewer.camera?.online === false && camera.online;
  viewer.camera = camera;
  $('#viewer-title').textContent = camera.name ?? camera.id;
  setBadge($('#viewer-badge'), camera.online);
  dialog.classList.toggle('offline', !camera.online);
  fillStats(dialog, camera);
  if ((cameBack || restart) && viewer.selected === null) showLive();
}

function showLive() {
  viewer.selected = null;
  for (const entry of viewer.entries) entry.button.setAttribute('aria-pressed', 'false');
  stage.classList.remove('frozen');
  liveButton.hidden = true;
  if (viewer.camera !== null) stageImage.src = freshStreamUrl(viewer.camera);
  caption.textContent = 'live';
  caption.dataset.seq = '';
  caption.dataset.state = 'live';
}

function clearStrip() {
  viewer.abort?.abort();
  viewer.abort = null;
  for (const entry of viewer.entries) if (entry.url !== null) URL.revokeObjectURL(entry.url);
  viewer.entries = [];
  strip.replaceChildren();
}

async function loadStrip() {
  const id = viewer.camera?.id;
  const shown = viewer.selected === null ? undefined : viewer.entries[viewer.selected];
  const keep = shown === undefined ? null : shown.frame.seq;
  const previousUrl = shown === undefined ? null : shown.url;
  if (shown !== undefined) shown.url = null; // still on stage
  clearStrip();
  const abort = new AbortController();
  viewer.abort = abort;
  stripInfo.textContent = 'loading recent frames…';
  /** @type {RecentFrame[]} */
  let frames;
  try {
    const response = await fetch(receiverUrl(viewer.camera?.urls.frames ?? ''), {
      cache: 'no-store',
      signal: abort.signal,
    });
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    frames = await response.json();
  } catch (error) {
    if (!abort.signal.aborted) stripInfo.textContent = `cannot load recent frames (${message(error)})`;
    return;
  }
  if (abort.signal.aborted || viewer.camera?.id !== id) return;
  frames = frames.slice(-STRIP_MAX);
  const newestUs = frames.at(-1)?.receivedUs ?? 0;
  viewer.entries = frames.map((frame, index) => {
    const item = document.createElement('li');
    const button = document.createElement('button');
    button.type = 'button';
    button.className = 'thumb';
    button.dataset.index = String(index);
    button.dataset.seq = String(frame.seq);
    button.setAttribute('aria-pressed', 'false');
    button.title = `frame ${frame.seq} · ${formatClockUs(frame.receivedUs)}`;
    const image = document.createElement('img');
    image.className = 'thumb-image';
    image.alt = `frame ${frame.seq}`;
    const label = document.createElement('span');
    label.className = 'thumb-time';
    label.textContent = `${number((frame.receivedUs - newestUs) / 1e6, 1)} s`;
    button.append(image, label);
    button.addEventListener('click', () => selectFrame(index));
    item.append(button);
    strip.append(item);
    return { frame, button, image, url: null, promise: null, signal: abort.signal };
  });
  const seconds = frames.length > 1 ? (newestUs - (frames[0]?.receivedUs ?? newestUs)) / 1e6 : 0;
  stripInfo.textContent =
    frames.length === 0
      ? 'no recent frames kept'
      : `${frames.length} recent frames · last ${number(seconds, 1)} s · newest at ${formatClockUs(newestUs)}`;
  strip.scrollLeft = strip.scrollWidth;
  // Every frame is fetched now, oldest first: the receiver drops the oldest ones first (after
  // --ring-seconds), and once here a frame stays viewable however long someone looks.
  for (const entry of viewer.entries) loadFrame(entry).catch(() => {});
  const again = keep === null ? -1 : viewer.entries.findIndex((entry) => entry.frame.seq === keep);
  if (again >= 0) selectFrame(again);
  else if (keep !== null) showLive();
  if (previousUrl !== null) setTimeout(() => URL.revokeObjectURL(previousUrl), 5000);
}

/** @param {unknown} error */
const message = (error) => (error instanceof Error ? error.message : String(error));
/** @param {unknown} error */
const isGone = (error) => error instanceof HttpError && error.status === 404;

/** Downloads a strip frame once; its blob: URL serves both the thumbnail and the stage. @param {StripEntry} entry */
function loadFrame(entry) {
  entry.promise ??= downloadBlobUrl(receiverUrl(entry.frame.url), entry.signal).then(
    (url) => {
      if (entry.signal.aborted) {
        URL.revokeObjectURL(url);
        throw new Error('strip reloaded');
      }
      entry.url = url;
      entry.image.src = url;
      return url;
    },
    (error) => {
      if (isGone(error)) entry.button.classList.add('gone');
      else entry.promise = null;
      throw error;
    },
  );
  return entry.promise;
}

/** @param {number} index */
async function selectFrame(index) {
  const entry = viewer.entries[index];
  if (entry === undefined) return;
  hurry(receiverUrl(entry.frame.url));
  viewer.selected = index;
  for (const other of viewer.entries) other.button.setAttribute('aria-pressed', String(other === entry));
  entry.button.scrollIntoView({ block: 'nearest', inline: 'nearest' });
  stage.classList.add('frozen');
  liveButton.hidden = false;
  const { frame } = entry;
  caption.dataset.seq = String(frame.seq);
  caption.dataset.state = 'loading';
  caption.textContent = `frame ${frame.seq} · loading…`;
  try {
    const url = await loadFrame(entry);
    if (viewer.selected !== index || viewer.entries[index] !== entry) return;
    stageImage.src = url;
    const newestUs = viewer.entries.at(-1)?.frame.receivedUs ?? frame.receivedUs;
    const parts = [
      `frame ${frame.seq}`,
      formatClockUs(frame.receivedUs),
      `${number((frame.receivedUs - newestUs) / 1e6, 2)} s`,
      `${number(frame.bytes / 1000, 1)} kB`,
    ];
    if (frame.captureUs !== undefined && frame.captureUs !== null)
      parts.push(`latency ${formatMs((frame.receivedUs - frame.captureUs) / 1000)} ms`);
    caption.textContent = parts.join(' · ');
    caption.dataset.state = 'frame';
  } catch (error) {
    if (viewer.selected !== index || viewer.entries[index] !== entry) return;
    caption.dataset.state = 'error';
    caption.textContent = isGone(error)
      ? `frame ${frame.seq} is no longer kept: the receiver keeps only the last seconds (--ring-seconds)`
      : `frame ${frame.seq} could not be loaded (${message(error)})`;
  }
}

/** @param {number} delta */
function step(delta) {
  const count = viewer.entries.length;
  if (count === 0) return;
  if (viewer.selected === null) {
    if (delta < 0) selectFrame(count - 1);
    return;
  }
  const next = viewer.selected + delta;
  if (next >= count) showLive();
  else if (next >= 0) selectFrame(next);
}

liveButton.addEventListener('click', showLive);
$('#strip-refresh').addEventListener('click', () => loadStrip());
/** @type {Record<string, () => void>} */
const KEYS = { ArrowLeft: () => step(-1), ArrowRight: () => step(1), l: showLive, r: () => loadStrip() };
dialog.addEventListener('keydown', (event) => {
  if (event.altKey || event.ctrlKey || event.metaKey) return;
  const action = KEYS[event.key.length === 1 ? event.key.toLowerCase() : event.key];
  if (action === undefined) return;
  event.preventDefault();
  action();
});
