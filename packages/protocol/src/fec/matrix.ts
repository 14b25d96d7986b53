/**
 * Small dense matrices over GF(256), as arrays of rows (Uint8Array). Only what the erasure code
 * needs: a product and a Gauss–Jordan inverse. Sizes are at most 256 × 100, built once per shape.
 */
import { gfDiv, gfMul, MUL_TABLE } from './gf256.js';

/** A matrix over GF(256): `rows[r][c]`. */
export type Matrix = Uint8Array[];

/** rows × cols zero matrix. */
export function zeroMatrix(rows: number, cols: number): Matrix {
  return Array.from({ length: rows }, () => new Uint8Array(cols));
}

/** a × b over GF(256). */
export function multiply(a: Matrix, b: Matrix): Matrix {
  const cols = b[0]!.length;
  const out = zeroMatrix(a.length, cols);
  for (let r = 0; r < a.length; r++) {
    const row = a[r]!;
    const target = out[r]!;
    for (let i = 0; i < row.length; i++) {
      const coefficient = row[i]!;
      if (coefficient === 0) continue;
      const other = b[i]!;
      const table = coefficient << 8;
      for (let c = 0; c < cols; c++) target[c] = target[c]! ^ MUL_TABLE[table | other[c]!]!;
    }
  }
  return out;
}

/** The inverse of a square matrix, or undefined when it is singular. Does not modify `m`. */
export function invert(m: Matrix): Matrix | undefined {
  const n = m.length;
  const work = m.map((row) => Uint8Array.from(row));
  const inverse = zeroMatrix(n, n);
  for (let i = 0; i < n; i++) inverse[i]![i] = 1;
  for (let col = 0; col < n; col++) {
    let pivot = col;
    while (pivot < n && work[pivot]![col] === 0) pivot++;
    if (pivot === n) return undefined;
    if (pivot !== col) {
      [work[col], work[pivot]] = [work[pivot]!, work[col]!];
      [inverse[col], inverse[pivot]] = [inverse[pivot]!, inverse[col]!];
    }
    const scale = gfDiv(1, work[col]![col]!);
    scaleRow(work[col]!, scale);
    scaleRow(inverse[col]!, scale);
    for (let r = 0; r < n; r++) {
      const factor = work[r]![col]!;
      if (r === col || factor === 0) continue;
      addScaledRow(work[r]!, work[col]!, factor);
      addScaledRow(inverse[r]!, inverse[col]!, factor);
    }
  }
  return inverse;
}

function scaleRow(row: Uint8Array, factor: number): void {
  for (let c = 0; c < row.length; c++) row[c] = gfMul(row[c]!, factor);
}

/** target += factor · source (addition is XOR in GF(2^8)). */
function addScaledRow(target: Uint8Array, source: Uint8Array, factor: number): void {
  for (let c = 0; c < target.length; c++) target[c] = target[c]! ^ gfMul(source[c]!, factor);
}
