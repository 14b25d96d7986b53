/**
 * The perspective "area warp": cuts a quad out of each RGBA frame and straightens it into a
 * w x h rectangle, as the original sender did with cv2.getPerspectiveTransform(selected, visible)
 * and cv2.warpPerspective(frame, M, (w, h)) from its capture_area.json
 * (schema: @udpcam/cli/schemas/capture_area.schema.json).
 *
 * Coordinates are pixel edges: pixel (i, j) covers [i, i+1) x [j, j+1) and its centre is
 * (i + 0.5, j + 0.5), so the quad [[0,0],[w,0],[w,h],[0,h]] is exactly a w x h image and the
 * identity warp copies pixels unchanged. Each output centre goes through the inverse homography
 * (visible → selected) and the source is sampled bilinearly there.
 */
import { UdpcamError } from '@udpcam/protocol';
import {
  apply,
  assertConvexQuad,
  type Matrix3,
  type Point,
  perspectiveTransform,
  type Quad,
} from './homography.js';

/**
 * Largest coordinate accepted in a capture area, in pixels: the schema's maximum, which the CLI
 * checks with ajv. AreaWarp checks it again only for the output size, which bounds its buffer.
 */
export const MAX_CAPTURE_COORDINATE = 16384;

/** The contents of a capture_area.json file. */
export interface CaptureArea {
  /** The quad to cut out, clockwise from top-left, in source pixels. */
  selected_rect: [number, number][];
  /** The output rectangle, clockwise from top-left: [[0,0],[w,0],[w,h],[0,h]] in output pixels. */
  visible_rect: [number, number][];
}

/** The parts of a frame the warp reads: RGBA bytes, rows packed (an RgbaFrame fits). */
export interface RgbaImage {
  /** width * height * 4 bytes. */
  data: Uint8Array;
  width: number;
  height: number;
}

function invalid(message: string): UdpcamError {
  return new UdpcamError('UDPCAM_ERR_INVALID_OPTION', `capture area: ${message}`);
}

/**
 * The output size of a visible_rect, which must be [[0,0],[w,0],[w,h],[0,h]] with w and h
 * integers 1..MAX_CAPTURE_COORDINATE (pixels); throws UDPCAM_ERR_INVALID_OPTION otherwise.
 */
export function visibleSize(visible: readonly (readonly number[])[]): { width: number; height: number } {
  const width = visible[1]?.[0] ?? Number.NaN;
  const height = visible[2]?.[1] ?? Number.NaN;
  const expected = [
    [0, 0],
    [width, 0],
    [width, height],
    [0, height],
  ];
  const matches =
    visible.length === 4 &&
    expected.every(
      (point, i) => visible[i]?.length === 2 && visible[i]?.[0] === point[0] && visible[i]?.[1] === point[1],
    );
  const side = (n: number) => Number.isInteger(n) && n >= 1 && n <= MAX_CAPTURE_COORDINATE;
  if (!matches || !side(width) || !side(height)) {
    throw invalid(
      `visible_rect must be [[0,0],[w,0],[w,h],[0,h]] with w and h whole numbers of pixels from 1 to ${MAX_CAPTURE_COORDINATE}, got ${JSON.stringify(visible)}`,
    );
  }
  return { width, height };
}

/**
 * Warps frames from a source quad (selected_rect) onto a w x h output (visible_rect).
 * Construct once per capture area; `warp` reuses one output buffer, so each result is valid only
 * until the next `warp` call (copy it to keep it).
 */
export class AreaWarp {
  /** Output width in pixels (w of visible_rect). */
  readonly width: number;
  /** Output height in pixels (h of visible_rect). */
  readonly height: number;
  /** selected (source pixels) → visible (output pixels). */
  readonly forward: Matrix3;
  /** visible (output pixels) → selected (source pixels); what `warp` samples through. */
  readonly inverse: Matrix3;
  readonly #output: Buffer;

  /**
   * Throws UDPCAM_ERR_INVALID_OPTION for a degenerate selected_rect (collinear corners, crossing
   * edges, not convex), a visible_rect that is not [[0,0],[w,0],[w,h],[0,h]], or — when the
   * source size in pixels is given — a selected_rect that reaches outside the source.
   * Frames of any size can still be warped; parts of the quad outside a frame come out black.
   */
  constructor(area: CaptureArea, sourceWidth?: number, sourceHeight?: number) {
    const { width, height } = visibleSize(area.visible_rect);
    const selected = area.selected_rect;
    assertConvexQuad(selected, 'capture area selected_rect');
    if (sourceWidth !== undefined || sourceHeight !== undefined) {
      const maxX = sourceWidth ?? Number.POSITIVE_INFINITY;
      const maxY = sourceHeight ?? Number.POSITIVE_INFINITY;
      for (const [x, y] of selected) {
        if (x < 0 || y < 0 || x > maxX || y > maxY) {
          throw invalid(
            `selected_rect point [${x}, ${y}] is outside the ${sourceWidth ?? '?'}x${sourceHeight ?? '?'} source`,
          );
        }
      }
    }
    const visible: Quad = [
      [0, 0],
      [width, 0],
      [width, height],
      [0, height],
    ];
    this.width = width;
    this.height = height;
    this.forward = perspectiveTransform(selected, visible);
    // Solved directly rather than by inverting `forward`: one rounding step fewer.
    this.inverse = perspectiveTransform(visible, selected as readonly Point[]);
    this.#output = Buffer.alloc(width * height * 4);
  }

