import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isWellFormedJpeg } from '@udpcam/protocol';
import { TestPatternSource } from '@udpcam/sender';

type Rect = TestPatternSource['layout']['panel'];

import jpeg from 'jpeg-js';

import { JpegJsCodec } from '#sender/encoders/jpeg-js.js';

function pixel(data: Uint8Array, width: number, x: number, y: number): [number, number, number, number] {
  const at = (y * width + x) * 4;
  return [data[at]!, data[at + 1]!, data[at + 2]!, data[at + 3]!];
}

/** A copy of the RGBA bytes inside `rect`. */
function region(data: Buffer, width: number, rect: Rect): Buffer {
  const rows: Buffer[] = [];
  for (let y = rect.y; y < rect.y + rect.height; y++) {
    rows.push(Buffer.from(data.subarray((y * width + rect.x) * 4, (y * width + rect.x + rect.width) * 4)));
  }
  return Buffer.concat(rows);
}

async function started(options?: { width: number; height: number }): Promise<TestPatternSource> {
  const source = new TestPatternSource(options);
  await source.start();
  return source;
}

describe('TestPatternSource', () => {
  it('delivers 640x360 RGBA frames by default, stamped with the current time', async () => {
    const source = await started();
    const before = Date.now() * 1000;
    const frame = await source.grab();
    const after = Date.now() * 1000;
    assert.equal(frame.kind, 'rgba');
    assert.equal(frame.width, 640);
    assert.equal(frame.height, 360);
    assert.equal(frame.data.length, 640 * 360 * 4);
    // wallClockUs comes from performance.timeOrigin, which may sit a ms or two off Date.now().
    assert.ok(
      frame.captureUs >= before - 5000 && frame.captureUs <= after + 5000,
      `captureUs ${frame.captureUs}`,
    );
    await source.stop();
  });

  it('changes from frame to frame', async () => {
    const source = await started();
    const first = Buffer.from((await source.grab()).data);
    const second = Buffer.from((await source.grab()).data);
    assert.notDeepEqual(first, second);
    let changed = 0;
    for (let i = 0; i < first.length; i += 4) if (first.readUInt32LE(i) !== second.readUInt32LE(i)) changed++;
    // The bars' edges (8 edges x 4 px x ~260 rows outside the panel) and the box move every frame.
    assert.ok(changed > 5000, `only ${changed} pixels changed`);
    await source.stop();
  });

  it('renders the same pixels for the same frame number and time', async () => {
    const source = new TestPatternSource();
    const a = Buffer.from(source.render(7, 1_700_000_000_123));
    source.render(8, 1_700_000_999_000);
    const b = source.render(7, 1_700_000_000_123);
    assert.deepEqual(a, b);
  });

  for (const [width, height] of [
    [640, 360],
    [320, 180],
    [1280, 720],
  ] as const) {
    it(`puts the white and red markers where documented at ${width}x${height}`, async () => {
      const source = await started({ width, height });
      const { data } = await source.grab();
      const red = source.layout.redMarker;
      const MARKER_SIZE = red.width;
      const MARKER_BORDER = 4; // the black border, in pixels (test-pattern.ts's file comment)
      assert.deepEqual(source.layout.whiteMarker, { x: 16, y: 16, width: 24, height: 24 });
      assert.deepEqual(source.layout.redMarker, { x: width - 40, y: height - 40, width: 24, height: 24 });
      for (let dy = 0; dy < MARKER_SIZE; dy++) {
        for (let dx = 0; dx < MARKER_SIZE; dx++) {
          assert.deepEqual(pixel(data, width, 16 + dx, 16 + dy), [255, 255, 255, 255]);
          assert.deepEqual(pixel(data, width, red.x + dx, red.y + dy), [255, 0, 0, 255]);
        }
      }
      // Just outside each square: the black border.
      assert.deepEqual(pixel(data, width, 15, 16), [0, 0, 0, 255]);
      assert.deepEqual(pixel(data, width, 40, 39), [0, 0, 0, 255]);
      assert.deepEqual(pixel(data, width, red.x - 1, red.y), [0, 0, 0, 255]);
      assert.deepEqual(
        pixel(data, width, red.x + MARKER_SIZE + MARKER_BORDER - 1, red.y + MARKER_SIZE),
        [0, 0, 0, 255],
      );
      await source.stop();
    });
  }

  it('uses pure white and pure red only in the markers, over many frames', async () => {
    const width = 640;
    const height = 360;
    const source = await started({ width, height });
    const inWhite = (x: number, y: number) => x >= 16 && x < 40 && y >= 16 && y < 40;
    const inRed = (x: number, y: number) =>
      x >= width - 40 && x < width - 16 && y >= height - 40 && y < height - 16;
    for (let frame = 0; frame < 120; frame += 7) {
      const data = source.render(frame, 1_700_000_000_000 + frame * 33);
      let white = 0;
      let red = 0;
      for (let y = 0; y < height; y++) {
        for (let x = 0; x < width; x++) {
          const at = (y * width + x) * 4;
          const [r, g, b] = [data[at]!, data[at + 1]!, data[at + 2]!];
          if (r === 255 && g === 255 && b === 255) {
            assert.ok(inWhite(x, y), `pure white at (${x},${y}) in frame ${frame}`);
            white++;
          } else if (r === 255 && g === 0 && b === 0) {
            assert.ok(inRed(x, y), `pure red at (${x},${y}) in frame ${frame}`);
            red++;
          }
        }
      }
      assert.equal(white, 24 * 24);
      assert.equal(red, 24 * 24);
    }
  });

  it('draws the frame counter, which changes between frames, and leaves the rest of the panel alone', async () => {
    const source = await started();
    const { counter, clock, panel } = source.layout;
    assert.ok(counter.height >= 35, 'counter glyphs are large (at least 35 px tall at 640x360)');
    const width = source.width;
    const first = await source.grab();
    const counter1 = region(first.data, width, counter);
    const second = await source.grab();
    const counter2 = region(second.data, width, counter);
    assert.notDeepEqual(counter1, counter2);
    // Only the last digit changes from frame 0 to frame 1: the leading "FRAME 000000" is the same.
    const digit = 6 * source.layout.textScale;
    const prefix = { ...counter, width: counter.width - digit };
    assert.deepEqual(region(source.render(0, 0), width, prefix), region(source.render(1, 0), width, prefix));
    // The counter and clock lines hold ink (light grey) on the black panel.
    const light = (rect: Rect, data: Buffer) => {
      let n = 0;
      const bytes = region(data, width, rect);
      for (let i = 0; i < bytes.length; i += 4) if (bytes[i] === 235) n++;
      return n;
    };
    const data = source.render(1234567, 1_700_000_000_000);
    assert.ok(light(counter, data) > counter.width * counter.height * 0.15);
    assert.ok(light(clock, data) > clock.width * clock.height * 0.15);
    assert.ok(panel.x <= counter.x && panel.x + panel.width >= counter.x + counter.width);
    await source.stop();
  });

  it('shows the wall clock to the ms, redrawn with the time', () => {
    const date = new Date(2024, 0, 2, 3, 4, 5, 67).getTime();
    const source = new TestPatternSource();
    const { clock } = source.layout;
    const at = (ms: number) => region(source.render(5, ms), source.width, clock);
    assert.deepEqual(at(date), at(date + 0.4), 'the same ms draws the same clock');
    assert.notDeepEqual(at(date), at(date + 1));
  });

  it('has a glyph for every character it draws: "FRAME 0123456789" and "HH:MM:SS.mmm"', () => {
    const source = new TestPatternSource();
    const { counter, clock, textScale } = source.layout;
    /** Character `i` of the line in `rect` as 5x7 glyph pixels ('#' ink, '.' none), read at their centres. */
    const glyphAt = (data: Buffer, rect: Rect, i: number) => {
      let bits = '';
      for (let y = 0; y < 7; y++) {
        for (let x = 0; x < 5; x++) {
          const px = rect.x + i * 6 * textScale + x * textScale + (textScale >> 1);
          const py = rect.y + y * textScale + (textScale >> 1);
          bits += data[(py * source.width + px) * 4] === 235 ? '#' : '.';
        }
      }
      return bits;
    };
    // The font draws a hollow box for a character it lacks.
    const missing = `#####${'#...#'.repeat(5)}#####`;
    const drawn = new Map<string, string>();
    for (const [frame, text] of [
      [123456, 'FRAME 0123456'],
      [789, 'FRAME 0000789'],
    ] as const) {
      const data = Buffer.from(source.render(frame, 0));
      for (let i = 0; i < text.length; i++) drawn.set(text[i]!, glyphAt(data, counter, i));
      // The clock at time 0 reads HH:MM:SS.mmm in local time: ':' at 2 and 5, '.' at 8.
      for (const i of [2, 5, 8]) drawn.set(i === 8 ? '.' : ':', glyphAt(data, clock, i));
    }
    assert.equal(drawn.get(' '), '.'.repeat(35));
    drawn.delete(' ');
    assert.equal(drawn.size, 'FRAME0123456789:.'.length);
    for (const [char, bits] of drawn) {
      assert.notEqual(bits, missing, `no glyph for ${char}`);
      assert.ok(bits.includes('#'), `${char} is drawn`);
    }
    assert.equal(new Set(drawn.values()).size, drawn.size, 'every character has its own glyph');
  });

  it('encodes to a well-formed JPEG of the right size', async () => {
    const source = await started();
    const frame = await source.grab();
    const encoded = await new JpegJsCodec().encode(frame.data, frame.width, frame.height, 80);
    assert.ok(isWellFormedJpeg(encoded));
    const decoded = jpeg.decode(encoded, { useTArray: true });
    assert.equal(decoded.width, 640);
    assert.equal(decoded.height, 360);
    // The markers survive compression: close to pure white and pure red in the middle.
    const [wr, wg, wb] = pixel(decoded.data, 640, 28, 28);
    assert.ok(wr > 240 && wg > 240 && wb > 240, `white marker decodes to ${wr},${wg},${wb}`);
    const [rr, rg, rb] = pixel(decoded.data, 640, 640 - 28, 360 - 28);
    assert.ok(rr > 230 && rg < 30 && rb < 30, `red marker decodes to ${rr},${rg},${rb}`);
    await source.stop();
  });

  it('renders fast (prints the time; benchmarks do not assert)', async (t) => {
    const source = await started();
    for (let i = 0; i < 10; i++) await source.grab();
    const n = 100;
    const start = performance.now();
    for (let i = 0; i < n; i++) await source.grab();
    const perFrame = (performance.now() - start) / n;
    t.diagnostic(`render 640x360: ${perFrame.toFixed(3)} ms per frame`);
    assert.equal(source.frameNumber, 110);
    await source.stop();
  });

  it('refuses to grab before start and rejects bad sizes with a coded error', async () => {
    const source = new TestPatternSource();
    await assert.rejects(source.grab(), { code: 'UDPCAM_ERR_CLOSED' });
    assert.throws(() => new TestPatternSource({ width: 100 }), { code: 'UDPCAM_ERR_INVALID_OPTION' });
    assert.throws(() => new TestPatternSource({ height: 360.5 }), { code: 'UDPCAM_ERR_INVALID_OPTION' });
  });
});
