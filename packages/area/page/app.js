/**
 * udpcam area page: the live source with the capture quad on top, and the warped preview the
 * server renders with the sender's own AreaWarp. Corners are kept in SOURCE pixels (pixel edges,
 * whole numbers) whatever size the image is shown at: a click is mapped through the image's
 * on-screen box (getBoundingClientRect, CSS pixels, so devicePixelRatio drops out) and its
 * naturalWidth/naturalHeight. The SVG overlay uses the same source-pixel coordinates (its viewBox
 * is the frame), so nothing is converted twice. Plain browser JS: no framework, no build step.
 */

const NAMES = ['top-left', 'top-right', 'bottom-right', 'bottom-left'];
const SHORT = ['TL', 'TR', 'BR', 'BL'];
/** A press this close to a corner (CSS pixels) grabs it instead of placing a new one. */
const GRAB_RADIUS = 16;
/** Largest output side the server renders (MAX_PREVIEW_SIDE in src/server.ts). */
const MAX_SIDE = 8192;
/** Pause before retrying after the server did not answer (ms). */
const RETRY_MS = 1000;

const $ = (id) => document.getElementById(id);
const SVG = 'http://www.w3.org/2000/svg';

const state = {
  /** Source frame size in pixels. */
  width: 0,
  height: 0,
  /** Up to 4 corners [x, y] in source pixels, clockwise from top-left. */
  corners: [],
  /** Output size (visible_rect) in pixels, or undefined while the fields are invalid. */
  output: undefined,
  /** Index of the corner being dragged, or -1. */
  dragging: -1,
  closed: false,
};

// ---------------------------------------------------------------------------------------------
// Coordinates

/** Source pixels per CSS pixel of the shown image (> 1 when it is shown smaller). */
function sourcePerCssPixel() {
  const box = $('source').getBoundingClientRect();
  return box.width > 0 ? frameWidth() / box.width : 1;
}

const frameWidth = () => $('source').naturalWidth || state.width;
const frameHeight = () => $('source').naturalHeight || state.height;

/** A pointer event's position in source pixels, clamped to the frame and rounded to whole pixels. */
function toSource(event) {
  const box = $('source').getBoundingClientRect();
  const x = ((event.clientX - box.left) * frameWidth()) / box.width;
  const y = ((event.clientY - box.top) * frameHeight()) / box.height;
  const clamp = (value, max) => Math.min(max, Math.max(0, Math.round(value)));
  return [clamp(x, frameWidth()), clamp(y, frameHeight())];
}

/** The corner within GRAB_RADIUS CSS pixels of `point` (source pixels), nearest first, or -1. */
function cornerAt(point) {
  const radius = GRAB_RADIUS * sourcePerCssPixel();
  let best = -1;
  let bestDistance = radius;
  state.corners.forEach(([x, y], index) => {
    const distance = Math.hypot(x - point[0], y - point[1]);
    if (distance <= bestDistance) {
      best = index;
      bestDistance = distance;
    }
  });
  return best;
}

// ---------------------------------------------------------------------------------------------
// Drawing

function svg(name, attributes, text) {
  const element = document.createElementNS(SVG, name);
  for (const [key, value] of Object.entries(attributes)) element.setAttribute(key, String(value));
  if (text !== undefined) element.textContent = text;
  return element;
}

