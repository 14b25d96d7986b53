/** RateMeter: events per second from whole windows, driven by the caller's clock. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RateMeter } from '@udpcam/common';

describe('RateMeter', () => {
  it('is 0 with no events', () => {
    assert.equal(new RateMeter().rate(12_345), 0);
  });

  it('blends the last full second with the one in progress', () => {
    const rate = new RateMeter();
    // 20 events in second 10 (10.000 .. 10.950 s).
    for (let i = 0; i < 20; i++) rate.add(10_000 + i * 50);
    assert.equal(rate.rate(10_999), 20, 'second 10 in progress: its 20 events');
    assert.equal(rate.rate(11_000), 20, 'at the start of second 11: all of second 10');
    assert.equal(rate.rate(11_250), 15, 'a quarter into second 11: three quarters of second 10');
    assert.equal(rate.rate(11_500), 10);
  });

  it('counts a steady stream as its rate', () => {
    const rate = new RateMeter();
    for (let t = 0; t <= 5000; t += 40) rate.add(t); // 25 per second
    assert.equal(rate.rate(5000), 25 + 1, 'second 4 whole, plus the event at 5.000 s');
    assert.equal(rate.rate(5999), 25 * 0.001 + 1);
  });

  it('forgets everything after a silent second', () => {
    const rate = new RateMeter();
    for (let i = 0; i < 10; i++) rate.add(1000 + i);
    assert.equal(rate.rate(2500), 5);
    assert.equal(rate.rate(3000), 0, 'second 2 had no events and second 1 is two back');
  });

  it('adds n at once (bytes per second)', () => {
    const rate = new RateMeter();
    rate.add(0, 1000);
    rate.add(500, 500);
    assert.equal(rate.rate(999), 1500);
    assert.equal(rate.rate(1500), 750);
  });

  it('takes a wider window for slow events (shots per second over 5 s windows)', () => {
    const rate = new RateMeter(5000);
    for (let t = 0; t < 5000; t += 1000) rate.add(t); // 5 shots in window 0
    assert.equal(rate.rate(4999), 1, 'window 0 in progress: 5 shots in 5 s');
    assert.equal(rate.rate(6250), 0.75, 'a quarter into window 1: three quarters of window 0');
    assert.equal(rate.rate(10_000), 0, 'window 1 had no shots and window 0 is two back');
  });
});
