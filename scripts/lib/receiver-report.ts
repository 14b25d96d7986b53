/**
 * bench-receiver's tables and summary: every step, the highest lossless rate per mode, and CPU per
 * datagram of each mode against the bare socket at the rates both took without loss.
 */
import { GENERATOR_SHORTFALL, type RateSearchResult } from './rate-search.js';
import type { Mode, Step } from './receiver-step.js';
import { count, fixed, table } from './report.js';

/** udpcam's receiver should keep this share of the bare socket's lossless rate. */
export const TARGET_SHARE_OF_BARE = 0.75;

/** What one mode reached: its receive buffer and the search's steps and outcome. */
export type ModeResult = {
  mode: Mode;
  recvBufferBytes: number;
  recvBufferCappedBy: number | undefined;
  steps: Step[];
} & Omit<RateSearchResult<Step>, 'runs'>;

/** `value` formatted, or `none` when there is no value. */
const orDash = (value: number | undefined, format: (value: number) => string, none = '-') =>
  value === undefined ? none : format(value);

/** A table given as columns: each a header and how a row shows in it. */
function columns<Row>(rows: readonly Row[], spec: readonly [string, (row: Row) => string][]): string {
  return table(
    spec.map(([header]) => header),
    rows.map((row) => spec.map(([, cell]) => cell(row))),
  );
}

