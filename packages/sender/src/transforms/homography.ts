/**
 * Plane homographies for the perspective warp: pure math, no I/O. A homography is a 3x3 matrix
 * stored row-major in 9 numbers; it maps (x, y) to ((m0 x + m1 y + m2) / w, (m3 x + m4 y + m5) / w)
 * with w = m6 x + m7 y + m8. Points are in pixels, in whatever convention the caller uses
 * consistently (the warp uses pixel edges: pixel (i, j) covers [i, i+1) x [j, j+1)).
 */
import { UdpcamError } from '@udpcam/protocol';

/** A point in pixels, [x, y]. */
export type Point = readonly [number, number];

/** Four corners of a quad, in order around it (udpcam uses clockwise from top-left). */
export type Quad = readonly [Point, Point, Point, Point];

/** A 3x3 matrix, row-major: [m00, m01, m02, m10, m11, m12, m20, m21, m22]. */
export type Matrix3 = readonly [number, number, number, number, number, number, number, number, number];

/**
 * Corner turns smaller than this, relative to the lengths of the two edges (the sine of the
 * angle between them), count as three collinear points.
 */
const COLLINEAR_SINE = 1e-9;

/** Pivots below this (relative to the largest coefficient) make the system singular. */
const SINGULAR_PIVOT = 1e-12;

function invalid(message: string): UdpcamError {
  return new UdpcamError('UDPCAM_ERR_INVALID_OPTION', message);
}

function formatQuad(quad: readonly Point[]): string {
  return JSON.stringify(quad.map(([x, y]) => [x, y]));
}

/**
 * Throws UDPCAM_ERR_INVALID_OPTION unless `quad` is 4 finite points forming a strictly convex,
 * simple quadrilateral (either orientation): no three corners collinear, no crossing edges.
 * `name` names the quad in the message, e.g. "selected_rect".
 */
export function assertConvexQuad(quad: readonly Point[], name = 'quad'): asserts quad is Quad {
  if (quad.length !== 4) {
    throw invalid(`${name} must have exactly 4 points, got ${quad.length}`);
  }
  for (const point of quad) {
    if (point.length !== 2 || !Number.isFinite(point[0]) || !Number.isFinite(point[1])) {
      throw invalid(`${name} must be 4 points of 2 finite numbers, got ${formatQuad(quad)}`);
    }
  }
  // A quad is strictly convex and simple exactly when all four corners turn the same way: four
  // turns of the same sign, each under 180°, add up to one full turn, so the edges cannot cross.
  let sign = 0;
  for (let i = 0; i < 4; i++) {
    const [ax, ay] = quad[i] as Point;
    const [bx, by] = quad[(i + 1) % 4] as Point;
    const [cx, cy] = quad[(i + 2) % 4] as Point;
    const ex = bx - ax;
    const ey = by - ay;
    const fx = cx - bx;
    const fy = cy - by;
    const cross = ex * fy - ey * fx;
    const scale = Math.hypot(ex, ey) * Math.hypot(fx, fy);
    if (!(Math.abs(cross) > COLLINEAR_SINE * scale)) {
      throw invalid(
        `${name} is degenerate: corners ${i}, ${(i + 1) % 4}, ${(i + 2) % 4} are collinear or equal in ${formatQuad(quad)}`,
      );
    }
    const turn = Math.sign(cross);
    if (sign === 0) {
      sign = turn;
    } else if (turn !== sign) {
      throw invalid(
        `${name} must be a convex quad with its corners in order around it (clockwise from top-left), got ${formatQuad(quad)}`,
      );
    }
  }
}

/**
 * Solves a·x = b in place by Gaussian elimination with partial pivoting; `a` is n x n row-major.
 * Returns x, or undefined when the system is singular.
 */
function solve(a: Float64Array, b: Float64Array, n: number): Float64Array | undefined {
  let largest = 0;
  for (const value of a) largest = Math.max(largest, Math.abs(value));
  const tiny = largest * SINGULAR_PIVOT;
  for (let col = 0; col < n; col++) {
    let pivotRow = col;
    let pivotAbs = Math.abs(a[col * n + col] as number);
    for (let row = col + 1; row < n; row++) {
      const value = Math.abs(a[row * n + col] as number);
      if (value > pivotAbs) {
        pivotAbs = value;
        pivotRow = row;
      }
    }
    if (!(pivotAbs > tiny)) return undefined;
    if (pivotRow !== col) {
      for (let k = col; k < n; k++) {
        const t = a[col * n + k] as number;
        a[col * n + k] = a[pivotRow * n + k] as number;
        a[pivotRow * n + k] = t;
      }
      const t = b[col] as number;
      b[col] = b[pivotRow] as number;
      b[pivotRow] = t;
    }
    const pivot = a[col * n + col] as number;
    for (let row = col + 1; row < n; row++) {
      const factor = (a[row * n + col] as number) / pivot;
      if (factor === 0) continue;
      for (let k = col; k < n; k++) {
        a[row * n + k] = (a[row * n + k] as number) - factor * (a[col * n + k] as number);
      }
      b[row] = (b[row] as number) - factor * (b[col] as number);
    }
  }
  const x = new Float64Array(n);
  for (let row = n - 1; row >= 0; row--) {
    let sum = b[row] as number;
    for (let k = row + 1; k < n; k++) sum -= (a[row * n + k] as number) * (x[k] as number);
    x[row] = sum / (a[row * n + row] as number);
  }
  return x;
}

