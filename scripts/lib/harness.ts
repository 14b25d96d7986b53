/**
 * The one harness every bench runs on: its flags (node:util parseArgs plus the shared ones below),
 * `--quick`, CPU pinning (lib/pin.ts), the results file and the plots.
 *
 * Shared flags, taken by every bench:
 *   --quick        the short mode the smoke tests run (results <name>-quick.json, plots in
 *                  <out>/quick-plots/ so a smoke test never overwrites the README's figures)
 *   --out DIR      where results go (default bench-results/ at the repository root, not committed)
 *   --rounds N     repetitions, for the benches that repeat a measurement (each says what a round is)
 *   --unpinned     children run wherever the scheduler puts them, as on a user's machine
 *
 * Results: one JSON file per run, <out>/<name>[-variant…][-quick].json, laid out as
 * `{ bench, quick, date, machine, pinned, flags, …the bench's own fields }`.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { type ParseArgsConfig, parseArgs } from 'node:util';
import type { TopLevelSpec } from 'vega-lite';
import { canPin } from './pin.js';
import { savePlot } from './plot.js';

/** bench-results/ at the repository root (scripts compile to build/scripts/lib/). */
const RESULTS_DIR = path.resolve(fileURLToPath(new URL('../../../bench-results/', import.meta.url)));
/** docs/perf/ at the repository root: the plots the README shows, the one artefact kept in git. */
const PLOTS_DIR = path.resolve(fileURLToPath(new URL('../../../docs/perf/', import.meta.url)));

/** A flag as node:util parseArgs takes it (single values only). */
type Option = { type: 'string'; default?: string } | { type: 'boolean'; default?: boolean };
type Options = Record<string, Option>;
/** What parseArgs gives for `O`: a flag with a default is always set. */
type Values<O extends Options> = {
  [K in keyof O]:
    | (O[K]['type'] extends 'boolean' ? boolean : string)
    | (O[K] extends { default: unknown } ? never : undefined);
};

/** The flags every bench takes (see the file comment). */
const SHARED_OPTIONS = {
  quick: { type: 'boolean', default: false },
  out: { type: 'string' },
  rounds: { type: 'string' },
  unpinned: { type: 'boolean', default: false },
} as const satisfies Options;

/** What the figures were measured on. */
function machine(): Record<string, unknown> {
  const cpus = os.cpus();
  return {
    node: process.version,
    v8: process.versions.v8,
    platform: `${os.platform()} ${os.release()}`,
    arch: os.arch(),
    cpus: cpus.length,
    cpuModel: cpus[0]?.model,
    memoryBytes: os.totalmem(),
    loadAverage: os.loadavg(),
  };
}

/**
 * Parses `process.argv` with the shared flags and `options` (the bench's own); a bad flag ends
 * the process with a one-line error. `name` is the bench's (bench-<name>.ts, results <name>.json).
 */
export function startBench<const O extends Options = Record<never, Option>>(name: string, options?: O) {
  /** Ends the bench with a one-line error (exit code 2): for bad flags, never a stack trace. */
  const fail = (message: string): never => {
    console.error(`bench-${name}: ${message}`);
    process.exit(2);
  };
  let parsed: { values: unknown };
  try {
    parsed = parseArgs({
      options: { ...SHARED_OPTIONS, ...options } as ParseArgsConfig['options'],
      strict: true,
    });
  } catch (error) {
    return fail((error as Error).message);
  }
  /** Every flag, the shared ones and the bench's own, as parseArgs returned them. */
  const flags = parsed.values as Values<typeof SHARED_OPTIONS & O>;
  const raw = flags as Record<string, string | boolean | undefined>;
  const quick = flags.quick === true;
  /** The results folder (--out; default bench-results/). */
  const out = path.resolve(typeof raw.out === 'string' ? raw.out : RESULTS_DIR);
  /** Whether children are pinned to cores: taskset works, 2+ cores, and no --unpinned. */
  const pin = !raw.unpinned && canPin();
  /** A positive number flag, or the bench's default for a full or a quick run. */
  const number = (flag: string, full: number, quickValue = full): number => {
    const text = raw[flag];
    if (text === undefined) return quick ? quickValue : full;
    const value = Number(text);
    if (typeof text !== 'string' || !(value > 0) || !Number.isFinite(value))
      return fail(`--${flag} takes a positive number, got ${JSON.stringify(text)}`);
    return value;
  };
  return {
    flags,
    quick,
    out,
    pin,
    /** `core` when pinning, else undefined (the one way to say "unpinned" to lib/pin.ts). */
    core: (core: number) => (pin ? core : undefined),
    /** --rounds, or the bench's default for a full or a quick run. */
    rounds: (full: number, quickValue: number) => Math.round(number('rounds', full, quickValue)),
    number,
    /** A comma-separated list flag, or the default (full, quick). */
    list: (flag: string, full: string, quickValue = full) => {
      const text = raw[flag];
      return (typeof text === 'string' ? text : quick ? quickValue : full).split(',');
    },
    /** Writes the results; `variants` name a run that must not overwrite the usual file. */
    async save(data: object, ...variants: (string | false | undefined)[]): Promise<void> {
      await mkdir(out, { recursive: true });
      const parts = [name, ...variants.filter((v): v is string => Boolean(v)), ...(quick ? ['quick'] : [])];
      const file = path.join(out, `${parts.join('-')}.json`);
      const envelope = {
        bench: name,
        quick,
        date: new Date().toISOString(),
        machine: machine(),
        pinned: pin,
      };
      await writeFile(file, `${JSON.stringify({ ...envelope, flags, ...data }, null, 2)}\n`);
      console.log(`results: ${file}`);
    },
    /** Renders a plot: docs/perf/<name>.svg, or <out>/quick-plots/<name>.svg with --quick. */
    async plot(plotName: string, spec: TopLevelSpec): Promise<void> {
      console.log(
        `plot: ${await savePlot(plotName, spec, quick ? path.join(out, 'quick-plots') : PLOTS_DIR)}`,
      );
    },
    fail,
  };
}
