import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { FrameSchedule } from '#sender/schedule.js';

describe('FrameSchedule', () => {
  const schedule = new FrameSchedule(50, 1000);

  it('puts slot k at start + k * interval, whatever happened before (no drift)', () => {
    assert.equal(schedule.dueAt(0), 1000);
    assert.equal(schedule.dueAt(1), 1050);
    assert.equal(schedule.dueAt(200), 11_000);
    // 1000 / 30 does not divide evenly; slot 30 is still exactly one second on.
    const thirty = new FrameSchedule(1000 / 30, 0);
    assert.ok(Math.abs(thirty.dueAt(30) - 1000) < 1e-9);
  });

  it('moves to the next slot when a frame finishes in time', () => {
    assert.equal(schedule.nextSlot(0, 1010), 1);
    assert.equal(schedule.nextSlot(3, 1190), 4);
  });

  it('still runs a slot that is less than half an interval late', () => {
    // Slot 1 is due at 1050; at 1074 it is 24 ms late: run it now.
    assert.equal(schedule.nextSlot(0, 1074), 1);
  });

  it('skips slots whose time is gone instead of bursting through them', () => {
    // Slot 1 is 26 ms late at 1076: go to slot 2 (due 1100) instead.
    assert.equal(schedule.nextSlot(0, 1076), 2);
    // A frame that took 7 intervals: slots 1..6 are gone, slot 7 is 10 ms late and still runs.
    assert.equal(schedule.nextSlot(0, 1360), 7);
    assert.equal(schedule.nextSlot(0, 1380), 8);
  });

  it('honours a custom late tolerance', () => {
    const strict = new FrameSchedule(50, 0, 0);
    assert.equal(strict.nextSlot(0, 50), 1);
    assert.equal(strict.nextSlot(0, 51), 2);
  });

  it('counts the slots within a duration', () => {
    assert.equal(schedule.slotsWithin(1500), 30);
    assert.equal(schedule.slotsWithin(1501), 31);
    assert.equal(schedule.slotsWithin(10), 1);
  });
});
