/** LiveFrames: one reader, newest frame only, grabbing only while someone asks. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LiveFrames } from '@udpcam/area';
import { type CapturedFrame, type FrameSource, TestPatternSource } from '@udpcam/sender';
import { JpegJsCodec } from '#sender/encoders/jpeg-js.js';
import { FakeClock } from '../../helpers/clock.js';
import { settle, turns } from '../../helpers/settle.js';

/** The real test pattern, counting its grabs. */
class CountingSource implements FrameSource {
  readonly name = 'counted test pattern';
  readonly #pattern = new TestPatternSource({ width: 160, height: 120 });
  grabs = 0;
  start(): Promise<void> {
    return this.#pattern.start();
  }
  grab(): Promise<CapturedFrame> {
    this.grabs++;
    return this.#pattern.grab();
  }
  stop(): Promise<void> {
    return this.#pattern.stop();
  }
}

test('frames come newest first as JPEGs, and grabbing stops when nobody asks', async () => {
  const source = new CountingSource();
  // The idle rule reads a fake clock: idle is "150 ms of that clock with no request", exactly.
  const clock = new FakeClock();
  const live = new LiveFrames(source, new JpegJsCodec(), { fps: 50, idleMs: 150, clock: clock.now });
  try {
    const first = await live.start();
    assert.deepEqual([first.seq, first.width, first.height], [1, 160, 120]);
    assert.equal(first.jpeg[0], 0xff);
    assert.equal(first.jpeg[1], 0xd8);

    const next = await live.next(first.seq, 2000);
    assert.ok(next.seq > first.seq, 'a newer frame');
    // Already newer: answered at once with the newest, not the one after `after`.
    assert.equal((await live.next(0, 2000)).seq, live.newest.seq);

    const pixels = await live.pixels(live.newest);
    assert.deepEqual([pixels.width, pixels.height, pixels.data.length], [160, 120, 160 * 120 * 4]);

    clock.advance(150);
    await turns();
    assert.equal(live.idle, false, 'still grabbing 150 ms after the last request');
    clock.advance(1);
    await settle(() => live.idle, 'the reader to go idle');
    const idle = source.grabs;
    await turns();
    assert.equal(source.grabs, idle, 'no grabs while idle');

    const woken = await live.next(live.newest.seq, 2000);
    assert.ok(woken.seq > 0 && source.grabs > idle, 'a request wakes the reader');

    // A waiting request lets go when its client does.
    const controller = new AbortController();
    const waiting = live.next(Number.MAX_SAFE_INTEGER, 60_000, controller.signal);
    controller.abort();
    assert.ok((await waiting).seq > 0);
  } finally {
    await live.stop();
  }
});
