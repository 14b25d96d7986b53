/** LatestFrame: the newest frame only, waiters woken by the next one, timeouts on the timer. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { UdpcamError } from '@udpcam/protocol';
import { LatestFrame } from '@udpcam/sender';

const timeout = () => new UdpcamError('UDPCAM_ERR_SOURCE', 'no frame');

test('take returns the newest frame once; frames nobody took are counted as skipped', async () => {
  const latest = new LatestFrame<string>();
  assert.equal(latest.fresh, false);
  latest.put('a');
  latest.put('b');
  assert.deepEqual([latest.seq, latest.skipped, latest.fresh], [2, 1, true]);
  assert.equal(await latest.take(1000, timeout), 'b');
  assert.equal(latest.fresh, false);
  latest.put('c');
  assert.equal(latest.skipped, 1, 'b was taken, so c skips nothing');
});

test('a waiting take gets the next frame; the frame it got is not counted as skipped later', async () => {
  const latest = new LatestFrame<string>();
  latest.put('a');
  await latest.take(1000, timeout);
  const first = latest.take(1000, timeout);
  const second = latest.take(1000, timeout);
  assert.equal(latest.waiting, 2);
  latest.put('b');
  latest.put('c'); // before the takers ran: 'b' was theirs, so 'c' skips nothing
  assert.deepEqual(await Promise.all([first, second]), ['c', 'c']);
  assert.equal(latest.skipped, 0);
  assert.equal(latest.waiting, 0);
});

test('take times out on the timer with the error the caller makes, not a moment before', async (t) => {
  t.mock.timers.enable({ apis: ['setTimeout'] });
  const latest = new LatestFrame<string>();
  let settled = false;
  const taking = latest.take(300, timeout).finally(() => {
    settled = true;
  });
  t.mock.timers.tick(299);
  await Promise.resolve();
  assert.equal(settled, false);
  t.mock.timers.tick(1);
  await assert.rejects(taking, { code: 'UDPCAM_ERR_SOURCE', message: 'no frame' });
  assert.equal(latest.waiting, 0);
});

test('cancel rejects takers with its error and ends next() waits with false', async () => {
  const latest = new LatestFrame<string>();
  const taking = latest.take(60_000, timeout);
  const waiting = latest.next(0, 60_000);
  latest.cancel(new UdpcamError('UDPCAM_ERR_CLOSED', 'stopped'));
  await assert.rejects(taking, { message: 'stopped' });
  assert.equal(await waiting, false);
});

test('next: at once when a newer frame is there, else on the next frame, the timeout or an abort', async (t) => {
  t.mock.timers.enable({ apis: ['setTimeout'] });
  const latest = new LatestFrame<string>();
  latest.put('a');
  assert.equal(await latest.next(0, 1000), true);
  const waiting = latest.next(1, 1000);
  latest.put('b');
  assert.equal(await waiting, true);

  const timingOut = latest.next(2, 1000);
  t.mock.timers.tick(1000);
  assert.equal(await timingOut, false);

  const controller = new AbortController();
  const aborted = latest.next(2, 60_000, controller.signal);
  controller.abort();
  assert.equal(await aborted, false);
  assert.equal(await latest.next(2, 60_000, controller.signal), false, 'an aborted signal does not wait');
  assert.equal(latest.waiting, 0);
});
