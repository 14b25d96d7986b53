import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { COM, EOI, isStartOfFrame, isWellFormedJpeg, SOI, SOS, walkSegments } from '@udpcam/protocol';
import fc from 'fast-check';
import { listSegments, makeJpeg, makeJpegWithComments } from '../../helpers/jpeg.js';
import { fromHex } from '../../helpers/wire.js';

const SMALL = makeJpeg({ width: 8, height: 8, quality: 50 });
const SOF0 = 0xc0;
const APP0 = 0xe0;

/** `data` with the segment `segment` (from listSegments) cut out. */
function withoutSegment(data: Buffer, marker: number): Buffer {
  const segment = listSegments(data).find((s) => s.marker === marker);
  assert.ok(segment, `no segment ${marker.toString(16)}`);
  return Buffer.concat([data.subarray(0, segment.offset), data.subarray(segment.offset + segment.length)]);
}

/** Offset just past the SOS header, where the entropy-coded scan starts. */
function scanStart(data: Uint8Array): number {
  const at = walkSegments(data);
  assert.ok(at > 0);
  return at;
}

describe('isWellFormedJpeg', () => {
  test('true for jpeg-js output at several sizes and qualities', () => {
    for (const [width, height] of [
      [1, 1],
      [7, 5],
      [16, 16],
      [33, 17],
      [64, 48],
      [160, 120],
    ] as const) {
      for (const quality of [1, 10, 50, 90, 100]) {
        const data = makeJpeg({ width, height, quality });
        assert.ok(isWellFormedJpeg(data), `${width}x${height} q${quality}`);
      }
    }
  });

  test('true when the JPEG is a view at an offset of a larger buffer', () => {
    const backing = Buffer.concat([fromHex('00 ff d8'), SMALL, fromHex('ff d9 00')]);
    assert.ok(isWellFormedJpeg(backing.subarray(3, 3 + SMALL.length)));
  });

  test('false for every proper prefix of a small JPEG', () => {
    for (let cut = 0; cut < SMALL.length; cut++) {
      assert.equal(isWellFormedJpeg(SMALL.subarray(0, cut)), false, `prefix of ${cut} bytes`);
    }
  });

  test('false for a prefix of a larger JPEG cut anywhere (property)', () => {
    const large = makeJpeg({ width: 96, height: 64, quality: 85 });
    fc.assert(
      fc.property(fc.integer({ min: 0, max: large.length - 1 }), (cut) => {
        assert.equal(isWellFormedJpeg(large.subarray(0, cut)), false);
      }),
      { numRuns: 500 },
    );
  });

  test('false for a header cut before the scan, even with an EOI glued on', () => {
    // The first chunk of a frame ends inside the header when packets are small; FFD9 at its end must
    // not make it pass.
    const eoi = fromHex('ff d9');
    for (let cut = 0; cut < scanStart(SMALL); cut++) {
      assert.equal(isWellFormedJpeg(Buffer.concat([SMALL.subarray(0, cut), eoi])), false, `cut at ${cut}`);
    }
  });

  test('false for empty and short buffers', () => {
    for (const hex of ['', 'ff', 'ff d8', 'ff d9', 'ff d8 ff d9', 'ff d8 ff ff d9', 'ff d8 ff da ff d9']) {
      assert.equal(isWellFormedJpeg(fromHex(hex)), false, hex);
    }
  });

  test('false for junk that starts with FFD8 and ends with FFD9', () => {
    for (const hex of [
      'ff d8 00 00 00 00 00 00 ff d9',
      'ff d8 48 65 6c 6c 6f 21 ff d9',
      'ff d8 ff 00 00 10 00 00 ff d9', // a stuffed zero is not a marker
      'ff d8 ff d8 ff d8 ff d9', // SOI again
      'ff d8 ff d9 ff d9', // EOI before any segment
    ]) {
      assert.equal(isWellFormedJpeg(fromHex(hex)), false, hex);
    }
    // Random bodies: after SOI a marker must start with FF, so none of these is a header.
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 2, maxLength: 300 }).filter((body) => body[0] !== 0xff),
        (body) => {
          assert.equal(isWellFormedJpeg(Buffer.concat([fromHex('ff d8'), body, fromHex('ff d9')])), false);
        },
      ),
      { numRuns: 300 },
    );
    // The scan of a real JPEG between SOI and EOI, without its header.
    const scanOnly = Buffer.concat([fromHex('ff d8'), SMALL.subarray(scanStart(SMALL))]);
    assert.equal(isWellFormedJpeg(scanOnly), false);
  });

  test('false when a segment length runs past the end', () => {
    const app0 = listSegments(SMALL)[0]!;
    assert.equal(app0.marker, APP0);
    for (const length of [0xffff, SMALL.length, SMALL.length - app0.offset - 3]) {
      const broken = Buffer.from(SMALL);
      broken.writeUInt16BE(length, app0.offset + 2);
      assert.equal(isWellFormedJpeg(broken), false, `APP0 length ${length}`);
    }
  });

  test('false when a segment length is below 2 (the length counts its own two bytes)', () => {
    for (const length of [0, 1]) {
      const broken = Buffer.from(SMALL);
      broken.writeUInt16BE(length, 4);
      assert.equal(isWellFormedJpeg(broken), false, `length ${length}`);
    }
  });

  test('false without a frame header (SOF) before the scan', () => {
    const noFrameHeader = withoutSegment(SMALL, SOF0);
    assert.equal(noFrameHeader.at(-1), EOI);
    assert.equal(isWellFormedJpeg(noFrameHeader), false);
  });

  test('false without EOI as the last two bytes', () => {
    assert.equal(isWellFormedJpeg(Buffer.concat([SMALL, fromHex('00')])), false);
    assert.equal(isWellFormedJpeg(Buffer.concat([SMALL.subarray(0, -2), fromHex('ff d8')])), false);
  });

  test('true with 0xFF fill bytes before a marker, and without APP0', () => {
    const filled = Buffer.concat([SMALL.subarray(0, 2), fromHex('ff ff ff'), SMALL.subarray(2)]);
    assert.ok(isWellFormedJpeg(filled));
    assert.ok(isWellFormedJpeg(withoutSegment(SMALL, APP0)));
  });

  test('true with COM segments in the header', () => {
    assert.ok(isWellFormedJpeg(makeJpegWithComments({ width: 9, height: 9, quality: 60 }, ['one', 'two'])));
  });
});

