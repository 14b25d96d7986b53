/**
 * The area tool's preview (issue 11, finding 18): rendered at most MAX_PREVIEW_RENDER_SIDE on a
 * side, and warped on a worker thread, not the event loop.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { threadId } from 'node:worker_threads';
import { captureArea, LiveFrames, PreviewRenderer } from '@udpcam/area';
import { AreaWarp, TestPatternSource } from '@udpcam/sender';
import jpeg from 'jpeg-js';
import { MAX_PREVIEW_RENDER_SIDE, previewRenderSize } from '#area/server.js';
import { JpegJsCodec } from '#sender/encoders/jpeg-js.js';

test('a requested size is scaled down to fit, keeping its shape', () => {
  assert.equal(MAX_PREVIEW_RENDER_SIDE, 1280);
  assert.deepEqual(previewRenderSize({ width: 8192, height: 8192 }), { width: 1280, height: 1280 });
  assert.deepEqual(previewRenderSize({ width: 8192, height: 4096 }), { width: 1280, height: 640 });
  assert.deepEqual(previewRenderSize({ width: 8192, height: 1 }), { width: 1280, height: 1 });
  assert.deepEqual(previewRenderSize({ width: 640, height: 360 }), { width: 640, height: 360 });
});

test('the warp runs on a worker thread, each area at its own output size', async () => {
  const codec = new JpegJsCodec();
  const live = new LiveFrames(new TestPatternSource({ width: 160, height: 120 }), codec, { fps: 30 });
  const check = (value: unknown) => {
    const area = value as ReturnType<typeof captureArea>;
    return { area, warp: new AreaWarp(area, 160, 120) };
  };
  const preview = new PreviewRenderer(live, codec, check);
  try {
    const frame = await live.start();
    for (const corners of [
      [
        [0, 0],
        [80, 0],
        [80, 60],
        [0, 60],
      ],
      [
        [10, 10],
        [150, 5],
        [155, 110],
        [5, 115],
      ],
    ] as [number, number][][]) {
      const area = captureArea(corners, { width: 200, height: 100 });
      const image = jpeg.decode(await preview.render(frame, area));
      assert.deepEqual([image.width, image.height], [200, 100]);
    }
    assert.notEqual(preview.warpThreadId, undefined);
    assert.notEqual(preview.warpThreadId, threadId, 'not the main thread');
  } finally {
    await preview.close();
    await live.stop();
  }
});
