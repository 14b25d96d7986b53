/**
 * Drawing on a reused RGBA buffer: solid rectangles, row copies and bitmap text. Every
 * operation writes whole pixels through a Uint32Array view, so filling is one `fill` call per
 * row, not four byte stores per pixel.
 */
import { GLYPH_HEIGHT, GLYPH_WIDTH, glyph } from './font.js';

/** An axis-aligned rectangle in pixels; (x, y) is the top-left corner. */
export interface Rect {
  x: number;
  y: number;
  width: number;
  height: number;
}

// Packs (r, g, b, 255) the way this machine lays out a Uint32 over RGBA bytes.
const packBytes = new Uint8Array(4);
const packWord = new Uint32Array(packBytes.buffer);

/** An opaque colour packed for RgbaCanvas (machine byte order); r, g, b are 0..255. */
export function rgb(r: number, g: number, b: number): number {
  packBytes[0] = r;
  packBytes[1] = g;
  packBytes[2] = b;
  packBytes[3] = 255;
  return packWord[0]!;
}

/** A width x height RGBA image in one buffer, allocated once and drawn over in place. */
export class RgbaCanvas {
  /** The pixels, 4 bytes each (R, G, B, A), row after row with no padding. */
  readonly data: Buffer;
  readonly #pixels: Uint32Array;

  constructor(
    readonly width: number,
    readonly height: number,
  ) {
    this.data = Buffer.alloc(width * height * 4);
    this.#pixels = new Uint32Array(this.data.buffer, this.data.byteOffset, width * height);
  }

  /** Fills a rectangle (clipped to the canvas) with a colour from `rgb`. */
  fillRect(x: number, y: number, width: number, height: number, color: number): void {
    const x0 = Math.max(0, Math.floor(x));
    const y0 = Math.max(0, Math.floor(y));
    const x1 = Math.min(this.width, Math.floor(x + width));
    const y1 = Math.min(this.height, Math.floor(y + height));
    if (x0 >= x1) return;
    for (let row = y0; row < y1; row++) {
      const start = row * this.width;
      this.#pixels.fill(color, start + x0, start + x1);
    }
  }

  /** Sets one pixel of row `y` (no clipping: callers loop over valid coordinates). */
  setPixel(x: number, y: number, color: number): void {
    this.#pixels[y * this.width + x] = color;
  }

  /** Copies row `y` over rows y+1 .. y+count, doubling the copied block each step (log2 copies). */
  repeatRow(y: number, count: number): void {
    const rowBytes = this.width * 4;
    const start = y * rowBytes;
    const end = Math.min(this.height, y + 1 + count) * rowBytes;
    let filled = rowBytes;
    while (start + filled < end) {
      const chunk = Math.min(filled, end - start - filled);
      this.data.copyWithin(start + filled, start, start + chunk);
      filled += chunk;
    }
  }

  /** Draws `text` with the built-in 5x7 font, each font pixel a scale x scale square; ink only. */
  drawText(text: string, x: number, y: number, scale: number, color: number): void {
    const advance = (GLYPH_WIDTH + 1) * scale;
    for (let i = 0; i < text.length; i++) {
      const rows = glyph(text[i]!);
      const left = x + i * advance;
      for (let row = 0; row < GLYPH_HEIGHT; row++) {
        const bits = rows[row]!;
        if (bits === 0) continue;
        for (let column = 0; column < GLYPH_WIDTH; column++) {
          if (bits & (1 << (GLYPH_WIDTH - 1 - column))) {
            this.fillRect(left + column * scale, y + row * scale, scale, scale, color);
          }
        }
      }
    }
  }
}
