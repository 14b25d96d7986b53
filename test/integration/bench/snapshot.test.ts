/**
 * Smoke test of bench-snapshot: the quick run, as a real child process, finishes and leaves
 * well-formed figures and a plot. It checks the shape of the results, never how fast anything is.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  assertSummary,
  readQuickPlot,
  removeQuickOutputs,
  runQuickBench,
  type Summary,
} from '../../helpers/bench.js';

type Memory = { rssBytes: number | null; peakRssBytes: number | null };
/** What bench-snapshot writes (the fields checked here). */
interface SnapshotResults {
  bench: string;
  quick: boolean;
  machine: { node: string };
  cameras: number;
  fps: number;
  frameBytes: number;
  framesSent: number;
  snapshot: { freshConnection: Summary; keepAlive: Summary; bad: number };
  latency: Summary;
  cpu: { noClientsPercent: number; mjpegClientsPercent: number };
  bandwidth: { perClientBytesPerSecond: number[]; expectedBytesPerSecond: number };
  memory: { noClients: Memory; mjpegClients: Memory };
}

const positive = (value: unknown, what: string) =>
  assert.ok(typeof value === 'number' && Number.isFinite(value) && value > 0, `${what}: ${value}`);

test('bench-snapshot --quick writes well-formed figures and a plot', { timeout: 120_000 }, async () => {
  await removeQuickOutputs('snapshot');
  // Rejects unless the run exits 0 (its output is in the error); a quick run takes ~15 s.
  const { json: results } = await runQuickBench<SnapshotResults>('snapshot', { timeoutMs: 90_000 });
  assert.equal(results.bench, 'snapshot');
  assert.equal(results.quick, true);
  assert.equal(typeof results.machine?.node, 'string');
  assert.equal(results.cameras, 5);
  assert.equal(results.fps, 4);
  positive(results.frameBytes, 'frameBytes');
  positive(results.framesSent, 'framesSent');
  assertSummary(results.snapshot.freshConnection, 'snapshot, fresh connection');
  assertSummary(results.snapshot.keepAlive, 'snapshot, keep-alive');
  assert.equal(results.snapshot.bad, 0);
  assertSummary(results.latency, 'capture → MJPEG client');
  positive(results.cpu.noClientsPercent, 'cpu without clients');
  positive(results.cpu.mjpegClientsPercent, 'cpu with MJPEG clients');
  assert.equal(results.bandwidth.perClientBytesPerSecond.length, 5);
  for (const rate of results.bandwidth.perClientBytesPerSecond) positive(rate, 'bytes/s per client');
  positive(results.bandwidth.expectedBytesPerSecond, 'expected bytes/s');
  // RSS comes from /proc: null where there is none.
  if (process.platform === 'linux') {
    positive(results.memory.noClients.rssBytes, 'RSS');
    positive(results.memory.mjpegClients.peakRssBytes, 'peak RSS');
  }

  const svg = await readQuickPlot('snapshot');
  assert.ok(svg.startsWith('<svg'), svg.slice(0, 80));
});
