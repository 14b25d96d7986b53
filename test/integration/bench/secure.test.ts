/**
 * Smoke test of bench-secure: the quick run, as a real child process, finishes and writes
 * well-formed figures. It checks their shape and that no forged frame got through (a correctness
 * property of every run), never how fast anything is.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isFiniteNonNegative, runQuickBench } from '../../helpers/bench.js';

interface SecureResults {
  bench: string;
  quick: boolean;
  perDatagram: {
    seal: { variant: string; library: string; cipher: string; us: number }[];
    open: { variant: string; library: string; cipher: string; us: number }[];
  };
  cost: {
    runs: { protected: boolean; framesSent: number; framesReceived: number }[];
    summary: Record<string, number>;
  };
  forgery: {
    forgedSent: number;
    rejected: number;
    lateParity: number;
    forgedFrames: number;
    realDatagramsOpened: number;
    realDatagramsExpected: number;
    realParityExpected: number;
    rssPeakMiB: number;
  };
}

test('bench-secure --quick: per-datagram figures for every AEAD path, CPU per frame with and without --key, no forged frame', async () => {
  const { json } = await runQuickBench<SecureResults>('secure', { timeoutMs: 180_000 });
  assert.equal(json.bench, 'secure');
  assert.equal(json.quick, true);
  for (const side of [json.perDatagram.seal, json.perDatagram.open]) {
    const paths = side.map((row) => `${row.cipher} ${row.library} ${row.variant}`);
    assert.ok(
      paths.some((p) => p.startsWith('aes-256-gcm node:crypto')),
      'version 1, for comparison',
    );
    assert.ok(paths.some((p) => p.startsWith('chacha20-poly1305 node:crypto')));
    assert.ok(paths.some((p) => p.startsWith('chacha20-poly1305 libsodium')));
    for (const library of ['openssl', 'libsodium', 'node:crypto']) {
      assert.ok(
        side.some((row) => row.library === library && row.variant.startsWith('Datagram')),
        library,
      );
    }
    for (const row of side) assert.ok(row.us > 0, row.variant);
  }
  assert.ok(json.cost.runs.some((run) => run.protected) && json.cost.runs.some((run) => !run.protected));
  for (const run of json.cost.runs) assert.ok(run.framesReceived > 0 && run.framesReceived <= run.framesSent);
  for (const [name, value] of Object.entries(json.cost.summary)) assert.ok(isFiniteNonNegative(value), name);
  // Every datagram counted once; a forged one is rejected or, with a real parity header, dropped
  // unopened as late parity (like real parity of complete frames): only real ones open, at least
  // every real data chunk.
  const { rejected, lateParity, realDatagramsOpened: opened, realDatagramsExpected: real } = json.forgery;
  assert.equal(opened + rejected + lateParity, real + json.forgery.forgedSent, 'every datagram counted');
  assert.ok(rejected <= json.forgery.forgedSent);
  assert.ok(
    opened <= real && opened >= real - json.forgery.realParityExpected,
    `${opened} of ${real} opened`,
  );
  assert.equal(json.forgery.forgedFrames, 0);
  assert.ok(json.forgery.rssPeakMiB > 0);
});
