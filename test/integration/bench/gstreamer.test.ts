/**
 * Smoke test of bench-gstreamer: `--quick` runs to the end (with or without GStreamer installed)
 * and writes a well-formed result and its plot. No timing is asserted.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { readQuickPlot, runQuickBench } from '../../helpers/bench.js';

interface GstreamerResults {
  bench: string;
  quick: boolean;
  gstreamer: { available: boolean; reason?: string };
  perf: {
    stack: string;
    sent: number;
    delivered: number;
    receiverCpuUsPerFrame: number;
    senderCpuUsPerFrame: number;
    latencyMs?: { p50: number; p99: number };
  }[];
}

test('bench-gstreamer --quick writes gstreamer-quick.json and a quick plot', {
  timeout: 150_000,
}, async () => {
  const { json: result } = await runQuickBench<GstreamerResults>('gstreamer', { timeoutMs: 140_000 });

  assert.equal(result.bench, 'gstreamer');
  assert.equal(result.quick, true);
  assert.equal(typeof result.gstreamer.available, 'boolean');
  if (!result.gstreamer.available) assert.match(result.gstreamer.reason ?? '', /apt-get install/);

  const stacks = result.gstreamer.available ? ['udpcam', 'gstreamer'] : ['udpcam'];
  for (const stack of stacks) {
    const run = result.perf.find((entry) => entry.stack === stack);
    assert.ok(run, `no ${stack} run`);
    assert.ok(run.delivered > 0 && run.delivered <= run.sent);
    assert.ok(run.receiverCpuUsPerFrame >= 0, `receiver CPU ${run.receiverCpuUsPerFrame}`);
    assert.ok(run.senderCpuUsPerFrame >= 0, `sender CPU ${run.senderCpuUsPerFrame}`);
    if (run.latencyMs) assert.ok(run.latencyMs.p50 <= run.latencyMs.p99);
  }

  const svg = await readQuickPlot('gstreamer');
  assert.ok(svg.startsWith('<svg'), svg.slice(0, 80));
});
