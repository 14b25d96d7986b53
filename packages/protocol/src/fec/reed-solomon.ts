/**
 * Systematic Reed–Solomon erasure code over GF(256): k data shards and m parity shards, and any k
 * of the k + m rebuild the data. The generator is the Vandermonde-derived one of Backblaze's
 * JavaReedSolomon (rows r^c for r = 0..k+m-1, times the inverse of its top k × k square), so the
 * first k rows are the identity and parity bytes equal those libraries' (the tests compare).
 *
 * Shards are byte arrays of one `shardSize`; a data shard may be shorter, its missing tail counts
 * as zeros (udpcam's near-equal chunks differ by at most one byte, docs/protocol.md#parity).
 */
import { nativeParityEncoder, type ParityEncoder } from '@udpcam/udp-native';
import { gfPow, MUL_TABLE } from './gf256.js';
import { invert, type Matrix, multiply, zeroMatrix } from './matrix.js';

/** Data plus parity shards at most (the field has 256 distinct evaluation points). */
export const MAX_TOTAL_SHARDS = 256;

/** Parity rows per data-shard count k, extended on demand (the rows for k do not depend on m). */
const parityRowsByK = new Map<number, Matrix>();

/**
 * The coefficients of parity shards 0..m-1 for k data shards: row j holds the k multipliers of
 * parity j. Built once per (k, largest m) and cached; 41 × 4 takes well under a millisecond.
 */
export function parityMatrix(k: number, m: number): Matrix {
  checkShape(k, m);
  const cached = parityRowsByK.get(k);
  if (cached !== undefined && cached.length >= m) return cached;
  const vandermonde = zeroMatrix(k + m, k);
  for (let r = 0; r < k + m; r++) for (let c = 0; c < k; c++) vandermonde[r]![c] = gfPow(r, c);
  const topInverse = invert(vandermonde.slice(0, k))!; // distinct points: never singular
  const rows = multiply(vandermonde.slice(k), topInverse);
  parityRowsByK.set(k, rows);
  return rows;
}

function checkShape(k: number, m: number): void {
  if (!Number.isInteger(k) || !Number.isInteger(m) || k < 1 || m < 0 || k + m > MAX_TOTAL_SHARDS) {
    throw new RangeError(`Reed–Solomon needs 1 <= k and 0 <= m with k + m <= 256, got k=${k} m=${m}`);
  }
}

/**
 * target ^= coefficient · source, 4 bytes per step: one 256-entry table row per coefficient, the
 * four products packed into one 32-bit XOR. Byte order does not matter: each product goes back to
 * the byte lane it came from. a 720p frame (41 × 4 shards of 1400 bytes) takes ~0.16 ms here (README, bench-fec).
 */
function mulAdd(target: Uint32Array, source: Uint32Array, coefficient: number, words: number): void {
  if (coefficient === 1) {
    for (let w = 0; w < words; w++) target[w] = target[w]! ^ source[w]!;
    return;
  }
  const table = MUL_TABLE;
  const row = coefficient << 8;
  for (let w = 0; w < words; w++) {
    const v = source[w]!;
    target[w] =
      target[w]! ^
      (table[row | (v & 0xff)]! |
        (table[row | ((v >>> 8) & 0xff)]! << 8) |
        (table[row | ((v >>> 16) & 0xff)]! << 16) |
        (table[row | (v >>> 24)]! << 24));
  }
}

/**
 * Two mulAdds over one source in one pass (each source word loaded once): ~25 % faster than two
 * passes. Coefficients may be 0 or 1 (table rows 0 and 1 are zero and identity).
 */
function mulAdd2(
  target1: Uint32Array,
  coefficient1: number,
  target2: Uint32Array,
  coefficient2: number,
  source: Uint32Array,
  words: number,
): void {
  const table = MUL_TABLE;
  const row1 = coefficient1 << 8;
  const row2 = coefficient2 << 8;
  for (let w = 0; w < words; w++) {
    const v = source[w]!;
    const b0 = v & 0xff;
    const b1 = (v >>> 8) & 0xff;
    const b2 = (v >>> 16) & 0xff;
    const b3 = v >>> 24;
    target1[w] =
      target1[w]! ^
      (table[row1 | b0]! | (table[row1 | b1]! << 8) | (table[row1 | b2]! << 16) | (table[row1 | b3]! << 24));
    target2[w] =
      target2[w]! ^
      (table[row2 | b0]! | (table[row2 | b1]! << 8) | (table[row2 | b2]! << 16) | (table[row2 | b3]! << 24));
  }
}