describe('walkSegments', () => {
  test('visits the header segments in order, contiguous, ending with SOS', () => {
    const data = makeJpegWithComments({ width: 20, height: 10, quality: 70 }, ['hello']);
    const segments = listSegments(data);
    assert.ok(segments.length >= 4);
    assert.equal(segments[0]!.offset, 2, 'first segment right after SOI');
    for (let i = 0; i < segments.length; i++) {
      const { marker, offset, length } = segments[i]!;
      assert.equal(data[offset], 0xff);
      assert.equal(data[offset + 1], marker);
      assert.equal(data.readUInt16BE(offset + 2) + 2, length);
      const next = segments[i + 1];
      if (next) assert.equal(offset + length, next.offset, 'segments are contiguous');
    }
    const last = segments.at(-1)!;
    assert.equal(last.marker, SOS);
    assert.equal(walkSegments(data), last.offset + last.length);
    assert.ok(segments.some((segment) => isStartOfFrame(segment.marker)));
    assert.ok(segments.some((segment) => segment.marker === COM));
  });

  test('stops at the segment where visit returns true and returns the offset past it', () => {
    const segments = listSegments(SMALL);
    const second = segments[1]!;
    const seen: number[] = [];
    const end = walkSegments(SMALL, (marker) => {
      seen.push(marker);
      return seen.length === 2;
    });
    assert.deepEqual(
      seen,
      segments.slice(0, 2).map((segment) => segment.marker),
    );
    assert.equal(end, second.offset + second.length);
  });

  test('returns -1 without SOI, and when `end` cuts the header', () => {
    assert.equal(walkSegments(SMALL.subarray(2)), -1);
    assert.equal(walkSegments(fromHex('ff d9 ff d8 ff e0 00 02')), -1);
    assert.equal(walkSegments(SMALL, undefined, scanStart(SMALL) - 1), -1);
    assert.equal(walkSegments(SMALL, undefined, scanStart(SMALL)), scanStart(SMALL));
  });
});

describe('isStartOfFrame', () => {
  test('SOF0..SOF15 are frame headers; DHT, JPG and DAC, which share the range, are not', () => {
    for (const marker of [0xc0, 0xc1, 0xc2, 0xc3, 0xc5, 0xc6, 0xc7, 0xc9, 0xca, 0xcb, 0xcd, 0xce, 0xcf]) {
      assert.ok(isStartOfFrame(marker), marker.toString(16));
    }
    for (const marker of [0xc4, 0xc8, 0xcc, 0xbf, 0xd0, SOI, EOI, SOS, 0xdb, APP0, COM]) {
      assert.equal(isStartOfFrame(marker), false, marker.toString(16));
    }
  });
});