/** Redraws the markers, the outline and the shade outside the quad, and the corner list. */
function draw() {
  const overlay = $('overlay');
  const { width, height, corners } = state;
  overlay.setAttribute('viewBox', `0 0 ${frameWidth()} ${frameHeight()}`);
  // Markers keep their on-screen size: radius and text are scaled by source pixels per CSS pixel.
  const k = sourcePerCssPixel();
  overlay.style.setProperty('--k', String(k));
  const path = corners.map(([x, y], i) => `${i === 0 ? 'M' : 'L'}${x} ${y}`).join(' ');
  $('outline').setAttribute('d', corners.length === 4 ? `${path} Z` : path);
  $('outline').setAttribute('stroke-width', String(2 * k));
  $('shade').setAttribute(
    'd',
    corners.length === 4 ? `M0 0 H${frameWidth()} V${frameHeight()} H0 Z ${path} Z` : '',
  );
  const group = $('corners');
  group.replaceChildren(
    ...corners.map(([x, y], index) => {
      const marker = svg('g', {
        class: `corner${index === state.dragging ? ' corner-dragging' : ''}`,
        'data-index': index,
        'data-x': x,
        'data-y': y,
      });
      marker.append(
        svg('circle', { cx: x, cy: y, r: 9 * k, 'stroke-width': 2 * k }),
        svg('text', { x, y, dy: 4 * k, 'font-size': 11 * k, 'text-anchor': 'middle' }, String(index + 1)),
        svg(
          'text',
          {
            class: 'corner-label',
            x: x + (index === 1 || index === 2 ? -14 : 14) * k,
            y: y + (index >= 2 ? -12 : 22) * k,
            'font-size': 12 * k,
            'text-anchor': index === 1 || index === 2 ? 'end' : 'start',
          },
          SHORT[index],
        ),
        svg('title', {}, `${NAMES[index]} (${x}, ${y})`),
      );
      return marker;
    }),
  );
  $('corner-list').replaceChildren(
    ...NAMES.map((name, index) => {
      const item = document.createElement('li');
      const corner = corners[index];
      item.className = corner ? 'set' : index === corners.length ? 'next' : '';
      item.innerHTML = `<span class="corner-name"></span> <span class="corner-xy"></span>`;
      item.firstChild.textContent = `${index + 1} ${name}`;
      item.lastChild.textContent = corner
        ? `${corner[0]}, ${corner[1]}`
        : index === corners.length
          ? 'click next'
          : '–';
      return item;
    }),
  );
  $('undo').disabled = corners.length === 0;
  $('reset').disabled = corners.length === 0;
  $('size-aspect').disabled = corners.length < 4;
  if (width > 0) $('source-size').textContent = `${width}×${height}`;
}

/** A line for the person: kind is 'ok', 'error' or '' (neutral). */
function say(text, kind = '') {
  const message = $('message');
  message.textContent = text;
  message.dataset.kind = kind;
}

// ---------------------------------------------------------------------------------------------
// Editing

/** Tells the preview loop that the corners or the output size changed. */
let wakePreview = () => {};
function changed() {
  draw();
  wakePreview();
}

function undo() {
  state.corners.pop();
  changed();
}

function reset() {
  state.corners = [];
  say('');
  changed();
}

function onPointerDown(event) {
  if (event.button !== 0 || state.closed || state.width === 0) return;
  const point = toSource(event);
  let index = cornerAt(point);
  if (index < 0) {
    if (state.corners.length >= 4) {
      say('All 4 corners are set: drag one to move it, or Reset to start over.');
      return;
    }
    state.corners.push(point);
    index = state.corners.length - 1;
  }
  state.dragging = index;
  $('overlay').setPointerCapture(event.pointerId);
  event.preventDefault();
  changed();
}

function onPointerMove(event) {
  if (state.dragging < 0) return;
  const point = toSource(event);
  const old = state.corners[state.dragging];
  if (old[0] === point[0] && old[1] === point[1]) return;
  state.corners[state.dragging] = point;
  changed();
}

function onPointerUp() {
  if (state.dragging < 0) return;
  state.dragging = -1;
  draw();
}

/** Reads the size fields into state.output (undefined when not whole numbers 1..MAX_SIDE). */
function readOutputSize() {
  const width = Number($('out-width').value);
  const height = Number($('out-height').value);
  const valid = (n) => Number.isInteger(n) && n >= 1 && n <= MAX_SIDE;
  state.output = valid(width) && valid(height) ? { width, height } : undefined;
  $('preview-size').textContent = state.output ? `${width}×${height}` : '';
  changed();
}

