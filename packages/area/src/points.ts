/**
 * Corner lists ↔ capture areas. The original tool asks for the corners clockwise from top-left;
 * a capture_area.json stores them as selected_rect and the output size as visible_rect.
 * Coordinates are pixel edges (a w-wide frame spans x = 0..w), rounded to whole pixels: what the
 * original's OpenCV clicks gave, and finer than a click on a scaled-down view can aim anyway.
 */
import { UdpcamError } from '@udpcam/protocol';
import type { CaptureArea } from '@udpcam/sender';

/** The corners in the order they are picked and stored. */
const CORNER_NAMES = ['top-left', 'top-right', 'bottom-right', 'bottom-left'] as const;

/** [x, y] in source pixels. */
export type Corner = [number, number];

/** Width and height in pixels. */
export interface Size {
  width: number;
  height: number;
}

function invalid(message: string): UdpcamError {
  return new UdpcamError('UDPCAM_ERR_INVALID_OPTION', message);
}

/**
 * "x,y x,y x,y x,y" (points apart by spaces or ';') → 4 corners in pixels, clockwise from
 * top-left. Throws UDPCAM_ERR_INVALID_OPTION with a one-line message; geometry (convex, inside
 * the frame) is the capture-area check's job.
 */
export function parsePoints(text: string): Corner[] {
  const parts = text.trim().split(/\s*;\s*|\s+/);
  if (parts.length !== 4) {
    throw invalid(`expected 4 points "x,y x,y x,y x,y" (top-left first, clockwise), got ${parts.length}`);
  }
  return parts.map((part, index) => {
    const match = /^(\d+(?:\.\d+)?),(\d+(?:\.\d+)?)$/.exec(part);
    if (!match) {
      throw invalid(`${CORNER_NAMES[index]} point ${JSON.stringify(part)} is not x,y (two numbers ≥ 0)`);
    }
    return [Number(match[1]), Number(match[2])];
  });
}

/** The capture_area.json for these corners and output size, corners rounded to whole pixels. */
export function captureArea(corners: readonly (readonly number[])[], size: Size): CaptureArea {
  const { width, height } = size;
  return {
    selected_rect: corners.map(([x, y]) => [Math.round(x ?? Number.NaN), Math.round(y ?? Number.NaN)]),
    visible_rect: [
      [0, 0],
      [width, 0],
      [width, height],
      [0, height],
    ],
  };
}

/**
 * `value` with every selected_rect corner rounded to whole pixels when it has the file's shape;
 * anything else is returned as is, for the schema check to name what is wrong.
 */
export function roundCorners(value: unknown): unknown {
  if (typeof value !== 'object' || value === null) return value;
  const selected = (value as { selected_rect?: unknown }).selected_rect;
  if (!Array.isArray(selected)) return value;
  const rounded = selected.map((point: unknown) =>
    Array.isArray(point) ? point.map((n: unknown) => (typeof n === 'number' ? Math.round(n) : n)) : point,
  );
  return { ...value, selected_rect: rounded };
}
