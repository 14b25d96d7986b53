/**
 * Smoke test of bench-fidelity: `--quick` runs to the end (with or without GStreamer installed)
 * and writes a table with a cell per JPEG variant and stack. udpcam with --no-meta must carry
 * every variant byte for byte: that is a property of every run, not a speed.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runQuickBench } from '../../helpers/bench.js';

interface Cell {
  sent: number;
  delivered: number;
  byteIdentical: boolean;
  decodes: boolean;
}

interface FidelityResults {
  bench: string;
  quick: boolean;
  gstreamer: { available: boolean; reason?: string };
  fidelity: { variant: string; results: Record<string, Cell | undefined> }[];
}

test('bench-fidelity --quick writes fidelity-quick.json with every variant', {
  timeout: 150_000,
}, async () => {
  const { json: result } = await runQuickBench<FidelityResults>('fidelity', { timeoutMs: 140_000 });

  assert.equal(result.bench, 'fidelity');
  assert.equal(result.quick, true);
  if (!result.gstreamer.available) assert.match(result.gstreamer.reason ?? '', /apt-get install/);
  const stacks = result.gstreamer.available ? ['udpcam', 'gstreamer'] : ['udpcam'];
  assert.ok(Array.isArray(result.fidelity) && result.fidelity.length >= 5);
  for (const row of result.fidelity) {
    assert.equal(typeof row.variant, 'string');
    for (const stack of stacks) {
      const cell = row.results[stack];
      assert.ok(cell, `${row.variant}: no ${stack} result`);
      assert.equal(typeof cell.byteIdentical, 'boolean');
      assert.equal(typeof cell.decodes, 'boolean');
      assert.ok(cell.delivered <= cell.sent);
    }
    // udpcam with --no-meta carries any JPEG unchanged.
    assert.equal(row.results.udpcam?.byteIdentical, true, row.variant);
  }
});
