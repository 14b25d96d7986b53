/**
 * Smoke test of bench-latency: the quick run, as a real child process, finishes and leaves
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

interface ClockOffset {
  offsetUs: number;
  uncertaintyUs: number;
}
/** What bench-latency writes (the fields checked here). */
interface LatencyResults {
  bench: string;
  quick: boolean;
  machine: { node: string };
  sizes: {
    size: string;
    frameBytes: number;
    frames: Record<'sent' | 'complete' | 'client', number>;
    receiver: Summary;
    client: Summary;
    histogram: { stage: string; binUs: number; count: number }[];
  }[];
  clock: { perSize: { receiver: ClockOffset; sender: ClockOffset }[] };
}

test('bench-latency --quick writes well-formed figures and a plot', { timeout: 120_000 }, async () => {
  await removeQuickOutputs('latency');
  // Rejects unless the run exits 0 (its output is in the error); a quick run takes ~15 s.
  const { json: results } = await runQuickBench<LatencyResults>('latency', { timeoutMs: 90_000 });
  assert.equal(results.bench, 'latency');
  assert.equal(results.quick, true);
  assert.equal(typeof results.machine?.node, 'string');
  assert.ok(Array.isArray(results.sizes) && results.sizes.length > 0);
  for (const size of results.sizes) {
    assert.match(size.size, /^\d+x\d+$/);
    assert.ok(Number.isFinite(size.frameBytes) && size.frameBytes > 0);
    for (const key of ['sent', 'complete', 'client'] as const)
      assert.ok(Number.isInteger(size.frames[key]) && size.frames[key] > 0, `${size.size} frames.${key}`);
    assertSummary(size.receiver, `${size.size} receiver`);
    assertSummary(size.client, `${size.size} client`);
    assert.ok(size.histogram.length > 0);
    for (const bin of size.histogram) {
      assert.ok(['ready → receiver complete', 'ready → MJPEG client'].includes(bin.stage), bin.stage);
      assert.ok(Number.isFinite(bin.binUs) && bin.binUs > 0);
      assert.ok(Number.isInteger(bin.count) && bin.count >= 0);
    }
  }
  assert.equal(results.clock.perSize.length, results.sizes.length);
  for (const clock of results.clock.perSize) {
    for (const child of [clock.receiver, clock.sender]) {
      assert.ok(Number.isFinite(child.offsetUs));
      assert.ok(Number.isFinite(child.uncertaintyUs) && child.uncertaintyUs > 0);
    }
  }

  const svg = await readQuickPlot('latency');
  assert.ok(svg.startsWith('<svg'), svg.slice(0, 80));
});
