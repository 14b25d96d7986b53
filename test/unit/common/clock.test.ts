/** The real clocks: the wall clock in µs follows the monotonic one and sits near Date.now(). */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { epochMicrosAt, monotonicClock, wallClockUs } from '@udpcam/common';

test('wallClockUs is epoch µs on the monotonic timeline, and takes an injected clock', () => {
  const now = wallClockUs();
  assert.ok(Number.isInteger(now));
  // performance.timeOrigin may sit a few ms off Date.now(); a minute bounds any sane skew.
  assert.ok(Math.abs(now / 1000 - Date.now()) < 60_000);
  assert.equal(
    wallClockUs(() => 1234.5678),
    epochMicrosAt(1234.5678),
  );
  assert.equal(epochMicrosAt(1000) - epochMicrosAt(0), 1_000_000);
  const first = monotonicClock();
  assert.ok(monotonicClock() >= first);
});