/** targets[r] ^= coefficients[r] · source for every r, two targets per pass over the source. */
function mulAddAll(
  targets: readonly Uint32Array[],
  coefficients: (r: number) => number,
  source: Uint32Array,
  words: number,
): void {
  let r = 0;
  for (; r + 1 < targets.length; r += 2) {
    mulAdd2(targets[r]!, coefficients(r), targets[r + 1]!, coefficients(r + 1), source, words);
  }
  if (r < targets.length) {
    const coefficient = coefficients(r);
    if (coefficient !== 0) mulAdd(targets[r]!, source, coefficient, words);
  }
}

/** Grow-only aligned copy of one source shard (datagram payloads sit at odd offsets). */
let scratch = new Uint32Array(0);

/** Copies `shard` into the aligned scratch, zero-padded to `words` 32-bit words. */
function aligned(shard: Uint8Array, words: number): Uint32Array {
  if (scratch.length < words) scratch = new Uint32Array(words);
  const bytes = new Uint8Array(scratch.buffer, 0, words * 4);
  bytes.set(shard);
  bytes.fill(0, shard.length);
  return scratch;
}

/** The parity rows for (k, m) as one m × k byte array, for the native encoder; cached. */
const flatRows = new Map<number, Uint8Array>();

function flatParityRows(k: number, m: number): Uint8Array {
  const key = k * MAX_TOTAL_SHARDS + m;
  let flat = flatRows.get(key);
  if (flat === undefined) {
    const rows = parityMatrix(k, m);
    flat = new Uint8Array(m * k);
    for (let j = 0; j < m; j++) flat.set(rows[j]!, j * k);
    if (flatRows.size >= 1024) flatRows.clear(); // a sender uses a handful of shapes
    flatRows.set(key, flat);
  }
  return flat;
}

/** The native encoder, looked up at the first encode (null: not there). */
let nativeEncoder: ParityEncoder | null | undefined;

/**
 * Computes m parity shards of `shardSize` bytes from k data shards (each at most shardSize bytes;
 * shorter ones count as zero-padded). Returns m views into one new buffer. In C where
 * @udpcam/udp-native's addon is built (AVX2 here: ~14× the JavaScript encoder, README), else
 * encodeParityPortable.
 */
export function encodeParity(data: readonly Uint8Array[], m: number, shardSize: number): Uint8Array[] {
  nativeEncoder ??= nativeParityEncoder() ?? null;
  if (nativeEncoder === null || m === 0) return encodeParityPortable(data, m, shardSize);
  const k = data.length;
  checkShape(k, m);
  for (let i = 0; i < k; i++) {
    if (data[i]!.length > shardSize)
      throw new RangeError(`data shard ${i} is longer than ${shardSize} bytes`);
  }
  const out = new Uint8Array(m * shardSize);
  nativeEncoder(data, flatParityRows(k, m), shardSize, out);
  return Array.from({ length: m }, (_, j) => out.subarray(j * shardSize, (j + 1) * shardSize));
}

/**
 * encodeParity in JavaScript: the reference the native encoder is tested against, and the path
 * where the addon is not built. Cost: k·m·shardSize table lookups.
 */
export function encodeParityPortable(
  data: readonly Uint8Array[],
  m: number,
  shardSize: number,
): Uint8Array[] {
  const k = data.length;
  const rows = parityMatrix(k, m);
  const words = Math.ceil(shardSize / 4);
  const out = Array.from({ length: m }, () => new Uint32Array(words));
  for (let i = 0; i < k; i++) {
    const shard = data[i]!;
    if (shard.length > shardSize) throw new RangeError(`data shard ${i} is longer than ${shardSize} bytes`);
    mulAddAll(out, (j) => rows[j]![i]!, aligned(shard, words), words);
  }
  return out.map((parity) => new Uint8Array(parity.buffer, 0, shardSize));
}

/**
 * What a rebuild takes: the data shards missing, and the first as many parity shards present
 * (indices 0..m-1). Undefined when fewer than k shards are present.
 */
function erasures(
  shards: readonly (Uint8Array | undefined)[],
  k: number,
): { m: number; missing: number[]; parityUsed: number[] } | undefined {
  const m = shards.length - k;
  checkShape(k, m);
  const missing: number[] = [];
  for (let i = 0; i < k; i++) if (shards[i] === undefined) missing.push(i);
  const parityUsed: number[] = [];
  for (let j = 0; j < m && parityUsed.length < missing.length; j++)
    if (shards[k + j] !== undefined) parityUsed.push(j);
  return parityUsed.length < missing.length ? undefined : { m, missing, parityUsed };
}

/**
 * Rebuilds the missing data shards. `shards` has k + m entries in shard order (data 0..k-1, then
 * parity 0..m-1), undefined where missing; each present one is at most `shardSize` bytes (zero
 * padding implied). Returns the k data shards — the ones present as given, the rebuilt ones as new
 * arrays of `shardSize` bytes — or undefined when fewer than k shards are present.
 *
 * With e data shards missing it uses e parity shards: their syndromes (parity minus the part the
 * data present explains) equal an e × e submatrix of the parity rows times the missing shards,
 * and every square submatrix of a systematic MDS code's parity part is invertible. Cost: e·k·size
 * products plus an e × e inverse, not a k × k one; in C where the addon is built (two calls:
 * the syndromes, then the missing shards), else reconstructDataPortable.
 */