  /** Where a source point (pixels) lands in the output (pixels). */
  outputPoint(x: number, y: number): [number, number] {
    return apply(this.forward, x, y);
  }

  /**
   * Warps one frame into the reused width x height RGBA output and returns it (valid until the
   * next call), or into `into` (width * height * 4 bytes) when given, e.g. a buffer to transfer.
   * Output pixels whose centre maps outside the source are opaque black.
   */
  warp(src: RgbaImage): Buffer;
  warp<T extends Uint8Array>(src: RgbaImage, into: T): T;
  warp(src: RgbaImage, into?: Uint8Array): Uint8Array {
    const sw = src.width;
    const sh = src.height;
    if (!Number.isInteger(sw) || !Number.isInteger(sh) || sw < 1 || sh < 1 || src.data.length < sw * sh * 4) {
      throw new UdpcamError(
        'UDPCAM_ERR_INVALID_OPTION',
        `area warp: an RGBA frame of ${sw}x${sh} needs ${sw * sh * 4} bytes, got ${src.data.length}`,
      );
    }
    const data = src.data;
    if (into !== undefined && into.length !== this.width * this.height * 4) {
      throw new UdpcamError(
        'UDPCAM_ERR_INVALID_OPTION',
        `area warp: the output of ${this.width}x${this.height} needs ${this.width * this.height * 4} bytes, got ${into.length}`,
      );
    }
    const out: Uint8Array = into ?? this.#output;
    const outWidth = this.width;
    const outHeight = this.height;
    const [m0, m1, m2, m3, m4, m5, m6, m7, m8] = this.inverse;
    const maxU = sw - 1;
    const maxV = sh - 1;
    const rowBytes = sw * 4;
    let o = 0;
    for (let y = 0; y < outHeight; y++) {
      // Homogeneous source point of the row's first pixel centre; each step right adds m0, m3, m6.
      const cy = y + 0.5;
      let hx = m0 * 0.5 + m1 * cy + m2;
      let hy = m3 * 0.5 + m4 * cy + m5;
      let hw = m6 * 0.5 + m7 * cy + m8;
      for (let x = 0; x < outWidth; x++, o += 4, hx += m0, hy += m3, hw += m6) {
        const sx = hx / hw;
        const sy = hy / hw;
        // Negated so NaN (the horizon) also counts as outside.
        if (!(sx >= 0 && sx <= sw && sy >= 0 && sy <= sh)) {
          out[o] = 0;
          out[o + 1] = 0;
          out[o + 2] = 0;
          out[o + 3] = 255;
          continue;
        }
        // From edge coordinates to pixel-centre indices, clamped to the outermost centres.
        let u = sx - 0.5;
        let v = sy - 0.5;
        if (u < 0) u = 0;
        else if (u > maxU) u = maxU;
        if (v < 0) v = 0;
        else if (v > maxV) v = maxV;
        const x0 = u | 0;
        const y0 = v | 0;
        const fx = u - x0;
        const fy = v - y0;
        const p00 = y0 * rowBytes + x0 * 4;
        const p01 = x0 < maxU ? p00 + 4 : p00;
        const p10 = y0 < maxV ? p00 + rowBytes : p00;
        const p11 = x0 < maxU ? p10 + 4 : p10;
        const w11 = fx * fy;
        const w01 = fx - w11;
        const w10 = fy - w11;
        const w00 = 1 - fx - w10;
        // Unrolled over R, G, B; storing x + 0.5 into the Uint8Array rounds (weights sum to 1).
        // Frames are opaque (decoders and sources give alpha 255), so alpha is not sampled.
        out[o] =
          w00 * (data[p00] as number) +
          w01 * (data[p01] as number) +
          w10 * (data[p10] as number) +
          w11 * (data[p11] as number) +
          0.5;
        out[o + 1] =
          w00 * (data[p00 + 1] as number) +
          w01 * (data[p01 + 1] as number) +
          w10 * (data[p10 + 1] as number) +
          w11 * (data[p11 + 1] as number) +
          0.5;
        out[o + 2] =
          w00 * (data[p00 + 2] as number) +
          w01 * (data[p01 + 2] as number) +
          w10 * (data[p10 + 2] as number) +
          w11 * (data[p11 + 2] as number) +
          0.5;
        out[o + 3] = 255;
      }
    }
    return out;
  }
}
