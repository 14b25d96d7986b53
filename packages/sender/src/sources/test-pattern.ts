/**
 * A synthetic moving test pattern, rendered on demand into one reused RGBA buffer (default
 * 640x360). What it shows, back to front:
 *
 * - eight colour bars at 75% level (SMPTE-like) that scroll left by 4 px per frame;
 * - a moving orange box that bounces along a track in the lower part (6 px per frame);
 * - a black panel with the frame counter ("FRAME 0000042") and the local wall clock
 *   ("HH:MM:SS.mmm") in large light-grey 5x7 glyphs, so a photo of a receiver's screen shows
 *   both frame loss and latency;
 * - two fixed markers, for locating the image after a perspective warp:
 *     white: solid (255,255,255), 24x24 px, top-left corner at (16, 16);
 *     red:   solid (255,0,0),     24x24 px, top-left corner at (width-40, height-40);
 *   each inside a 4 px black border. No other pixel is pure white or pure red (the bars stop at
 *   191, the text is 235 grey), so a detector can threshold on them.
 *
 * Rendering writes whole rows through a Uint32Array and copies the bar row down the image, so a
 * 640x360 frame takes well under a millisecond; the JPEG encoder dominates.
 */
import { wallClockUs } from '@udpcam/common';
import { UdpcamError } from '@udpcam/protocol';
import { type Rect, RgbaCanvas, rgb } from './canvas.js';
import { GLYPH_HEIGHT, textWidth } from './font.js';
import { type FrameSource, notStarted, type RgbaFrame } from './source.js';

export const DEFAULT_PATTERN_WIDTH = 640;
export const DEFAULT_PATTERN_HEIGHT = 360;
export const MIN_PATTERN_WIDTH = 160;
export const MIN_PATTERN_HEIGHT = 120;
export const MAX_PATTERN_SIDE = 8192;

/** Side of each marker square, in pixels. */
export const MARKER_SIZE = 24;
/** Distance of the white marker from the top-left corner and of the red one from the bottom-right, in pixels. */
export const MARKER_INSET = 16;
/** Width of the black border around each marker, in pixels. */
export const MARKER_BORDER = 4;

/** Scroll speed of the colour bars and of the box, in pixels per frame. */
const BAR_SCROLL = 4;
const BOX_SPEED = 6;
/** Glyphs the counter line is sized for: "FRAME " + 7 digits (over 3 days at 30 fps). */
const COUNTER_DIGITS = 7;
const LINE_CHARS = 6 + COUNTER_DIGITS;

const BLACK = rgb(0, 0, 0);
const TEXT = rgb(235, 235, 235);
const BOX = rgb(255, 140, 0);
const WHITE = rgb(255, 255, 255);
const RED = rgb(255, 0, 0);
const BARS = [
  rgb(191, 191, 191),
  rgb(191, 191, 0),
  rgb(0, 191, 191),
  rgb(0, 191, 0),
  rgb(191, 0, 191),
  rgb(191, 0, 0),
  rgb(0, 0, 191),
  rgb(16, 16, 16),
];

/**
 * Where the parts of a width x height pattern are, for tests and detectors, in pixels: the text
 * (font pixel `textScale`; the black `panel` behind the `counter` and `clock` lines) as large as
 * fits 85% of the width and 40% of the height, the markers, the moving box's side and track.
 */
function testPatternLayout(width: number, height: number) {
  const glyphsWide = LINE_CHARS * 6;
  const textScale = Math.max(
    1,
    Math.min(Math.floor((width * 0.85) / glyphsWide), Math.floor((height * 0.4) / 21)),
  );
  const padding = 2 * textScale;
  const lineGap = 3 * textScale;
  const lineHeight = GLYPH_HEIGHT * textScale;
  const lineWidth = textWidth('0'.repeat(LINE_CHARS), textScale);
  const markerZone = MARKER_INSET + MARKER_SIZE + MARKER_BORDER;
  const panel = {
    x: Math.floor((width - lineWidth) / 2) - padding,
    y: Math.max(markerZone + 8, Math.floor(height * 0.2)),
    width: lineWidth + 2 * padding,
    height: 2 * lineHeight + lineGap + 2 * padding,
  };
  const counter = { x: panel.x + padding, y: panel.y + padding, width: lineWidth, height: lineHeight };
  const clock = {
    x: counter.x,
    y: counter.y + lineHeight + lineGap,
    width: textWidth('00:00:00.000', textScale),
    height: lineHeight,
  };
  const boxSize = Math.max(8, Math.round(Math.min(width, height) / 8));
  // Centre the box's track between the panel and the red marker's row.
  const boxY = Math.floor((panel.y + panel.height + (height - markerZone) - boxSize) / 2);
  const marker = (x: number, y: number): Rect => ({ x, y, width: MARKER_SIZE, height: MARKER_SIZE });
  const whiteMarker = marker(MARKER_INSET, MARKER_INSET);
  const redMarker = marker(width - MARKER_INSET - MARKER_SIZE, height - MARKER_INSET - MARKER_SIZE);
  return { textScale, panel, counter, clock, whiteMarker, redMarker, boxSize, boxY };
}

