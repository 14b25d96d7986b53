/**
 * Runs a benchmark script in --quick mode as a real process and reads what it wrote: the smoke
 * tests check that results are produced and well-formed, never how fast anything is.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { REPO_ROOT } from './cli.js';

const run = promisify(execFile);

/** bench-results/ and its quick-plots/ folder, where --quick runs write. */
export const RESULTS_DIR = path.join(REPO_ROOT, 'bench-results');
export const QUICK_PLOTS_DIR = path.join(RESULTS_DIR, 'quick-plots');

/**
 * Runs build/scripts/bench-<name>.js --quick (rejecting on a non-zero exit or after `timeoutMs`, a hang guard: a busy machine may take minutes)
 * and returns bench-results/<result>-quick.json parsed, with the script's stdout.
 */
export async function runQuickBench<T = Record<string, unknown>>(
  name: string,
  { result = name, timeoutMs = 180_000 }: { result?: string; timeoutMs?: number } = {},
): Promise<{ json: T; stdout: string }> {
  const script = path.join(REPO_ROOT, 'build', 'scripts', `bench-${name}.js`);
  const { stdout } = await run(process.execPath, [script, '--quick'], {
    cwd: REPO_ROOT,
    timeout: timeoutMs,
    maxBuffer: 16 * 1024 * 1024,
  });
  const json = JSON.parse(await readFile(path.join(RESULTS_DIR, `${result}-quick.json`), 'utf8')) as T;
  return { json, stdout };
}

/** Deletes bench-results/<name>-quick.json and its quick plot, so that a run must write them anew. */
export async function removeQuickOutputs(name: string): Promise<void> {
  await rm(path.join(RESULTS_DIR, `${name}-quick.json`), { force: true });
  await rm(path.join(QUICK_PLOTS_DIR, `${name}.svg`), { force: true });
}

/** The quick plot `name`.svg, as text. */
export function readQuickPlot(name: string): Promise<string> {
  return readFile(path.join(QUICK_PLOTS_DIR, `${name}.svg`), 'utf8');
}

/** A latency summary as the benches write it, in µs. */
export type Summary = Record<'count' | 'p50Us' | 'p95Us' | 'p99Us' | 'maxUs', number>;

/** Asserts a summary is there, finite, positive and in order. */
export function assertSummary(summary: Summary | undefined, what: string): void {
  for (const key of ['count', 'p50Us', 'p95Us', 'p99Us', 'maxUs'] as const) {
    const value = summary?.[key];
    assert.ok(typeof value === 'number' && Number.isFinite(value) && value > 0, `${what}.${key}: ${value}`);
  }
  const { p50Us, p95Us, p99Us, maxUs } = summary!;
  assert.ok(
    p50Us <= p95Us && p95Us <= p99Us && p99Us <= maxUs,
    `${what}: out of order ${JSON.stringify(summary)}`,
  );
}

/** Whether `value` is a finite number >= 0. */
export function isFiniteNonNegative(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0;
}
