// @ts-check
/**
 * udpcam live page. Polls /api/cameras once a second and keeps one tile per camera (tiles.js): its
 * live MJPEG stream in an <img>, its stats and an online badge. A click on a tile opens a larger
 * view with the recent frames the receiver keeps (viewer.js). Plain browser ES modules, type-checked
 * by tsc (checkJs): no framework, no bundler, no external URLs.
 */
import { receiverUrl } from './api.js';
import { $, number } from './dom.js';
import { assignImageModes, POLL_MS, Tile } from './tiles.js';
import { openViewer, updateViewer, viewer } from './viewer.js';

/** @typedef {import('./api.js').Camera} Camera */

const grid = $('#grid');
/** @type {Map<string, Tile>} Tiles by camera id, in the order the cameras first sent (the API's order). */
const tiles = new Map();
const header = {
  count: $('#camera-count'),
  label: $('#camera-label'),
  fps: $('#total-fps'),
  connection: $('#connection'),
  connectionText: $('#connection-text'),
};
const notice = $('#notice');
const empty = $('#empty');

const assignModes = () => assignImageModes(tiles.values(), viewer.camera !== null || document.hidden);
viewer.onToggle = assignModes;

/** @param {Camera[]} cameras */
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

/** @param {string} state @param {string} text @param {string} [message] */
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
    const cameras = await response.json();
    setConnection('ok', 'connected');
    render(cameras);
  } catch (error) {
    wasDisconnected = true;
    header.fps.textContent = '–';
    const why = error instanceof Error ? error.message : String(error);
    setConnection('error', 'reconnecting', `Cannot reach the receiver (${why}); retrying every second.`);
  } finally {
    setTimeout(poll, POLL_MS);
  }
}

/** @param {Camera[]} list */
function render(list) {
  // After an outage every stream may have been cut: reopen them all.
  const restart = wasDisconnected;
  wasDisconnected = false;
  for (const camera of list) {
    let tile = tiles.get(camera.id);
    if (tile === undefined) {
      tile = new Tile(camera, (clicked) => openViewer(clicked.camera));
      tiles.set(camera.id, tile);
      grid.append(tile.element);
    }
    tile.update(camera);
    // A receiver restart cut every stream. (A camera back online gets a new stream anyway: offline
    // tiles hold a still, and going back to 'stream' sets a new src the <img> loads.)
    if (restart) tile.mode = 'stale';
  }
  const listed = new Set(list.map((camera) => camera.id));
  for (const [id, tile] of tiles) {
    if (!listed.has(id)) {
      tile.remove();
      tiles.delete(id);
    }
  }
  showSummary(list);
  assignModes();
  updateViewer(list, restart);
}

// A hidden tab keeps no stream open; streams reopen when it is shown again.
document.addEventListener('visibilitychange', assignModes);
fillEmptyCommand();
poll();
