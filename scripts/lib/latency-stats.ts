/** Latency figures for the latency and snapshot benches: percentiles and log-spaced histograms. */
import { percentile, sortedAscending } from '@udpcam/common';

/** p50/p95/p99/max of a set of latencies, µs (nearest rank, so p50 ≤ p95 ≤ p99 ≤ max always). */
export interface LatencySummary {
  count: number;
  p50Us: number;
  p95Us: number;
  p99Us: number;
  maxUs: number;
}

/** One histogram bin: latencies in [binUs, binEndUs), µs. */
export interface HistogramBin {
  binUs: number;
  binEndUs: number;
  count: number;
}

/** Percentiles of `valuesUs` (µs, rounded to whole µs); undefined for an empty list. */
export function summarize(valuesUs: readonly number[]): LatencySummary | undefined {
  if (valuesUs.length === 0) return undefined;
  const sorted = sortedAscending(valuesUs);
  const at = (q: number) => Math.round(percentile(sorted, q));
  return { count: sorted.length, p50Us: at(0.5), p95Us: at(0.95), p99Us: at(0.99), maxUs: at(1) };
}

/**
 * A histogram with `binsPerDecade` log-spaced bins (edges at 10^(k / binsPerDecade) µs), from the
 * bin of the smallest value to that of the largest, empty bins included so a plotted line drops to
 * zero between modes. Values under 1 µs go to the first bin.
 */
export function logHistogram(valuesUs: readonly number[], binsPerDecade = 10): HistogramBin[] {
  if (valuesUs.length === 0) return [];
  const bins = valuesUs.map((value) => Math.floor(Math.log10(Math.max(1, value)) * binsPerDecade));
  const first = Math.min(...bins);
  const counts = new Array<number>(Math.max(...bins) - first + 1).fill(0);
  for (const bin of bins) counts[bin - first]!++;
  const edge = (bin: number) => Math.round(10 ** (bin / binsPerDecade));
  return counts.map((count, index) => ({
    binUs: edge(first + index),
    binEndUs: edge(first + index + 1),
    count,
  }));
}

/**
 * Rows for a step plot of `bins`: ms and % of all samples per bin, opened and closed at 0 % so
 * the line starts and ends on the axis; each row also carries `fields` (its series).
 */
export function histogramSteps<T extends object>(bins: readonly HistogramBin[], fields: T) {
  const total = bins.reduce((sum, bin) => sum + bin.count, 0);
  const first = bins[0];
  const last = bins.at(-1);
  if (!first || !last) return [];
  return [
    { ...fields, ms: first.binUs / 1000, percent: 0 },
    ...bins.map((bin) => ({ ...fields, ms: bin.binUs / 1000, percent: (100 * bin.count) / total })),
    { ...fields, ms: last.binEndUs / 1000, percent: 0 },
  ];
}

/** µs as ms with 2 decimals, for tables. */
export function ms(us: number | undefined): string {
  return us === undefined ? '-' : (us / 1000).toFixed(2);
}