export function reconstructData(
  shards: readonly (Uint8Array | undefined)[],
  k: number,
  shardSize: number,
): Uint8Array[] | undefined {
  nativeEncoder ??= nativeParityEncoder() ?? null;
  if (nativeEncoder === null) return reconstructDataPortable(shards, k, shardSize);
  const plan = erasures(shards, k);
  if (plan === undefined) return undefined;
  const { m, missing, parityUsed } = plan;
  if (missing.length === 0) return shards.slice(0, k) as Uint8Array[];
  for (const j of parityUsed) {
    if (shards[k + j]!.length > shardSize)
      throw new RangeError(`parity shard ${j} is longer than ${shardSize} bytes`);
  }
  for (let i = 0; i < k; i++) {
    if ((shards[i]?.length ?? 0) > shardSize)
      throw new RangeError(`data shard ${i} is longer than ${shardSize} bytes`);
  }
  const e = missing.length;
  const rows = parityMatrix(k, m);
  // Syndromes in one pass: row r sums the data present times parity row parityUsed[r] (a missing
  // shard is an empty array, zero) and, with coefficient 1, parity shard parityUsed[r] itself.
  const sources: Uint8Array[] = shards.slice(0, k).map((shard) => shard ?? EMPTY);
  for (const j of parityUsed) sources.push(shards[k + j]!);
  const coefficients = new Uint8Array(e * (k + e));
  parityUsed.forEach((j, r) => {
    coefficients.set(rows[j]!, r * (k + e));
    for (const i of missing) coefficients[r * (k + e) + i] = 0;
    coefficients[r * (k + e) + k + r] = 1;
  });
  const syndromes = new Uint8Array(e * shardSize);
  nativeEncoder(sources, coefficients, shardSize, syndromes);
  // The missing shards: the inverse of their e × e submatrix times the syndromes.
  const decode = invert(parityUsed.map((j) => Uint8Array.from(missing, (i) => rows[j]![i]!)))!;
  const rebuilt = new Uint8Array(e * shardSize);
  const views = Array.from({ length: e }, (_, r) => syndromes.subarray(r * shardSize, (r + 1) * shardSize));
  const flat = new Uint8Array(e * e);
  decode.forEach((row, c) => {
    flat.set(row, c * e);
  });
  nativeEncoder(views, flat, shardSize, rebuilt);
  const data = shards.slice(0, k) as Uint8Array[];
  missing.forEach((index, c) => {
    data[index] = rebuilt.subarray(c * shardSize, (c + 1) * shardSize);
  });
  return data;
}

const EMPTY = new Uint8Array(0);

/** reconstructData in JavaScript: the reference, and the path where the addon is not built. */
export function reconstructDataPortable(
  shards: readonly (Uint8Array | undefined)[],
  k: number,
  shardSize: number,
): Uint8Array[] | undefined {
  const plan = erasures(shards, k);
  if (plan === undefined) return undefined;
  const { m, missing, parityUsed } = plan;
  if (missing.length === 0) return shards.slice(0, k) as Uint8Array[];
  const rows = parityMatrix(k, m);
  const decode = invert(parityUsed.map((j) => Uint8Array.from(missing, (i) => rows[j]![i]!)))!;
  const words = Math.ceil(shardSize / 4);
  // Syndromes: each used parity shard, minus (XOR) the contribution of the data present.
  const syndromes = parityUsed.map((j) => {
    const shard = shards[k + j]!;
    if (shard.length > shardSize) throw new RangeError(`parity shard ${j} is longer than ${shardSize} bytes`);
    return Uint32Array.from(aligned(shard, words).subarray(0, words));
  });
  for (let i = 0; i < k; i++) {
    const shard = shards[i];
    if (shard === undefined) continue;
    if (shard.length > shardSize) throw new RangeError(`data shard ${i} is longer than ${shardSize} bytes`);
    mulAddAll(syndromes, (r) => rows[parityUsed[r]!]![i]!, aligned(shard, words), words);
  }
  const data = shards.slice(0, k) as Uint8Array[];
  missing.forEach((index, c) => {
    const out = new Uint32Array(words);
    for (let r = 0; r < parityUsed.length; r++) {
      const coefficient = decode[c]![r]!;
      if (coefficient !== 0) mulAdd(out, syndromes[r]!, coefficient, words);
    }
    data[index] = new Uint8Array(out.buffer, 0, shardSize);
  });
  return data;
}
