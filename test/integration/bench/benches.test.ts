/**
 * Smoke tests of the benches that existed before the comparison suite: each runs with --quick as
 * a real process and must write well-formed results (and its plot). Speed is not checked here;
 * `npm run bench` measures it.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isFiniteNonNegative, readQuickPlot, runQuickBench } from '../../helpers/bench.js';

interface Machine {
  cpus: number;
  node: string;
}

describe('benches, --quick', () => {
  it('reassembly: every scenario emits every frame that arrived whole, none corrupt', async () => {
    const { json } = await runQuickBench<{
      bench: string;
      quick: boolean;
      scenarios: {
        name: string;
        checked: { corrupt: number };
        best: { datagramsPerSecond: number; framesComplete: number; framesExpected: number };
      }[];
    }>('reassembly');
    assert.equal(json.bench, 'reassembly');
    assert.equal(json.quick, true);
    assert.ok(json.scenarios.length >= 1);
    for (const scenario of json.scenarios) {
      assert.equal(scenario.best.framesComplete, scenario.best.framesExpected, scenario.name);
      assert.equal(scenario.checked.corrupt, 0, scenario.name);
      assert.ok(scenario.best.datagramsPerSecond > 0, scenario.name);
    }
  });

  it('receiver: a summary per mode (bare socket, udpcam, disk) with its lossless rate', async () => {
    const { json } = await runQuickBench<{
      bench: string;
      machine: Machine;
      summary: { mode: string; maxLosslessRate?: number; receiverCpuCores?: number; limitedBy: string }[];
    }>('receiver');
    assert.equal(json.bench, 'receiver');
    assert.ok(json.machine.cpus >= 1);
    assert.deepEqual(json.summary.map((row) => row.mode).sort(), ['bare', 'disk', 'udpcam']);
    for (const row of json.summary) {
      // The rate itself is the bench's figure. A busy machine may find no step lossless, or run out
      // of the quick run's time budget first: then the mode says which and has no rate or CPU figure.
      if (row.maxLosslessRate === undefined) {
        assert.ok(['loss', 'time'].includes(row.limitedBy), `${row.mode}: ${JSON.stringify(row)}`);
        assert.equal(row.receiverCpuCores, undefined, row.mode);
        continue;
      }
      assert.ok(isFiniteNonNegative(row.maxLosslessRate), row.mode);
      assert.ok(isFiniteNonNegative(row.receiverCpuCores), row.mode);
    }
  });

  it('fec: parity encode and rebuild timings per size and ratio', async () => {
    const { json } = await runQuickBench<{
      bench: string;
      rows: {
        size: string;
        k: number;
        m: number;
        encodeMs: number;
        rebuildMs: { missing: number; ms: number }[];
      }[];
    }>('fec');
    assert.equal(json.bench, 'fec');
    assert.equal(json.rows.length, 6);
    for (const row of json.rows) {
      assert.ok(row.m >= 1 && row.k >= 2 && row.encodeMs > 0, row.size);
      assert.deepEqual(row.rebuildMs.at(-1)!.missing, row.m, 'up to m lost chunks are timed');
    }
  });

  it('encode: a row per codec and size, warp timings and the passthrough cost', async () => {
    const { json } = await runQuickBench<{
      bench: string;
      rows: { path: string; size: string; encode: { meanMs: number }; maxFps: number }[];
      warps: { size: string; timing: { meanMs: number } }[];
      passthrough: { msPerFrame: number };
    }>('encode');
    assert.equal(json.bench, 'encode');
    assert.ok(json.rows.some((row) => row.path === 'jpeg-js worker'));
    for (const row of json.rows)
      assert.ok(row.encode.meanMs > 0 && row.maxFps > 0, `${row.path} ${row.size}`);
    assert.equal(json.warps.length, 3);
    for (const warp of json.warps) assert.ok(warp.timing.meanMs > 0, warp.size);
    assert.ok(json.passthrough.msPerFrame > 0);
  });

  it('sender: every path sent frames, with its stage timings', async () => {
    const { json } = await runQuickBench<{
      bench: string;
      skipped: string[];
      rows: {
        path: string;
        frames: number;
        fps: number;
        captureMs: number;
        processMs: number;
        sendMs: number;
      }[];
    }>('sender');
    assert.equal(json.bench, 'sender');
    const paths = json.rows.map((row) => row.path);
    for (const expected of ['passthrough', 'jpeg-js', 'jpeg-js + warp'])
      assert.ok(paths.includes(expected), `${expected} in ${paths}`);
    assert.ok(
      paths.some((path) => path.startsWith('webcam')),
      'the node-webcam path ran',
    );
    assert.ok(
      paths.some((path) => path.startsWith('ffmpeg')),
      'the ffmpeg pipe ran',
    );
    for (const row of json.rows) {
      assert.ok(row.frames > 0 && row.fps > 0, row.path);
      for (const stage of [row.captureMs, row.processMs, row.sendMs])
        assert.ok(isFiniteNonNegative(stage), row.path);
    }
  });

  it('cameras: receiver CPU and delivered ratio per camera count, and its plot', async () => {
    const { json } = await runQuickBench<{
      bench: string;
      results: { cameras: number; receiverCores: number; deliveredRatio: number; framesSent: number }[];
    }>('cameras');
    assert.equal(json.bench, 'cameras');
    assert.ok(json.results.length >= 2);
    for (const row of json.results) {
      assert.ok(row.framesSent > 0, `${row.cameras} cameras sent frames`);
      assert.ok(row.deliveredRatio > 0 && row.deliveredRatio <= 1, `${row.cameras} cameras`);
      assert.ok(isFiniteNonNegative(row.receiverCores));
    }
    assert.match(await readQuickPlot('cameras'), /^<svg/);
  });

  it('fanout: server CPU and client fps per client count, and its plot', async () => {
    const { json } = await runQuickBench<{
      bench: string;
      results: { clients: number; connected: number; serverCores: number; clientFpsMin: number }[];
    }>('fanout');
    assert.equal(json.bench, 'fanout');
    for (const row of json.results) {
      assert.equal(row.connected, row.clients);
      // Frames per second at each client are the bench's figure, not a threshold here.
      assert.ok(isFiniteNonNegative(row.clientFpsMin), `${row.clients} clients`);
      assert.ok(isFiniteNonNegative(row.serverCores));
    }
    assert.match(await readQuickPlot('fanout'), /^<svg/);
  });

  it('pace: burst loss per receive buffer and the spread of paced frames', async () => {
    const { json } = await runQuickBench<{
      bench: string;
      bursts: {
        datagrams: number;
        buffer: string;
        rcvbufBytes: number;
        lostMedian: number;
        lostMax: number;
      }[];
      spreads: { case: string; spanMs: number[]; maxGapMs: number[] }[];
    }>('pace');
    assert.equal(json.bench, 'pace');
    assert.deepEqual([...new Set(json.bursts.map((row) => row.buffer))], ['OS default', 'receiver (raised)']);
    for (const row of json.bursts) {
      assert.ok(row.rcvbufBytes > 0 && isFiniteNonNegative(row.lostMax), `${row.buffer} ${row.datagrams}`);
      assert.ok(row.lostMedian <= row.datagrams);
    }
    assert.equal(json.spreads.length, 3);
    for (const row of json.spreads) assert.ok(row.spanMs.every(isFiniteNonNegative), row.case);
  });
});
