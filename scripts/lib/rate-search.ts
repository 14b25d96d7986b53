/**
 * The search for the highest rate a receiver takes with no loss (bench-receiver): after a warm-up
 * the rate steps up until the first loss; a lossy run is retried once (one stall of the VM can
 * lose a burst); a short binary search narrows the gap; the best lossless rate must hold a second
 * time, or the next lower one is tried. When the load generator cannot reach its target it, not
 * the receiver, is the limit and the search stops there. The runs themselves are the caller's.
 */

/** Why a run was made. */
export type Phase = 'warm-up' | 'step' | 'refine' | 'confirm' | 'retry';

/** What the search needs to know of one run. */
export interface RateRun {
  phase: Phase;
  targetRate: number;
  achievedRate: number;
  lossless: boolean;
}

/** How the search goes. */
export interface RateSearchOptions {
  /** Target rates to step through, ascending (per second). */
  rates: readonly number[];
  /** Bisections between the last lossless and the first lossy rate. */
  refineSteps: number;
  /** Quick mode: no retry of a lossy run, no confirmation. */
  quick: boolean;
  /** Whether the bench's time budget is spent: the search stops at the next run. */
  outOfTime(): boolean;
  /** Prefix of the search's own messages, e.g. "[udpcam]". */
  label: string;
}

/** What the search found. */
export interface RateSearchResult<R extends RateRun> {
  runs: R[];
  /** The best lossless run (its achieved rate is the figure), or undefined if none was. */
  best: R | undefined;
  /** Why the search stopped there. */
  limitedBy: 'loss' | 'generator' | 'rates' | 'time';
  /** Whether the best rate held a second time (undefined: not tried, as in quick mode). */
  confirmed: boolean | undefined;
}

/** Below this share of its target rate, the generator is taken to be the bottleneck. */
export const GENERATOR_SHORTFALL = 0.95;
/** Lossless rates tried again, highest first, until one holds. */
const MAX_CONFIRMS = 3;
/** Refined rates are multiples of this (per second). */
const RATE_GRAIN = 5_000;

/** Runs the search with `run(phase, rate)` (which records nothing itself; the result holds every run). */
export async function searchLosslessRate<R extends RateRun>(
  run: (phase: Phase, rate: number) => Promise<R>,
  { rates, refineSteps, quick, outOfTime, label }: RateSearchOptions,
): Promise<RateSearchResult<R>> {
  const runs: R[] = [];
  const step = async (phase: Phase, rate: number) => {
    const result = await run(phase, rate);
    runs.push(result);
    return result;
  };
  const attempt = async (phase: Phase, rate: number) => {
    const result = await step(phase, rate);
    if (result.lossless || quick || outOfTime()) return result;
    return step('retry', rate);
  };
  const counted = (each: R) => each.lossless && each.phase !== 'warm-up';

  // Warms up the JIT, the heap and the socket buffer's pages before anything counts.
  await step('warm-up', rates[0]!);
  let best: R | undefined;
  let lossAt: R | undefined;
  let limitedBy: RateSearchResult<R>['limitedBy'] = 'rates';
  for (const rate of rates) {
    if (outOfTime()) {
      limitedBy = 'time';
      break;
    }
    const result = await attempt('step', rate);
    if (!result.lossless) {
      lossAt = result;
      limitedBy = 'loss';
      break;
    }
    best = result;
    if (result.achievedRate < GENERATOR_SHORTFALL * rate) {
      console.log(
        `${label} the generator reached only ${((100 * result.achievedRate) / rate).toFixed(0)}% of the target: ` +
          'it is the bottleneck, stopping here',
      );
      limitedBy = 'generator';
      break;
    }
  }
  if (lossAt) {
    // A target above what the generator achieved sends no faster: search below that.
    let low = best?.targetRate ?? 0;
    let high = Math.min(lossAt.targetRate, Math.floor(lossAt.achievedRate / RATE_GRAIN) * RATE_GRAIN);
    for (let index = 0; index < refineSteps && !outOfTime(); index++) {
      const middle = Math.round((low + high) / 2 / RATE_GRAIN) * RATE_GRAIN;
      if (middle <= low || middle >= high) break;
      const result = await attempt('refine', middle);
      if (result.lossless) {
        low = middle;
        best = result;
      } else {
        high = middle;
      }
    }
  }
  // The best rate must hold a second time; if it does not, step down through the lossless ones.
  let confirmed: boolean | undefined;
  if (!quick) {
    const candidates = [...new Set(runs.filter(counted).map((each) => each.targetRate))].sort(
      (a, b) => b - a,
    );
    for (const rate of candidates.slice(0, MAX_CONFIRMS)) {
      if (outOfTime()) break;
      confirmed = (await step('confirm', rate)).lossless;
      if (confirmed) {
        // The figure: the fastest lossless run at or below the target that held twice (when
        // the generator tops out, a lower target may have got further).
        best = runs
          .filter((each) => counted(each) && each.targetRate <= rate)
          .reduce((a, b) => (b.achievedRate > a.achievedRate ? b : a));
        break;
      }
      console.log(`${label} ${rate.toLocaleString('en-US')}/s lost datagrams on the second try`);
      limitedBy = 'loss';
    }
  }
  return { runs, best, limitedBy, confirmed };
}
