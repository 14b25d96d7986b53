/** SyncWriteGate: when the disk sink may write synchronously, driven by fake time (ms). */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DEFAULT_SYNC_WRITE_OPTIONS, SyncWriteGate } from '#receiver/sinks/sync-writer.js';

/** A sync write at `start` taking `took` ms, if the gate allows it; returns whether it did. */
function write(gate: SyncWriteGate, start: number, took: number): boolean {
  if (!gate.allows(start)) return false;
  gate.record(start, start + took);
  return true;
}

test('fast writes stay synchronous, frame after frame', () => {
  const gate = new SyncWriteGate();
  for (let k = 0; k < 10_000; k++) assert.ok(write(gate, k * 33.3, 0.1), `write ${k}`);
  assert.equal(gate.slowWrites, 0);
});

test('a slow write sends writes to the thread pool for backoffMs, then one probe decides', () => {
  const gate = new SyncWriteGate({ slowWriteMs: 5, backoffMs: 1000 });
  assert.ok(write(gate, 0, 50)); // the disk stalled for 50 ms
  assert.equal(gate.slowWrites, 1);
  assert.equal(gate.allows(60), false);
  assert.equal(gate.allows(1049), false);
  assert.ok(write(gate, 1050, 0.1), 'the backoff is over: a probe');
  assert.ok(write(gate, 1100, 0.1), 'the probe was fast: synchronous again');
});

test('the backoff doubles while probes stay slow, up to maxBackoffMs, and resets after a fast one', () => {
  const gate = new SyncWriteGate({ slowWriteMs: 5, backoffMs: 100, maxBackoffMs: 350, burstMs: 1000 });
  let at = 0;
  const backoffs: number[] = [];
  for (let k = 0; k < 5; k++) {
    assert.ok(write(gate, at, 10));
    let next = at + 10;
    while (!gate.allows(next)) next++;
    backoffs.push(next - (at + 10));
    at = next;
  }
  assert.deepEqual(backoffs, [100, 200, 350, 350, 350]);
  assert.ok(write(gate, at, 0.1));
  assert.ok(write(gate, at + 1, 10));
  assert.equal(gate.allows(at + 11 + 99), false);
  assert.ok(gate.allows(at + 11 + 100), 'back to the first backoff');
});

test('synchronous writing is held to dutyCycle of the time, with a burst of burstMs', () => {
  const gate = new SyncWriteGate({ slowWriteMs: 5, dutyCycle: 0.2, burstMs: 5 });
  // Back-to-back writes of 2 ms each (never "slow"), refilled at 0.4 ms per write: 5 → 3 → 1.4 →
  // -0.2 → 0.2 → -1.8: four go synchronous, and the next at 8 ms finds -1.4 ms.
  let at = 0;
  let synchronous = 0;
  while (write(gate, at, 2)) {
    synchronous++;
    at += 2;
  }
  assert.equal(synchronous, 4);
  // 1.4 ms short, refilled at 0.2 ms per ms: synchronous again after 7 ms.
  assert.equal(gate.allows(at + 6.9), false);
  assert.ok(gate.allows(at + 7.1));
  // Over a long run of 1 ms writes offered every 2 ms, a fifth of the time goes to writing.
  const gate2 = new SyncWriteGate({ dutyCycle: 0.2, burstMs: 5 });
  let count = 0;
  for (let k = 0; k < 10_000; k++) if (write(gate2, k * 2, 1)) count++;
  const share = count / 20_000;
  assert.ok(share > 0.19 && share < 0.21, `${share}`);
});

test('the defaults: slow means over 20 ms (a 64 kB page-cache write is ~0.1 ms)', () => {
  assert.equal(DEFAULT_SYNC_WRITE_OPTIONS.slowWriteMs, 20);
  assert.ok(DEFAULT_SYNC_WRITE_OPTIONS.burstMs >= DEFAULT_SYNC_WRITE_OPTIONS.slowWriteMs);
});
