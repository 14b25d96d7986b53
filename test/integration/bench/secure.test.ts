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
  perDatagram: { aead: { cipher: string; sealUs: number; openUs: number }[]; module: Record<string, number> };
  cost: {
    runs: { protected: boolean; framesSent: number; framesReceived: number }[];
    summary: Record<string, number>;
  };
  forgery: {
    forgedSent: number;
    rejected: number;
    forgedFrames: number;
    realDatagramsOpened: number;
    realDatagramsExpected: number;
    rssPeakMiB: number;
  };
}

test('bench-secure --quick: per-datagram figures for both AEADs, CPU per frame with and without --key, no forged frame', async () => {
  const { json } = await runQuickBench<SecureResults>('secure', { timeoutMs: 180_000 });
  assert.equal(json.bench, 'secure');
  assert.equal(json.quick, true);
  assert.deepEqual(
    json.perDatagram.aead.map((row) => row.cipher),
    ['aes-256-gcm', 'chacha20-poly1305'],
  );
  for (const row of json.perDatagram.aead) assert.ok(row.sealUs > 0 && row.openUs > 0, row.cipher);
  for (const [name, value] of Object.entries(json.perDatagram.module)) assert.ok(value > 0, name);
  assert.ok(json.cost.runs.some((run) => run.protected) && json.cost.runs.some((run) => !run.protected));
  for (const run of json.cost.runs) assert.ok(run.framesReceived > 0 && run.framesReceived <= run.framesSent);
  for (const [name, value] of Object.entries(json.cost.summary)) assert.ok(isFiniteNonNegative(value), name);
  assert.equal(json.forgery.rejected, json.forgery.forgedSent, 'every forged datagram rejected');
  assert.equal(json.forgery.forgedFrames, 0);
  assert.equal(json.forgery.realDatagramsOpened, json.forgery.realDatagramsExpected);
  assert.ok(json.forgery.rssPeakMiB > 0);
});