function setOutputSize(width, height) {
  $('out-width').value = String(width);
  $('out-height').value = String(height);
  readOutputSize();
}

/** Keeps the output width and sets the height so the output has the quad's mean aspect ratio. */
function matchQuadAspect() {
  const [a, b, c, d] = state.corners;
  if (!d) return;
  const edge = (p, q) => Math.hypot(q[0] - p[0], q[1] - p[1]);
  const across = (edge(a, b) + edge(d, c)) / 2;
  const down = (edge(a, d) + edge(b, c)) / 2;
  const width = state.output?.width ?? state.width;
  setOutputSize(width, Math.max(1, Math.min(MAX_SIDE, Math.round((width * down) / across))));
}

// ---------------------------------------------------------------------------------------------
// Server

async function postJson(path, body) {
  const response = await fetch(path, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  });
  const answer = await response.json().catch(() => ({}));
  return { ok: response.ok, answer };
}

async function save() {
  if (state.corners.length < 4) {
    say(`Not saved: place all 4 corners first (${state.corners.length} of 4 set).`, 'error');
    return;
  }
  if (!state.output) {
    say(`Not saved: the output size must be whole numbers from 1 to ${MAX_SIDE}.`, 'error');
    return;
  }
  const { width, height } = state.output;
  say('Saving…');
  try {
    const { ok, answer } = await postJson('api/area', {
      selected_rect: state.corners,
      visible_rect: [
        [0, 0],
        [width, 0],
        [width, height],
        [0, height],
      ],
    });
    if (ok) say(`Saved to ${answer.file}`, 'ok');
    else say(`Not saved: ${answer.error ?? 'the server refused it'}`, 'error');
  } catch (error) {
    say(`Not saved: the udpcam area command does not answer (${error.message})`, 'error');
  }
}

async function quit() {
  say('Quitting…');
  try {
    await postJson('api/quit', {});
    closed('You can close this tab.');
  } catch (error) {
    say(`Cannot reach the udpcam area command (${error.message})`, 'error');
  }
}

function closed(text) {
  state.closed = true;
  wakePreview();
  $('closed-text').textContent = text;
  $('closed').hidden = false;
}

/** Shows a JPEG blob in `image` once decoded (no flash of an empty image), then frees the old one. */
async function show(image, blob) {
  const url = URL.createObjectURL(blob);
  const loader = new Image();
  loader.src = url;
  try {
    await loader.decode();
  } catch {
    URL.revokeObjectURL(url);
    return false;
  }
  const old = image.src;
  image.src = url;
  if (old.startsWith('blob:')) URL.revokeObjectURL(old);
  return true;
}

const pause = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Fetches source frames one after another: each request waits for a frame newer than the last. */
async function sourceLoop() {
  let seq = -1;
  while (!state.closed) {
    try {
      const response = await fetch(seq < 0 ? 'frame.jpg' : `frame.jpg?after=${seq}`, { cache: 'no-store' });
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      seq = Number(response.headers.get('X-Frame-Seq') ?? seq);
      if (await show($('source'), await response.blob())) {
        $('source-wait').hidden = true;
        // The frame size can change (a camera renegotiating); markers are sized against it.
        draw();
      }
    } catch {
      if (state.closed) return;
      $('source-wait').hidden = false;
      $('source-wait').textContent = 'the udpcam area command does not answer; retrying…';
      await pause(RETRY_MS);
    }
  }
}

/**
 * Fetches previews one after another. When the corners or size are unchanged it waits for a new
 * source frame (after=seq); a change aborts that wait so the preview follows a drag at once.
 */
