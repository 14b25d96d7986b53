/** LoginThrottle (issue 11, finding 10) on an injected clock: free failures, doubling blocks, forgetting, bounded reports. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LoginThrottle } from '#receiver/http/login-throttle.js';

function throttle() {
  const clock = { ms: 0 };
  const t = new LoginThrottle({
    freeFailures: 3,
    baseDelayMs: 1000,
    maxDelayMs: 8000,
    forgetAfterMs: 60_000,
    reportEveryMs: 10_000,
    maxAddresses: 2,
    now: () => clock.ms,
  });
  return { clock, t };
}

test('free failures, then blocks that double up to the cap, per address', () => {
  const { clock, t } = throttle();
  for (let i = 0; i < 3; i++) t.failed('a');
  assert.equal(t.waitMs('a'), 0, 'three failures are free');
  t.failed('a');
  assert.equal(t.waitMs('a'), 1000);
  assert.equal(t.waitMs('b'), 0, 'another address is not slowed');
  clock.ms += 1000;
  assert.equal(t.waitMs('a'), 0);
  t.failed('a');
  assert.equal(t.waitMs('a'), 2000);
  for (let i = 0; i < 10; i++) t.failed('a');
  assert.equal(t.waitMs('a'), 8000, 'capped');
  clock.ms += 500;
  assert.equal(t.waitMs('a'), 7500);
});

test('a success or a long quiet time clears an address', () => {
  const { clock, t } = throttle();
  for (let i = 0; i < 5; i++) t.failed('a');
  assert.ok(t.waitMs('a') > 0);
  t.succeeded('a');
  assert.equal(t.waitMs('a'), 0);
  for (let i = 0; i < 5; i++) t.failed('b');
  clock.ms += 60_001;
  assert.equal(t.waitMs('b'), 0);
  t.failed('b');
  assert.equal(t.waitMs('b'), 0, 'counting starts again from zero');
});

test('at most one report per interval, summing what it did not report', () => {
  const { clock, t } = throttle();
  assert.equal(t.failed('a'), '1 failed HTTP login from a');
  for (let i = 0; i < 100; i++) assert.equal(t.failed(i % 2 ? 'a' : 'b'), undefined);
  clock.ms += 10_000;
  assert.match(t.failed('c') ?? '', /^101 failed HTTP logins from 3 addresses \(last c\)/);
});

test('addresses tracked are bounded: the longest quiet one is dropped', () => {
  const { t } = throttle();
  for (const address of ['a', 'b', 'c']) for (let i = 0; i < 5; i++) t.failed(address);
  assert.equal(t.waitMs('a'), 0, 'a was dropped');
  assert.ok(t.waitMs('b') > 0 && t.waitMs('c') > 0);
});
