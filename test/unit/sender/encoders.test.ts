import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { threadId } from 'node:worker_threads';
import { isWellFormedJpeg } from '@udpcam/protocol';
import { type JpegCodec, loadCodec, TestPatternSource } from '@udpcam/sender';
import { JpegJsCodec } from '#sender/encoders/jpeg-js.js';
import { availableCodecs, sharpMissingMessage } from '#sender/encoders/load.js';
import { SharpCodec } from '#sender/encoders/sharp.js';
import { WorkerCodec } from '#sender/encoders/worker-codec.js';
import { meanError } from '../../helpers/jpeg.js';

const WIDTH = 320;
const HEIGHT = 180;
const rgba = Buffer.from(
  new TestPatternSource({ width: WIDTH, height: HEIGHT }).render(3, 1_700_000_000_000),
);

const codecs: Array<[string, () => Promise<JpegCodec>]> = [
  ['jpeg-js inline', () => loadCodec('jpeg-js', { inline: true })],
  ['jpeg-js worker', () => loadCodec('jpeg-js')],
  ['sharp', () => loadCodec('sharp')],
];

for (const [label, load] of codecs) {
  describe(`codec: ${label}`, () => {
    let codec: JpegCodec;
    after(() => codec?.close?.());

    it('round-trips a test pattern: well-formed JPEG, same size, small error at quality 90', async () => {
      codec = await load();
      const jpeg = await codec.encode(rgba, WIDTH, HEIGHT, 90);
      assert.ok(isWellFormedJpeg(jpeg));
      const image = await codec.decode(jpeg);
      assert.equal(image.width, WIDTH);
      assert.equal(image.height, HEIGHT);
      assert.equal(image.data.length, WIDTH * HEIGHT * 4);
      assert.ok(Buffer.isBuffer(image.data));
      assert.equal(image.data[3], 255, 'decoded alpha is opaque');
      const error = meanError(rgba, image.data);
      assert.ok(error < 6, `mean error ${error}`);
    });

    it('makes smaller files at lower quality and leaves the input untouched', async () => {
      const copy = Buffer.from(rgba);
      const high = await codec.encode(rgba, WIDTH, HEIGHT, 95);
      const low = await codec.encode(rgba, WIDTH, HEIGHT, 20);
      assert.ok(low.length < high.length, `${low.length} >= ${high.length}`);
      assert.deepEqual(rgba, copy);
    });

    it('rejects a bad quality or size with UDPCAM_ERR_INVALID_OPTION, and bad bytes with UDPCAM_ERR_SOURCE', async () => {
      await assert.rejects(codec.encode(rgba, WIDTH, HEIGHT, 0), { code: 'UDPCAM_ERR_INVALID_OPTION' });
      await assert.rejects(codec.encode(rgba, WIDTH, HEIGHT - 1, 80), { code: 'UDPCAM_ERR_INVALID_OPTION' });
      await assert.rejects(codec.decode(Buffer.from('not a jpeg at all')), { code: 'UDPCAM_ERR_SOURCE' });
    });
  });
}

describe('loadCodec', () => {
  it("picks sharp for 'auto' here, and lists both codecs", async () => {
    const codec = await loadCodec('auto');
    assert.ok(codec instanceof SharpCodec);
    assert.equal(codec.name, 'sharp');
    assert.deepEqual(await availableCodecs(), ['sharp', 'jpeg-js']);
  });

  it("gives jpeg-js on a worker for 'jpeg-js', inline when asked", async () => {
    const worker = await loadCodec('jpeg-js');
    assert.ok(worker instanceof WorkerCodec);
    await worker.close?.();
    assert.ok((await loadCodec('jpeg-js', { inline: true })) instanceof JpegJsCodec);
  });

  it("falls back to jpeg-js for 'auto' and fails coded for 'sharp' when sharp does not load", async () => {
    const importSharp = () => Promise.reject(new Error("Cannot find package 'sharp'"));
    const auto = await loadCodec('auto', { importSharp, inline: true });
    assert.ok(auto instanceof JpegJsCodec);
    assert.deepEqual(await availableCodecs({ importSharp }), ['jpeg-js']);
    await assert.rejects(loadCodec('sharp', { importSharp }), {
      code: 'UDPCAM_ERR_INVALID_OPTION',
      message: /Cannot find package 'sharp'.*npm install sharp/,
    });
    assert.match(
      sharpMissingMessage(new Error('x\ny')),
      /not available \(x\); install it with "npm install sharp"/,
    );
  });

  it('rejects an unknown codec name', async () => {
    await assert.rejects(loadCodec('png' as 'auto'), { code: 'UDPCAM_ERR_INVALID_OPTION' });
  });
});

describe('WorkerCodec', () => {
  it('encodes off the main thread: the event loop turns while a 1920x1080 encode runs', async () => {
    const width = 1920;
    const height = 1080;
    const big = Buffer.from(new TestPatternSource({ width, height }).render(1, 1_700_000_000_000));
    const codec = new WorkerCodec();
    try {
      await codec.encode(rgba, WIDTH, HEIGHT, 80); // start the worker first
      assert.notEqual(codec.threadId, threadId);
      // Count event-loop turns until the encode is done. An encode on this thread would block
      // the loop and finish before the first turn; on the worker, the loop keeps turning. (No
      // durations: only whether the loop got to run at all.)
      let done = false;
      let turnsDuring = 0;
      const encoding = codec.encode(big, width, height, 80).finally(() => {
        done = true;
      });
      while (!done) {
        await new Promise((resolve) => setImmediate(resolve));
        if (!done) turnsDuring++;
      }
      assert.ok(isWellFormedJpeg(await encoding));
      assert.ok(turnsDuring >= 1, 'the event loop turned during the encode');
    } finally {
      await codec.close();
    }
  });

  it('runs concurrent requests in order and rejects with UDPCAM_ERR_CLOSED after close()', async () => {
    const codec = new WorkerCodec();
    const [a, b] = await Promise.all([
      codec.encode(rgba, WIDTH, HEIGHT, 90),
      codec.encode(rgba, WIDTH, HEIGHT, 20),
    ]);
    assert.ok(a.length > b.length);
    await codec.close();
    await codec.close();
    await assert.rejects(codec.encode(rgba, WIDTH, HEIGHT, 80), { code: 'UDPCAM_ERR_CLOSED' });
  });
});