async function previewLoop() {
  let lastKey = '';
  let seq = -1;
  while (!state.closed) {
    if (state.corners.length < 4 || !state.output) {
      $('preview').hidden = true;
      $('preview-note').hidden = false;
      $('preview-note').dataset.kind = '';
      $('preview-note').textContent = !state.output
        ? `Set an output size of 1 to ${MAX_SIDE} pixels a side.`
        : `Place the 4 corners to see the warped output (${state.corners.length} of 4 set).`;
      await new Promise((resolve) => {
        wakePreview = resolve;
      });
      continue;
    }
    const points = state.corners.map(([x, y]) => `${x},${y}`).join(';');
    const key = `points=${points}&size=${state.output.width}x${state.output.height}`;
    const waitForFrame = key === lastKey;
    const controller = new AbortController();
    if (waitForFrame) wakePreview = () => controller.abort();
    try {
      const response = await fetch(`preview.jpg?${key}${waitForFrame ? `&after=${seq}` : ''}`, {
        cache: 'no-store',
        signal: controller.signal,
      });
      lastKey = key;
      if (response.ok) {
        seq = Number(response.headers.get('X-Frame-Seq') ?? seq);
        if (await show($('preview'), await response.blob())) {
          $('preview').hidden = false;
          $('preview-note').hidden = true;
        }
      } else {
        const answer = await response.json().catch(() => ({}));
        $('preview').hidden = true;
        $('preview-note').hidden = false;
        $('preview-note').dataset.kind = 'error';
        $('preview-note').textContent = answer.error ?? `HTTP ${response.status}`;
        // Wait for the next change (or retry a busy server after a moment).
        await Promise.race([
          new Promise((resolve) => {
            wakePreview = resolve;
          }),
          pause(response.status === 503 ? 200 : 60_000),
        ]);
        lastKey = '';
      }
    } catch (error) {
      if (error.name !== 'AbortError') await pause(RETRY_MS);
      lastKey = '';
    } finally {
      wakePreview = () => {};
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Start

function onKey(event) {
  if (state.closed || event.ctrlKey || event.metaKey || event.altKey) return;
  const typing = event.target instanceof HTMLInputElement;
  if (event.key === 'Escape') {
    if (typing) event.target.blur();
    else if (state.corners.length > 0) reset();
    else quit();
    event.preventDefault();
  } else if (typing) {
    return;
  } else if (event.key === 's' || event.key === 'S') {
    event.preventDefault();
    save();
  } else if (event.key === 'Backspace' || event.key === 'u') {
    event.preventDefault();
    undo();
  }
}

async function start() {
  let info;
  for (;;) {
    try {
      const response = await fetch('api/area', { cache: 'no-store' });
      info = await response.json();
      if (response.ok) break;
    } catch {}
    say('Waiting for the udpcam area command…');
    await pause(RETRY_MS);
  }
  say('');
  state.width = info.source.width;
  state.height = info.source.height;
  // Reserves the frame's shape before the first frame arrives, so the layout does not jump.
  $('source').width = state.width;
  $('source').height = state.height;
  $('source-name').textContent = info.source.name;
  $('out-path').textContent = info.out;
  if (info.area) {
    state.corners = info.area.selected_rect.map(([x, y]) => [x, y]);
    say(`Opened ${info.out}: drag a corner to change it, s saves.`);
  }
  setOutputSize(info.outputSize.width, info.outputSize.height);

  const overlay = $('overlay');
  overlay.addEventListener('pointerdown', onPointerDown);
  overlay.addEventListener('pointermove', onPointerMove);
  overlay.addEventListener('pointerup', onPointerUp);
  overlay.addEventListener('pointercancel', onPointerUp);
  new ResizeObserver(() => draw()).observe($('stage'));
  document.addEventListener('keydown', onKey);
  $('undo').addEventListener('click', undo);
  $('reset').addEventListener('click', reset);
  $('save').addEventListener('click', save);
  $('quit').addEventListener('click', quit);
  $('out-width').addEventListener('input', readOutputSize);
  $('out-height').addEventListener('input', readOutputSize);
  $('size-form').addEventListener('submit', (event) => event.preventDefault());
  $('size-source').addEventListener('click', () => setOutputSize(state.width, state.height));
  $('size-aspect').addEventListener('click', matchQuadAspect);
  draw();
  sourceLoop();
  previewLoop();
}

start();
