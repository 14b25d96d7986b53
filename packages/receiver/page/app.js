/**
 * udpcam live page. Polls /api/cameras once a second and keeps one tile per camera: its live
 * MJPEG stream in an <img>, its stats and an online badge. A click on a tile opens a larger view
 * with the recent frames the receiver keeps in memory (/cameras/:id/frames), to step back to the
 * frame from just before something happened. Plain browser JS: no framework, no build step, no
 * external URLs.
 */

const POLL_MS = 1000;
/**
 * Browsers open at most 6 HTTP/1.1 connections per host and an MJPEG stream holds one for as long
 * as it is shown. Past this many streams, tiles show a snapshot refreshed once a second, so
 * /api/cameras, snapshots and recent frames always find a free connection.
 */
const MAX_STREAMS = 4;
/** Thumbnails in the recent-frames strip (the newest ones). */
const STRIP_MAX = 300;
/**
 * Snapshot and frame downloads at once. While the larger view is open the grid holds no stream,
 * so its one stream and the stats poll leave connections for these.
 */
const FETCH_CONCURRENCY = 3;

const $ = (selector, root = document) => root.querySelector(selector);

/**
 * A URL on this receiver. Paths from the API start with '/'; they are resolved against the page
 * so a reverse proxy under a prefix works. With --token the page holds a session cookie instead
 * (the server trades `?token=` for it), so no URL carries the token.
 */
