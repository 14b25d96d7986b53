/**
 * Smoke test of bench-loss: `--quick` runs to the end and writes a well-formed result and plot.
 * It checks the figures' shape, never how fast anything is.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { readQuickPlot, runQuickBench } from '../../helpers/bench.js';

interface LossPoint {
  stack: string;
  size: string;
  frameBytes: number;
  chunks: number;
  lossPct: number;
  sent: number;
  delivered: number;
  ratio: number;
  expected: number;
}

interface LossResults {
  bench: string;
  quick: boolean;
  machine: object;
  gstreamer: { available: boolean };
  points: LossPoint[];
}

test('bench-loss --quick writes loss-quick.json and a quick plot', { timeout: 120_000 }, async () => {
  const { json: result } = await runQuickBench<LossResults>('loss', { timeoutMs: 110_000 });

  assert.equal(result.bench, 'loss');
  assert.equal(result.quick, true);
  assert.equal(typeof result.machine, 'object');
  assert.equal(typeof result.gstreamer.available, 'boolean');
  const points = result.points;
  assert.ok(points.length > 0);
  for (const point of points) {
    for (const field of ['size', 'frameBytes', 'chunks', 'lossPct', 'sent', 'delivered', 'ratio', 'expected'])
      assert.ok(field in point, `${field} missing in ${JSON.stringify(point)}`);
    assert.ok(point.ratio >= 0 && point.ratio <= 1, `ratio ${point.ratio}`);
    assert.ok(point.expected >= 0 && point.expected <= 1, `expected ${point.expected}`);
    assert.ok(point.chunks >= 2 && point.chunks <= 100, `chunks ${point.chunks}`);
    assert.ok(point.delivered <= point.sent);
  }
  const lossless = points.filter((point) => point.lossPct === 0 && point.stack === 'udpcam');
  assert.ok(lossless.length > 0);
  for (const point of lossless) assert.ok(point.ratio >= 0.95, `${point.size} at 0% loss: ${point.ratio}`);

  const svg = await readQuickPlot('loss');
  assert.ok(svg.startsWith('<svg'), svg.slice(0, 80));
});
