/**
 * Reed-Solomon parity in C (gf256.c): the products of the FEC's GF(2^8) applied 32 bytes at a
 * time with AVX2 where the CPU has it. @udpcam/protocol's fec/reed-solomon.ts uses it for
 * encodeParity and keeps its JavaScript as the reference (the tests compare bytes).
 */
import { load } from './binding.js';

/**
 * Writes the m parity shards of k data shards into `out` (m × shardSize bytes): parity j is the
 * sum over i of coefficients[j × k + i] · shards[i], a shorter shard counting as zero-padded.
 */
export type ParityEncoder = (
  shards: readonly Uint8Array[],
  coefficients: Uint8Array,
  shardSize: number,
  out: Uint8Array,
) => void;

/** The encoder, or undefined where the addon is not built or does not load. */
export function nativeParityEncoder(): ParityEncoder | undefined {
  return load()?.encodeParity;
}
