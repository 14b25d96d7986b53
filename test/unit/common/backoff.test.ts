/** Backoff: 250 ms doubling to 5 s, reset by a success, one retry timer at a time. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Backoff } from '@udpcam/common';

test('delays double from 250 ms up to 5 s, and a success starts again at 250 ms', () => {
  const backoff = new Backoff();
  const delays = Array.from({ length: 7 }, () => backoff.fail());
  assert.deepEqual(delays, [250, 500, 1000, 2000, 4000, 5000, 5000]);
  assert.equal(backoff.failures, 7);
  backoff.succeed();
  assert.equal(backoff.failures, 0);
  assert.equal(backoff.fail(), 250);
});

test('other bounds: the maximum wins over the first delay', () => {
  const short = new Backoff(100, 300);
  assert.deepEqual([short.fail(), short.fail(), short.fail()], [100, 200, 300]);
  const capped = new Backoff(6000, 5000);
  assert.equal(capped.fail(), 5000);
});

test('retry runs once after its delay on the timer, and cancel drops it', (t) => {
  t.mock.timers.enable({ apis: ['setTimeout'] });
  const backoff = new Backoff();
  let runs = 0;
  assert.equal(
    backoff.retry(() => runs++),
    250,
  );
  assert.equal(backoff.pending, true);
  t.mock.timers.tick(249);
  assert.equal(runs, 0, 'not before 250 ms');
  t.mock.timers.tick(1);
  assert.equal(runs, 1);
  assert.equal(backoff.pending, false);

  assert.equal(
    backoff.retry(() => runs++),
    500,
  );
  // A second retry replaces the pending one: still one run, after the new delay.
  assert.equal(
    backoff.retry(() => runs++),
    1000,
  );
  t.mock.timers.tick(1000);
  assert.equal(runs, 2);

  backoff.retry(() => runs++);
  backoff.cancel();
  assert.equal(backoff.pending, false);
  t.mock.timers.tick(10_000);
  assert.equal(runs, 2, 'a cancelled retry never runs');
});

test('delayAfter gives the same delays for a count kept elsewhere, and stays a number for any count', () => {
  const backoff = new Backoff(1000, 60_000);
  assert.deepEqual(
    [1, 2, 3, 7, 1e6].map((n) => backoff.delayAfter(n)),
    [1000, 2000, 4000, 60_000, 60_000],
  );
  assert.equal(new Backoff(0, 100).delayAfter(1e6), 0);
  assert.equal(backoff.failures, 0);
});
