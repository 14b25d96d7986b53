// @ts-check
/** DOM and number formatting helpers shared by the page's modules. */

/**
 * The element `selector` finds under `root`; throws when there is none (the page's HTML has it).
 * @template {Element} [T=HTMLElement]
 * @param {string} selector
 * @param {ParentNode} [root]
 * @returns {T}
 */
export function $(selector, root = document) {
  const element = root.querySelector(selector);
  if (element === null) throw new Error(`the page has no ${selector}`);
  return /** @type {T} */ (element);
}

/** @type {(value: number, digits: number) => string} */
export const number = (value, digits) => (Number.isFinite(value) ? value.toFixed(digits) : '–');

/** @param {number} bytesPerSecond */
function formatRate(bytesPerSecond) {
  if (bytesPerSecond >= 1e6) return `${number(bytesPerSecond / 1e6, 1)} MB/s`;
  return `${number(bytesPerSecond / 1e3, bytesPerSecond < 1e4 ? 1 : 0)} kB/s`;
}

/** @type {(ms: number) => string} */
export const formatMs = (ms) => number(ms, Math.abs(ms) < 10 ? 1 : 0);

/** @type {Intl.DateTimeFormatOptions} */
const clock = { hour: '2-digit', minute: '2-digit', second: '2-digit', hour12: false };
const clockFormat = new Intl.DateTimeFormat(undefined, { ...clock, fractionalSecondDigits: 3 });
/** Local wall-clock time (to the second) of a Date. */
export const clockFormatSeconds = new Intl.DateTimeFormat(undefined, clock);

/** Local wall-clock time of µs since the epoch, with milliseconds. @param {number} us */
export const formatClockUs = (us) => clockFormat.format(new Date(us / 1000));

/**
 * Fills the `.stat-*` elements under `root` that exist with `camera`'s figures.
 * @param {ParentNode} root
 * @param {import('./api.js').Camera} camera
 */
export function fillStats(root, camera) {
  /** @type {(selector: string) => HTMLElement | null} */
  const find = (selector) => root.querySelector(selector);
  /** @type {(selector: string, text: string) => void} */
  const set = (selector, text) => {
    const element = find(selector);
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
  const latencyBox = find('.stat-latency-box');
  if (latencyBox !== null) latencyBox.hidden = latency === null;
  if (latency !== null) {
    const [p50, p95, p99, max] = [latency.p50, latency.p95, latency.p99, latency.max].map(formatMs);
    set('.stat-latency', `${p50} / ${p95} ms`);
    set('.stat-latency-full', `${p50} / ${p95} / ${p99} / ${max} ms`);
  }
  const loss = find('.stat-loss');
  if (loss !== null)
    loss.dataset.level = camera.lossPercent >= 5 ? 'bad' : camera.lossPercent >= 1 ? 'warn' : 'ok';
}

/** @param {HTMLElement} badge @param {boolean} online */
export function setBadge(badge, online) {
  badge.className = `badge ${online ? 'badge-online' : 'badge-offline'}`;
  badge.textContent = online ? 'live' : 'offline';
}
