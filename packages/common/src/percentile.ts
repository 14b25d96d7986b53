/**
 * Percentiles by nearest rank: the q-quantile of n ascending values is the ⌈q·n⌉-th smallest
 * (the smallest for q = 0). Always one of the values, never interpolated, so p50 ≤ p95 ≤ p99 ≤
 * max holds for any list.
 */

/** The value at quantile `q` (0..1) of an ascending, non-empty list, by nearest rank. */
export function percentile(sorted: ArrayLike<number>, q: number): number {
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil(q * sorted.length)));
  return sorted[rank - 1]!;
}

/** A sorted copy of `values`, ascending (numeric, not the default string order). */
export function sortedAscending(values: Iterable<number>): number[] {
  return Array.from(values).sort((a, b) => a - b);
}