function receiverUrl(path, params = {}) {
  const url = new URL(path.replace(/^\//, ''), location.href);
  url.search = '';
  url.hash = '';
  for (const [key, value] of Object.entries(params)) url.searchParams.set(key, String(value));
  return url.href;
}

/** A stream URL that is new each time, so the <img> opens a new connection. */
let streamGeneration = 0;
const freshStreamUrl = (camera) =>
  receiverUrl(camera.urls.stream, { _: `${Date.now()}-${++streamGeneration}` });

// ---------------------------------------------------------------------------------------------
// Downloads: a small queue that limits parallel requests; results are blob: URLs, so a frame
// stays viewable after the receiver's ring has dropped it, and nothing depends on the HTTP cache
// (the receiver sends Cache-Control: no-store).

let activeDownloads = 0;
/** Waiting downloads: { run, key }, first out first. */
const waitingDownloads = [];

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

/** Moves a waiting download to the front of the queue (the frame someone just clicked). */
function hurry(key) {
  const index = waitingDownloads.findIndex((waiting) => waiting.key === key);
  if (index > 0) waitingDownloads.unshift(...waitingDownloads.splice(index, 1));
}

class HttpError extends Error {
  constructor(status, url) {
    super(`HTTP ${status} for ${url}`);
    this.status = status;
  }
}

/** Downloads `url` (limited) and returns a blob: URL for it; the caller revokes it. */
function downloadBlobUrl(url, signal) {
  return limited(async () => {
    signal?.throwIfAborted();
    const response = await fetch(url, { cache: 'no-store', signal });
    if (!response.ok) throw new HttpError(response.status, url);
    return URL.createObjectURL(await response.blob());
  }, url);
}

// ---------------------------------------------------------------------------------------------
// Formatting

const number = (value, digits) => (Number.isFinite(value) ? value.toFixed(digits) : '–');

function formatRate(bytesPerSecond) {
  if (bytesPerSecond >= 1e6) return `${number(bytesPerSecond / 1e6, 1)} MB/s`;
  return `${number(bytesPerSecond / 1e3, bytesPerSecond < 1e4 ? 1 : 0)} kB/s`;
}

function formatMs(ms) {
  return Math.abs(ms) < 10 ? number(ms, 1) : number(ms, 0);
}

const clockFormat = new Intl.DateTimeFormat(undefined, {
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
  fractionalSecondDigits: 3,
  hour12: false,
});
const clockFormatSeconds = new Intl.DateTimeFormat(undefined, {
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
  hour12: false,
});

/** Local wall-clock time of µs since the epoch, with milliseconds. */
const formatClockUs = (us) => clockFormat.format(new Date(us / 1000));

/** Fills the `.stat-*` elements under `root` that exist with `camera`'s figures. */
function fillStats(root, camera) {
  const set = (selector, text) => {
    const element = $(selector, root);
    if (element !== null && element.textContent !== text) element.textContent = text;
  };
  set('.stat-fps', number(camera.fps, 1));
  set('.stat-rate', formatRate(camera.bytesPerSecond));
  set('.stat-loss', `${number(camera.lossPercent, 1)} %`);
  set('.stat-dropped', String(camera.framesDropped));
  set('.stat-recovered', String(camera.framesRecovered));
  set('.stat-lost', String(camera.datagramsLost));
  set('.stat-parity', String(camera.parityReceived));
  set('.stat-clients', String(camera.clients));
  set('.stat-frames', camera.frames.toLocaleString('en-US'));
  set('.stat-sender', camera.sender);
  const latency = camera.latencyMs;
  const latencyBox = $('.stat-latency-box', root);
  if (latencyBox !== null) latencyBox.hidden = latency === null;
  if (latency !== null) {
    set('.stat-latency', `${formatMs(latency.p50)} / ${formatMs(latency.p95)} ms`);
    set(
      '.stat-latency-full',
      `${formatMs(latency.p50)} / ${formatMs(latency.p95)} / ${formatMs(latency.p99)} / ${formatMs(latency.max)} ms`,
    );
  }
  const loss = $('.stat-loss', root);
  if (loss !== null)
    loss.dataset.level = camera.lossPercent >= 5 ? 'bad' : camera.lossPercent >= 1 ? 'warn' : 'ok';
}

function setBadge(badge, online) {
  badge.className = `badge ${online ? 'badge-online' : 'badge-offline'}`;
  badge.textContent = online ? 'live' : 'offline';
}

// ---------------------------------------------------------------------------------------------
// Tiles

const grid = $('#grid');
const template = $('#tile-template');
/** Tiles by camera id, in the order the cameras first sent (the API's order). */
const tiles = new Map();

/**
 * One camera in the grid. Its <img> is in one of these modes:
 *   stream    the live MJPEG stream (holds a connection)
 *   poll      a snapshot refreshed every second (past MAX_STREAMS streams)
 *   still     the latest frame, loaded once (offline, or the grid is covered or hidden)
 * Every mode change bumps `generation`, so a download started for an older mode is discarded.
 */
class Tile {
  constructor(camera) {
    this.id = camera.id;
    this.camera = camera;
    this.element = template.content.firstElementChild.cloneNode(true);
    this.element.dataset.camera = camera.id;
    this.image = $('.tile-image', this.element);
    this.mode = 'none';
    this.generation = 0;
    this.blobUrl = null;
    this.pollTimer = 0;
    this.loading = false;
    this.streamFailed = false;
    this.online = undefined;
    this.image.addEventListener('error', () => {
      // A stream that fails (receiver restarted, too many clients) is reopened on the next poll.
      if (this.mode === 'stream') this.streamFailed = true;
    });
    // The whole tile opens the larger view; its name is the button that keyboards reach.
    this.element.addEventListener('click', () => openViewer(this.id));
  }

  /** Shows `camera`'s name, badge and stats. */
  update(camera) {
    this.camera = camera;
    const element = this.element;
    this.online = camera.online;
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

  /** Switches the image to `mode` (see the class comment); a failed stream is reopened. */
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

  #show(src, isBlob) {
    const previous = this.blobUrl;
    this.image.src = src;
    this.blobUrl = isBlob ? src : null;
    if (previous !== null) URL.revokeObjectURL(previous);
  }
}

/** Gives streams to the first online cameras, snapshots to the rest (see MAX_STREAMS). */
function assignImageModes() {
  const covered = viewer.open || document.hidden;
  let streams = covered ? 0 : MAX_STREAMS;
  for (const tile of tiles.values()) {
    if (!tile.online || covered) tile.setMode('still');
    else if (streams > 0) {
      streams--;
      tile.setMode('stream');
    } else tile.setMode('poll');
  }
}

// ---------------------------------------------------------------------------------------------
// Header, empty state, connection

const header = {
  count: $('#camera-count'),
  label: $('#camera-label'),
  fps: $('#total-fps'),
  connection: $('#connection'),
  connectionText: $('#connection-text'),
};
const notice = $('#notice');
const empty = $('#empty');

function showSummary(cameras) {
  const online = cameras.filter((camera) => camera.online).length;
  const fps = cameras.reduce((sum, camera) => sum + (camera.online ? camera.fps : 0), 0);
  header.count.textContent = String(cameras.length);
  header.count.dataset.online = String(online);
  header.label.textContent =
    (cameras.length === 1 ? 'camera' : 'cameras') +
    (online < cameras.length ? ` (${cameras.length - online} offline)` : '');
  header.fps.textContent = number(fps, 1);
  document.title = cameras.length === 0 ? 'udpcam · waiting' : `udpcam · ${online}/${cameras.length} live`;
  empty.hidden = cameras.length > 0;
}

function setConnection(state, text, message) {
  header.connection.dataset.state = state;
  header.connectionText.textContent = text;
  header.connection.title = message ?? text;
  notice.hidden = message === undefined;
  notice.textContent = message ?? '';
  document.body.classList.toggle('disconnected', state !== 'ok');
}

async function fillEmptyCommand() {
  // The address this browser reached the receiver at is the best guess for the sender's --ip.
  const host = location.hostname.replace(/^\[(.*)\]$/, '$1') || '<this host>';
  $('#empty-command').textContent = `udpcam send --ip ${host} --port <udp port>`;
  try {
    const response = await fetch(receiverUrl('/api/receiver'), { cache: 'no-store' });
    if (!response.ok) return;
    const { udp } = await response.json();
    $('#empty-command').textContent = `udpcam send --ip ${host} --port ${udp.port}`;
  } catch {
    // Keep the generic command; the stats poll reports the connection.
  }
}

// ---------------------------------------------------------------------------------------------
// Polling

let cameras = [];
let wasDisconnected = false;

async function poll() {
  try {
    const response = await fetch(receiverUrl('/api/cameras'), { cache: 'no-store' });
    if (response.status === 401) {
      setConnection(
        'auth',
        'not authorized',
        'The receiver refused the stats (401): open this page with ?token=<token>, or with the user and password given to --auth.',
      );
      return;
    }
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    cameras = await response.json();
    setConnection('ok', 'connected');
    render(cameras);
  } catch (error) {
    wasDisconnected = true;
    header.fps.textContent = '–';
    setConnection(
      'error',
      'reconnecting',
      `Cannot reach the receiver (${error.message}); retrying every second.`,
    );
  } finally {
    setTimeout(poll, POLL_MS);
  }
}

function render(list) {
  // After an outage every stream may have been cut: reopen them all.
  const restart = wasDisconnected;
  wasDisconnected = false;
  const seen = new Set();
  for (const camera of list) {
    seen.add(camera.id);
    let tile = tiles.get(camera.id);
    if (tile === undefined) {
      tile = new Tile(camera);
      tiles.set(camera.id, tile);
      grid.append(tile.element);
    }
    tile.update(camera);
    // A receiver restart cut every stream. (A camera back online gets a new stream anyway: offline
    // tiles hold a still, and going back to 'stream' sets a new src the <img> loads.)
    if (restart) tile.mode = 'stale';
  }
  for (const [id, tile] of tiles) {
    if (!seen.has(id)) {
      tile.remove();
      tiles.delete(id);
    }
  }
  showSummary(list);
  assignImageModes();
  if (viewer.open)
    updateViewer(
      list.find((camera) => camera.id === viewer.id),
      restart,
    );
}

// ---------------------------------------------------------------------------------------------
// The larger view with the recent-frames strip

const dialog = $('#viewer');
const stage = $('#viewer-stage');
const stageImage = $('#viewer-image');
const caption = $('#viewer-caption');
const liveButton = $('#viewer-live');
const strip = $('#strip');
const stripInfo = $('#strip-info');

const viewer = {
  open: false,
  id: null,
  camera: null,
  online: undefined,
  /** Strip entries, oldest first: { frame, button, image, url, promise }. */
  entries: [],
  /** Index into entries of the frame shown, or null for live. */
  selected: null,
  abort: null,
};

function openViewer(id) {
  const camera = cameras.find((c) => c.id === id);
  if (camera === undefined) return;
  viewer.open = true;
  viewer.id = id;
  viewer.camera = camera;
  viewer.online = camera.online;
  dialog.dataset.camera = id;
  updateViewer(camera);
  dialog.showModal();
  // The grid is covered: its streams close first, so the larger view gets a connection at once.
  assignImageModes();
  showLive();
  loadStrip();
}

dialog.addEventListener('close', () => {
  viewer.open = false;
  viewer.id = null;
  delete dialog.dataset.camera;
  stageImage.removeAttribute('src');
  clearStrip();
  assignImageModes();
});

// A click on the backdrop (the dialog box itself, outside its content) closes the view.
dialog.addEventListener('click', (event) => {
  if (event.target === dialog) dialog.close();
});

function updateViewer(camera, restart = false) {
  if (camera === undefined) return;
  const cameBack = viewer.online === false && camera.online;
  viewer.camera = camera;
  viewer.online = camera.online;
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
  stageImage.src = freshStreamUrl(viewer.camera);
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
  const id = viewer.id;
  const keep = viewer.selected === null ? null : viewer.entries[viewer.selected].frame.seq;
  const previousUrl = viewer.selected === null ? null : viewer.entries[viewer.selected].url;
  if (previousUrl !== null) viewer.entries[viewer.selected].url = null; // still on stage
  clearStrip();
  const abort = new AbortController();
  viewer.abort = abort;
  stripInfo.textContent = 'loading recent frames…';
  let frames;
  try {
    const response = await fetch(receiverUrl(viewer.camera.urls.frames), {
      cache: 'no-store',
      signal: abort.signal,
    });
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    frames = await response.json();
  } catch (error) {
    if (!abort.signal.aborted) stripInfo.textContent = `cannot load recent frames (${error.message})`;
    return;
  }
  if (abort.signal.aborted || viewer.id !== id) return;
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
  const seconds = frames.length > 1 ? (newestUs - frames[0].receivedUs) / 1e6 : 0;
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

/** Downloads a strip frame once; its blob: URL serves both the thumbnail and the stage. */
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
      if (error instanceof HttpError && error.status === 404) entry.button.classList.add('gone');
      else entry.promise = null;
      throw error;
    },
  );
  return entry.promise;
}

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
    const newestUs = viewer.entries.at(-1).frame.receivedUs;
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
    caption.textContent =
      error instanceof HttpError && error.status === 404
        ? `frame ${frame.seq} is no longer kept: the receiver keeps only the last seconds (--ring-seconds)`
        : `frame ${frame.seq} could not be loaded (${error.message})`;
  }
}

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
dialog.addEventListener('keydown', (event) => {
  if (event.altKey || event.ctrlKey || event.metaKey) return;
  const keys = {
    ArrowLeft: () => step(-1),
    ArrowRight: () => step(1),
    l: showLive,
    L: showLive,
    r: () => loadStrip(),
    R: () => loadStrip(),
  };
  const action = keys[event.key];
  if (action === undefined) return;
  event.preventDefault();
  action();
});

// ---------------------------------------------------------------------------------------------

// A hidden tab keeps no stream open; streams reopen when it is shown again.
document.addEventListener('visibilitychange', assignImageModes);
fillEmptyCommand();
poll();
