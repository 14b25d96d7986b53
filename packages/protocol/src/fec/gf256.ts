/**
 * Arithmetic in GF(2^8) with the polynomial x^8 + x^4 + x^3 + x^2 + 1 (0x11D) and generator 2 —
 * the field of Backblaze's JavaReedSolomon, klauspost/reedsolomon and the Rust
 * reed-solomon-erasure crate, so udpcam's parity bytes can be checked against theirs.
 */

const POLYNOMIAL = 0x11d;

/** EXP[i] = 2^i, doubled in length so EXP[LOG[a] + LOG[b]] needs no modulo. */
const EXP = new Uint8Array(512);
/** LOG[a] for a = 1..255 (LOG[0] is unused). */
const LOG = new Uint8Array(256);
{
  let x = 1;
  for (let i = 0; i < 255; i++) {
    EXP[i] = x;
    LOG[x] = i;
    x <<= 1;
    if (x & 0x100) x ^= POLYNOMIAL;
  }
  for (let i = 255; i < 512; i++) EXP[i] = EXP[i - 255]!;
}

/**
 * MUL_TABLE[c * 256 + x] = c·x: one 256-entry row per coefficient (64 kB), so multiplying a whole
 * shard by c is one table lookup per byte.
 */
export const MUL_TABLE = new Uint8Array(256 * 256);
for (let c = 1; c < 256; c++) {
  for (let x = 1; x < 256; x++) MUL_TABLE[c * 256 + x] = EXP[LOG[c]! + LOG[x]!]!;
}

/** a·b in GF(256). */
export function gfMul(a: number, b: number): number {
  return MUL_TABLE[(a << 8) | b]!;
}

/** a/b in GF(256); b must not be 0. */
export function gfDiv(a: number, b: number): number {
  if (b === 0) throw new RangeError('division by zero in GF(256)');
  if (a === 0) return 0;
  return EXP[LOG[a]! + 255 - LOG[b]!]!;
}

/** a^n in GF(256) for n >= 0 (0^0 = 1, as in the Vandermonde matrix of the libraries above). */
export function gfPow(a: number, n: number): number {
  if (n === 0) return 1;
  if (a === 0) return 0;
  return EXP[(LOG[a]! * n) % 255]!;
}