/** Prints the tables for `results` (searched over `rates`); returns the figures to save. */
export function reportModes(results: readonly ModeResult[], rates: readonly number[]) {
  const framed = (step: Step, cell: string) => (step.mode === 'bare' ? '-' : cell);
  console.log('\nAll steps (rate in datagrams/s; cores = receiver CPU time / sending time)\n');
  console.log(
    columns<Step>(
      results.flatMap((result) => result.steps),
      [
        ['mode', (step) => step.mode],
        ['phase', (step) => step.phase],
        ['target', (step) => count(step.targetRate)],
        ['achieved', (step) => count(step.achievedRate)],
        ['received', (step) => `${fixed(step.receivedPercent, 2)}%`],
        [
          'frames',
          (step) => framed(step, `${fixed((100 * step.framesComplete) / Math.max(1, step.framesSent), 2)}%`),
        ],
        ['corrupt', (step) => framed(step, count(step.framesCorrupt))],
        ['frames/s', (step) => framed(step, count(step.framesPerSecond))],
        ['MB/s', (step) => fixed(step.payloadMBPerSecond, 0)],
        ['cores', (step) => fixed(step.receiverCpuCores, 2)],
        ['µs/dgram', (step) => fixed(step.receiverCpuUsPerDatagram, 2)],
        ['gen cores', (step) => fixed(step.generatorCpuCores, 2)],
        ['gc ms', (step) => fixed(step.gcMs, 0)],
        ['peak KiB', (step) => orDash(step.peakQueuedBytes, (bytes) => count(bytes / 1024))],
        ['result', (step) => (step.lossless ? 'ok' : 'LOSS')],
      ],
    ),
  );

  const bare = results.find((result) => result.mode === 'bare');
  const summary = results.map(({ mode, best, limitedBy, confirmed, recvBufferBytes }) => ({
    mode,
    maxLosslessRate: best?.achievedRate,
    maxLosslessTarget: best?.targetRate,
    limitedBy,
    confirmed,
    receiverCpuCores: best?.receiverCpuCores,
    receiverCpuUsPerDatagram: best?.receiverCpuUsPerDatagram,
    /** Datagrams/s one full core would take at that CPU cost per datagram. */
    cpuProjectedRate: best && 1e6 / best.receiverCpuUsPerDatagram,
    framesPerSecond: best?.framesPerSecond,
    shareOfBare:
      best && bare?.best && mode !== 'bare' ? best.achievedRate / bare.best.achievedRate : undefined,
    recvBufferBytes,
  }));
  console.log('\nHighest rate with no loss, per mode\n');
  console.log(
    columns(summary, [
      ['mode', (row) => row.mode],
      ['max no-loss', (row) => orDash(row.maxLosslessRate, (rate) => `${count(rate)}/s`, 'none')],
      ['limited by', (row) => row.limitedBy],
      ['confirmed', (row) => (row.confirmed === undefined ? '-' : row.confirmed ? 'yes' : 'NO')],
      ['cores', (row) => orDash(row.receiverCpuCores, (cores) => fixed(cores, 2))],
      ['µs/dgram', (row) => orDash(row.receiverCpuUsPerDatagram, (us) => fixed(us, 2))],
      ['1-core projection', (row) => orDash(row.cpuProjectedRate, (rate) => `${count(rate)}/s`)],
      ['frames/s', (row) => (row.mode === 'bare' ? '-' : orDash(row.framesPerSecond, count))],
      ['% of bare', (row) => orDash(row.shareOfBare, (share) => `${fixed(100 * share, 0)}%`)],
    ]),
  );
  // CPU per datagram at rates the bare socket and another mode both took without loss (and the
  // generator kept up): the comparison that does not depend on where the generator tops out.
  const clean = (result: ModeResult, rate: number) =>
    result.steps.find(
      (each) =>
        each.targetRate === rate &&
        each.lossless &&
        each.phase !== 'warm-up' &&
        each.achievedRate >= GENERATOR_SHORTFALL * rate,
    );
  const others = results.filter((result) => result.mode !== 'bare');
  const comparison = rates
    .map((rate) => ({
      rate,
      cpuUsPerDatagram: Object.fromEntries(
        results.map((result) => [result.mode, clean(result, rate)?.receiverCpuUsPerDatagram]),
      ) as Partial<Record<Mode, number>>,
    }))
    .filter(
      (row) => row.cpuUsPerDatagram.bare !== undefined && others.some((o) => row.cpuUsPerDatagram[o.mode]),
    );
  const overhead = (row: (typeof comparison)[number], mode: Mode) => {
    const cost = row.cpuUsPerDatagram[mode];
    return cost === undefined ? undefined : cost / row.cpuUsPerDatagram.bare! - 1;
  };
  if (comparison.length > 0) {
    console.log('\nReceiver CPU µs per datagram at the same rate (both lossless; "-" where a mode lost)\n');
    console.log(
      table(
        [
          'rate',
          ...results.map((result) => result.mode),
          ...others.map((result) => `${result.mode} vs bare`),
        ],
        comparison.map((row) => [
          count(row.rate),
          ...results.map((result) => orDash(row.cpuUsPerDatagram[result.mode], (cost) => fixed(cost, 2))),
          ...others.map((result) =>
            orDash(
              overhead(row, result.mode),
              (extra) => `${extra >= 0 ? '+' : ''}${fixed(100 * extra, 0)}%`,
            ),
          ),
        ]),
      ),
    );
  }
  const udpcam = summary.find((row) => row.mode === 'udpcam');
  const highestShared = comparison.filter((row) => row.cpuUsPerDatagram.udpcam !== undefined).at(-1);
  const udpcamOverhead = highestShared ? overhead(highestShared, 'udpcam') : undefined;
  if (udpcam?.shareOfBare !== undefined) {
    console.log(
      `\ntarget: udpcam >= ${fixed(100 * TARGET_SHARE_OF_BARE, 0)}% of the bare socket's no-loss rate: ` +
        `${fixed(100 * udpcam.shareOfBare, 0)}% (${udpcam.shareOfBare >= TARGET_SHARE_OF_BARE ? 'met' : 'missed'})` +
        (bare?.limitedBy === 'generator' || bare?.limitedBy === 'rates'
          ? `; the bare socket never lost (limited by ${bare.limitedBy}), so its true maximum is higher`
          : ''),
    );
  }
  if (highestShared && udpcamOverhead !== undefined) {
    console.log(
      `by CPU cost: at ${count(highestShared.rate)}/s udpcam spends ${fixed(100 * udpcamOverhead, 0)}% more CPU per ` +
        `datagram than the bare socket, so one core would take ~${fixed(100 / (1 + udpcamOverhead), 0)}% of the bare rate`,
    );
  }
  const granted = results[0];
  if (granted) {
    console.log(
      `receive buffer: asked ${count(32 * 1024 * 1024)} bytes, kernel granted ${count(granted.recvBufferBytes)}` +
        `${granted.recvBufferCappedBy ? ` (net.core.rmem_max = ${count(granted.recvBufferCappedBy)}; Linux reports twice what it books)` : ''}`,
    );
  }
  console.log(
    '1-core projection = 1e6 / (receiver CPU µs per datagram): the rate a fully busy core would take at that cost',
  );

  return {
    target: {
      shareOfBare: TARGET_SHARE_OF_BARE,
      met: udpcam?.shareOfBare !== undefined ? udpcam.shareOfBare >= TARGET_SHARE_OF_BARE : undefined,
    },
    summary,
    sameRateCpu: comparison,
    udpcamCpuOverheadAtHighestSharedRate:
      highestShared && udpcamOverhead !== undefined
        ? { rate: highestShared.rate, overhead: udpcamOverhead }
        : undefined,
  };
}