/**
 * The homography that maps each of the 4 `from` points onto the matching `to` point, with
 * m22 = 1 — the same system and result as OpenCV's getPerspectiveTransform, solved on
 * normalised coordinates for a few more correct digits. Throws
 * UDPCAM_ERR_INVALID_OPTION when either quad is degenerate (collinear corners, crossing edges,
 * not convex).
 */
export function perspectiveTransform(from: readonly Point[], to: readonly Point[]): Matrix3 {
  assertConvexQuad(from, 'from quad');
  assertConvexQuad(to, 'to quad');
  // Solved on normalised points (centroid at 0, mean distance √2, as Hartley recommends): with
  // raw pixel coordinates the x·u terms reach 1e7 beside the 1s and cost several digits.
  const fromNorm = normalisation(from);
  const toNorm = normalisation(to);
  // Unknowns m00 m01 m02 m10 m11 m12 m20 m21 (m22 = 1), as in OpenCV; for each (x, y) → (u, v):
  //   m00 x + m01 y + m02 - m20 x u - m21 y u = u
  //   m10 x + m11 y + m12 - m20 x v - m21 y v = v
  const a = new Float64Array(64);
  const b = new Float64Array(8);
  for (let i = 0; i < 4; i++) {
    const [x, y] = apply(fromNorm, (from[i] as Point)[0], (from[i] as Point)[1]);
    const [u, v] = apply(toNorm, (to[i] as Point)[0], (to[i] as Point)[1]);
    const r = i * 8;
    const s = (i + 4) * 8;
    a[r] = x;
    a[r + 1] = y;
    a[r + 2] = 1;
    a[r + 6] = -x * u;
    a[r + 7] = -y * u;
    a[s + 3] = x;
    a[s + 4] = y;
    a[s + 5] = 1;
    a[s + 6] = -x * v;
    a[s + 7] = -y * v;
    b[i] = u;
    b[i + 4] = v;
  }
  const m = solve(a, b, 8);
  if (m === undefined) {
    throw invalid(`no perspective transform maps ${formatQuad(from)} onto ${formatQuad(to)}`);
  }
  const normalised = [...m, 1] as unknown as Matrix3;
  const full = multiply(invertSimilarity(toNorm), multiply(normalised, fromNorm));
  const scale = full[8];
  if (!Number.isFinite(scale) || scale === 0) {
    throw invalid(`no perspective transform maps ${formatQuad(from)} onto ${formatQuad(to)}`);
  }
  return full.map((value) => value / scale) as unknown as Matrix3;
}

/** A translate-and-scale matrix taking the quad's centroid to 0 and its mean radius to √2. */
function normalisation(quad: readonly Point[]): Matrix3 {
  let cx = 0;
  let cy = 0;
  for (const [x, y] of quad) {
    cx += x / quad.length;
    cy += y / quad.length;
  }
  let radius = 0;
  for (const [x, y] of quad) radius += Math.hypot(x - cx, y - cy) / quad.length;
  const k = Math.SQRT2 / radius;
  return [k, 0, -k * cx, 0, k, -k * cy, 0, 0, 1];
}

/** The exact inverse of a matrix from `normalisation`. */
function invertSimilarity(m: Matrix3): Matrix3 {
  const k = m[0];
  return [1 / k, 0, -m[2] / k, 0, 1 / k, -m[5] / k, 0, 0, 1];
}

/**
 * The inverse homography, scaled so its m22 is 1 when that is not 0. Throws
 * UDPCAM_ERR_INVALID_OPTION for a singular matrix.
 */
export function invert(m: Matrix3): Matrix3 {
  const [a, b, c, d, e, f, g, h, i] = m;
  // Adjugate (transposed cofactors); any non-zero multiple of the inverse is the same homography.
  const A = e * i - f * h;
  const B = c * h - b * i;
  const C = b * f - c * e;
  const D = f * g - d * i;
  const E = a * i - c * g;
  const F = c * d - a * f;
  const G = d * h - e * g;
  const H = b * g - a * h;
  const I = a * e - b * d;
  const det = a * A + b * D + c * G;
  if (!Number.isFinite(det) || det === 0) {
    throw invalid('the perspective transform is singular and cannot be inverted');
  }
  const k = Math.abs(I) > SINGULAR_PIVOT * Math.abs(det) ? 1 / I : 1 / det;
  return [A * k, B * k, C * k, D * k, E * k, F * k, G * k, H * k, I * k];
}

/** Maps the point (x, y) through `m`; returns [x, y] (infinite or NaN on the horizon line w = 0). */
export function apply(m: Matrix3, x: number, y: number): [number, number] {
  const w = m[6] * x + m[7] * y + m[8];
  return [(m[0] * x + m[1] * y + m[2]) / w, (m[3] * x + m[4] * y + m[5]) / w];
}

/** The product a·b (apply b first, then a). */
export function multiply(a: Matrix3, b: Matrix3): Matrix3 {
  const out: number[] = [];
  for (let row = 0; row < 3; row++) {
    for (let col = 0; col < 3; col++) {
      out.push(
        (a[row * 3] as number) * (b[col] as number) +
          (a[row * 3 + 1] as number) * (b[3 + col] as number) +
          (a[row * 3 + 2] as number) * (b[6 + col] as number),
      );
    }
  }
  return out as unknown as Matrix3;
}
