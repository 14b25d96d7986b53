/** ReplayWindow against a plain Set of every counter accepted (the window's specification). */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { REPLAY_WINDOW, ReplayWindow } from '@udpcam/protocol';
import fc from 'fast-check';

test('fresh means: never accepted, and not older than the window below the highest', () => {
  fc.assert(
    fc.property(fc.array(fc.integer({ min: 0, max: 5 * REPLAY_WINDOW }), { maxLength: 400 }), (counters) => {
      const window = new ReplayWindow();
      const accepted = new Set<number>();
      let highest = -1;
      for (const counter of counters) {
        const expected = !accepted.has(counter) && highest - counter < REPLAY_WINDOW;
        assert.equal(window.isFresh(counter), expected, `counter ${counter}, highest ${highest}`);
        if (expected) {
          window.accept(counter);
          accepted.add(counter);
          highest = Math.max(highest, counter);
        }
      }
      assert.equal(window.highest, highest);
    }),
  );
});

test('counters near 2^53 work (no 32-bit wrap)', () => {
  const window = new ReplayWindow();
  const top = Number.MAX_SAFE_INTEGER;
  window.accept(top - 1);
  assert.ok(window.isFresh(top));
  assert.ok(!window.isFresh(top - 1));
  assert.ok(window.isFresh(top - 2));
  assert.ok(!window.isFresh(top - 1 - REPLAY_WINDOW));
});