/** "HH:MM:SS.mmm" in local time for a wall-clock time in ms since the epoch. */
function formatClock(wallClockMs: number): string {
  const date = new Date(wallClockMs);
  return `${date.toTimeString().slice(0, 8)}.${String(date.getMilliseconds()).padStart(3, '0')}`;
}

/** Options of TestPatternSource. */
export interface TestPatternOptions {
  /** Pixels; default 640. */
  width?: number;
  /** Pixels; default 360. */
  height?: number;
}

function checkSide(name: string, value: number, min: number): void {
  if (!Number.isInteger(value) || value < min || value > MAX_PATTERN_SIDE) {
    throw new UdpcamError(
      'UDPCAM_ERR_INVALID_OPTION',
      `test pattern ${name} must be an integer from ${min} to ${MAX_PATTERN_SIDE} pixels, got ${value}`,
    );
  }
}

/** A FrameSource that renders the test pattern on each grab (see the file comment). */
export class TestPatternSource implements FrameSource {
  readonly name = 'test-pattern';
  readonly width: number;
  readonly height: number;
  readonly layout: ReturnType<typeof testPatternLayout>;
  readonly #canvas: RgbaCanvas;
  #frameNumber = 0;
  #running = false;

  constructor(options: TestPatternOptions = {}) {
    this.width = options.width ?? DEFAULT_PATTERN_WIDTH;
    this.height = options.height ?? DEFAULT_PATTERN_HEIGHT;
    checkSide('width', this.width, MIN_PATTERN_WIDTH);
    checkSide('height', this.height, MIN_PATTERN_HEIGHT);
    this.layout = testPatternLayout(this.width, this.height);
    this.#canvas = new RgbaCanvas(this.width, this.height);
  }

  /** Frames rendered by `grab` so far (the next grab shows this number). */
  get frameNumber(): number {
    return this.#frameNumber;
  }

  async start(): Promise<void> {
    this.#running = true;
  }

  async stop(): Promise<void> {
    this.#running = false;
  }

  /** Renders the next frame, stamped and labelled with the current wall clock. */
  async grab(): Promise<RgbaFrame> {
    if (!this.#running) throw notStarted(this.name);
    const captureUs = wallClockUs();
    const data = this.render(this.#frameNumber++, captureUs / 1000);
    return { kind: 'rgba', data, width: this.width, height: this.height, captureUs };
  }

  /**
   * Draws frame `frameNumber` as it looks at `wallClockMs` (ms since the epoch) into the reused
   * buffer and returns it. The same inputs give the same pixels.
   */
  render(frameNumber: number, wallClockMs: number): Buffer {
    const canvas = this.#canvas;
    const { width, height, layout } = this;

    // Bars: draw one row, then copy it down the whole image.
    const scroll = (frameNumber * BAR_SCROLL) % width;
    for (let x = 0; x < width; x++) {
      canvas.setPixel(x, 0, BARS[Math.floor((((x + scroll) % width) * BARS.length) / width)]!);
    }
    canvas.repeatRow(0, height - 1);

    // The box bounces: its x runs 0 .. width-boxSize and back.
    const travel = width - layout.boxSize;
    const phase = (frameNumber * BOX_SPEED) % (2 * travel);
    const boxX = phase <= travel ? phase : 2 * travel - phase;
    canvas.fillRect(boxX, layout.boxY, layout.boxSize, layout.boxSize, BOX);

    const { panel, counter, clock, textScale } = layout;
    canvas.fillRect(panel.x, panel.y, panel.width, panel.height, BLACK);
    canvas.drawText(
      `FRAME ${String(frameNumber).padStart(COUNTER_DIGITS, '0')}`,
      counter.x,
      counter.y,
      textScale,
      TEXT,
    );
    canvas.drawText(formatClock(wallClockMs), clock.x, clock.y, textScale, TEXT);

    this.#drawMarker(layout.whiteMarker, WHITE);
    this.#drawMarker(layout.redMarker, RED);
    return canvas.data;
  }

  #drawMarker(marker: Rect, color: number): void {
    const b = MARKER_BORDER;
    this.#canvas.fillRect(marker.x - b, marker.y - b, marker.width + 2 * b, marker.height + 2 * b, BLACK);
    this.#canvas.fillRect(marker.x, marker.y, marker.width, marker.height, color);
  }
}
