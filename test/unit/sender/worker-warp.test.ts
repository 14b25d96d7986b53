/** The area warp on a worker thread: the same pixels as AreaWarp, off the main thread, closable. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { threadId } from 'node:worker_threads';
import { isUdpcamError } from '@udpcam/protocol';
import { AreaWarp, type CaptureArea, type RgbaFrame, TestPatternSource, WorkerWarp } from '@udpcam/sender';

const AREA: CaptureArea = {
  selected_rect: [
    [40, 30],
    [600, 50],
    [580, 330],
    [60, 300],
  ],
  visible_rect: [
    [0, 0],
    [320, 0],
    [320, 180],
    [0, 180],
  ],
};

async function testFrame(): Promise<RgbaFrame> {
  const source = new TestPatternSource({ width: 640, height: 360 });
  await source.start();
  const frame = (await source.grab()) as RgbaFrame;
  await source.stop();
  return frame;
}

describe('WorkerWarp', () => {
  it('gives the bytes AreaWarp gives, on another thread, and leaves the input intact', async () => {
    const frame = await testFrame();
    const before = Buffer.from(frame.data);
    const worker = new WorkerWarp(AREA);
    try {
      const warped = await worker.apply(frame);
      assert.notEqual(worker.threadId, undefined);
      assert.notEqual(worker.threadId, threadId);
      assert.equal(warped.length, 320 * 180 * 4);
      assert.deepEqual(warped, new AreaWarp(AREA).warp(frame));
      assert.deepEqual(frame.data, before, 'the caller keeps its buffer');
      // Each result is a buffer of its own (the worker cannot reuse a transferred one).
      const again = await worker.apply(frame);
      assert.notEqual(again.buffer, warped.buffer);
      assert.deepEqual(again, warped);
    } finally {
      await worker.close();
    }
  });

  it('fails a bad quad in the constructor, before any thread starts', () => {
    assert.throws(
      () =>
        new WorkerWarp({
          ...AREA,
          selected_rect: [
            [0, 0],
            [100, 0],
            [200, 0],
            [0, 100],
          ],
        }),
      (error) => isUdpcamError(error) && error.code === 'UDPCAM_ERR_INVALID_OPTION',
    );
  });

  it('reports a short frame with the warp’s own error, and rejects after close', async () => {
    const worker = new WorkerWarp(AREA);
    try {
      await assert.rejects(
        worker.apply({ data: Buffer.alloc(16), width: 640, height: 360 }),
        (error) => isUdpcamError(error) && error.code === 'UDPCAM_ERR_INVALID_OPTION',
      );
      const frame = await testFrame();
      const isClosed = (error: unknown) => isUdpcamError(error) && error.code === 'UDPCAM_ERR_CLOSED';
      const pending = assert.rejects(worker.apply(frame), isClosed);
      await worker.close();
      await pending;
      await assert.rejects(worker.apply(frame), isClosed);
    } finally {
      await worker.close();
    }
  });
});
