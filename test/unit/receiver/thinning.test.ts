/** Thinning: which frames the disk sink writes (every Nth, at most F per second), per camera. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Thinning } from '#receiver/sinks/thinning.js';

/** Which of the frames at `times` (ms) camera `camera` gets written. */
const admitted = (thinning: Thinning, times: number[], camera = 'a') =>
  times.filter((t) => thinning.admit(camera, t));

describe('Thinning', () => {
  it('with no options writes every frame', () => {
    assert.deepEqual(admitted(new Thinning({}), [0, 1, 2, 3]), [0, 1, 2, 3]);
  });

  it('every: one frame in N, from the first, per camera', () => {
    const thinning = new Thinning({ every: 3 });
    assert.deepEqual(admitted(thinning, [0, 1, 2, 3, 4, 5, 6]), [0, 3, 6]);
    assert.deepEqual(admitted(thinning, [10, 11, 12, 13], 'b'), [10, 13], 'camera b counts on its own');
  });

  it('maxFps: a 30 fps stream thinned to 15 fps keeps every other frame', () => {
    const times = Array.from({ length: 30 }, (_, i) => Math.round((i * 1000) / 30));
    const kept = admitted(new Thinning({ maxFps: 15 }), times);
    assert.deepEqual(
      kept,
      times.filter((_, i) => i % 2 === 0),
    );
  });

  it('maxFps: 10% slack for jitter, and no burst to catch up after a pause', () => {
    const thinning = new Thinning({ maxFps: 10 }); // one frame per 100 ms
    assert.equal(thinning.admit('a', 0), true);
    assert.equal(thinning.admit('a', 89), false, 'more than 10% early');
    assert.equal(thinning.admit('a', 90), true, 'within 10% of the interval');
    // A pause: the next frame is written, and the one after it waits a whole interval again.
    assert.equal(thinning.admit('a', 1000), true);
    assert.equal(thinning.admit('a', 1050), false);
    assert.equal(thinning.admit('a', 1090), true);
  });

  it('every and maxFps together: both must agree', () => {
    const thinning = new Thinning({ every: 2, maxFps: 5 }); // every other frame, at most 5 per second
    const times = Array.from({ length: 20 }, (_, i) => i * 50); // 20 fps for 1 s
    assert.deepEqual(admitted(thinning, times), [0, 200, 400, 600, 800]);
  });
});
