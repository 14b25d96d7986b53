import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isWellFormedJpeg } from '@udpcam/protocol';
import { TestPatternSource } from '@udpcam/sender';
import jpeg from 'jpeg-js';
import { DEFAULT_QUALITY } from '#sender/encoders/encoder.js';
import { JpegJsCodec } from '#sender/encoders/jpeg-js.js';

describe('JpegJsCodec', () => {
  const encoder = new JpegJsCodec();
  const pattern = new TestPatternSource({ width: 320, height: 180 });
  const rgba = Buffer.from(pattern.render(3, 1_700_000_000_000));

  it('encodes RGBA to a JPEG that decodes to the same size and colours', async () => {
    const encoded = await encoder.encode(rgba, 320, 180, 90);
    assert.ok(isWellFormedJpeg(encoded));
    const decoded = jpeg.decode(encoded, { useTArray: true });
    assert.equal(decoded.width, 320);
    assert.equal(decoded.height, 180);
    // Mean absolute error per channel stays small at quality 90.
    let error = 0;
    for (let i = 0; i < rgba.length; i += 4) {
      for (let c = 0; c < 3; c++) error += Math.abs(rgba[i + c]! - decoded.data[i + c]!);
    }
    assert.ok(error / (320 * 180 * 3) < 6, `mean error ${error / (320 * 180 * 3)}`);
  });

  it('makes smaller files at lower quality, and defaults to 80', async () => {
    const high = (await encoder.encode(rgba, 320, 180, 95)).length;
    const low = (await encoder.encode(rgba, 320, 180, 20)).length;
    assert.ok(low < high, `${low} >= ${high}`);
    assert.equal(DEFAULT_QUALITY, 80);
    const byDefault = await (encoder.encode as (rgba: Buffer, w: number, h: number) => Promise<Buffer>)(
      rgba,
      320,
      180,
    );
    assert.deepEqual(byDefault, await encoder.encode(rgba, 320, 180, 80));
  });

  it('rejects a bad quality or a buffer of the wrong size with UDPCAM_ERR_INVALID_OPTION', async () => {
    for (const quality of [0, 101, 50.5, Number.NaN]) {
      await assert.rejects(encoder.encode(rgba, 320, 180, quality), { code: 'UDPCAM_ERR_INVALID_OPTION' });
    }
    await assert.rejects(encoder.encode(rgba, 320, 179, 80), { code: 'UDPCAM_ERR_INVALID_OPTION' });
    await assert.rejects(encoder.encode(rgba.subarray(4), 320, 180, 80), {
      code: 'UDPCAM_ERR_INVALID_OPTION',
    });
  });
});
