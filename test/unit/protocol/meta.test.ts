import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { crc32 } from 'node:zlib';
import {
  COM,
  checkCameraName,
  type FrameMeta,
  isCameraName,
  isWellFormedJpeg,
  readCheckedFrameMeta,
  readFrameMeta,
  withFrameMeta,
} from '@udpcam/protocol';
import fc from 'fast-check';
import {
  decodeJpeg,
  jpegPool,
  listSegments,
  makeJpeg,
  makeJpegWithComments,
  TEST_EPOCH_US,
} from '../../helpers/jpeg.js';
import { fromHex } from '../../helpers/wire.js';

const APP0 = 0xe0;
const APP1 = 0xe1;
const BASE = makeJpeg({ width: 24, height: 16, quality: 75 });
const META: FrameMeta = { seq: 41, captureUs: TEST_EPOCH_US + 123 };

/** The COM segments in a JPEG's header whose text starts with udpcam's magic. */
function udpcamComments(data: Buffer): string[] {
  return listSegments(data)
    .filter((segment) => segment.marker === COM)
    .map((segment) => data.toString('latin1', segment.offset + 4, segment.offset + segment.length))
    .filter((text) => text.startsWith('UDPCAM1 '));
}

/** Index in the header segment list of the udpcam COM segment. */
function metaIndex(data: Buffer): number {
  return listSegments(data).findIndex(
    (segment) =>
      segment.marker === COM &&
      data.toString('latin1', segment.offset + 4, segment.offset + 12) === 'UDPCAM1 ',
  );
}

/** An APP1 segment (marker, length, payload) built from its parts, e.g. an Exif stand-in. */
function appSegment(marker: number, payload: Buffer): Buffer {
  const header = Buffer.alloc(4);
  header[0] = 0xff;
  header[1] = marker;
  header.writeUInt16BE(payload.length + 2, 2);
  return Buffer.concat([header, payload]);
}

/** The comment withFrameMeta writes into `base` (which carries no udpcam comment of its own). */
function stampText(base: Buffer, meta: FrameMeta): string {
  const crc = crc32(base).toString(16).padStart(8, '0');
  const name = meta.name === undefined ? '' : ` name=${meta.name}`;
  return `UDPCAM1 seq=${meta.seq} ts=${meta.captureUs} crc=${crc}${name}`;
}

/** Offset of the first byte after udpcam's COM segment. */
function metaEnd(data: Buffer): number {
  const segment = listSegments(data)[metaIndex(data)]!;
  return segment.offset + segment.length;
}

/** Metadata values withFrameMeta accepts: non-negative safe integers. */
const anyMeta = fc.record({ seq: fc.maxSafeNat(), captureUs: fc.maxSafeNat() });

describe('withFrameMeta / readFrameMeta', () => {
  test('round trip on every pool JPEG', () => {
    for (const [i, base] of jpegPool().entries()) {
      const meta = { seq: i, captureUs: TEST_EPOCH_US + i * 33_333 };
      assert.deepEqual(readFrameMeta(withFrameMeta(base, meta)), meta);
    }
  });

  test('round trip for every seq and captureUs withFrameMeta accepts (property)', () => {
    fc.assert(
      fc.property(anyMeta, (meta) => {
        assert.deepEqual(readFrameMeta(withFrameMeta(BASE, meta)), { ...meta });
      }),
      {
        numRuns: 300,
        // The largest values it accepts, and the first seq with 16 digits.
        examples: [
          [{ seq: 0, captureUs: 0 }],
          [{ seq: Number.MAX_SAFE_INTEGER, captureUs: Number.MAX_SAFE_INTEGER }],
          [{ seq: 10 ** 15, captureUs: TEST_EPOCH_US }],
        ],
      },
    );
  });

  test('the result is a well-formed JPEG that decodes to the same pixels as the original', () => {
    for (const base of jpegPool()) {
      const stamped = withFrameMeta(base, META);
      assert.ok(isWellFormedJpeg(stamped));
      assert.equal(stamped.length, base.length + udpcamComments(stamped)[0]!.length + 4);
      const before = decodeJpeg(base);
      const after = decodeJpeg(stamped);
      assert.equal(after.width, before.width);
      assert.equal(after.height, before.height);
      assert.ok(after.pixels.equals(before.pixels), 'pixels differ after adding metadata');
      assert.deepEqual(after.comments, [stampText(base, META)]);
    }
  });

  test('the original JPEG is left unchanged', () => {
    const copy = Buffer.from(BASE);
    withFrameMeta(BASE, META);
    assert.ok(BASE.equals(copy));
  });

  test('meta goes right after the APP0 (JFIF) segment', () => {
    const stamped = withFrameMeta(BASE, META);
    const segments = listSegments(stamped);
    assert.equal(segments[0]!.marker, APP0);
    assert.equal(metaIndex(stamped), 1);
    // Everything else is where it was, shifted by the inserted segment.
    const meta = segments[1]!;
    assert.ok(stamped.subarray(0, meta.offset).equals(BASE.subarray(0, meta.offset)));
    assert.ok(stamped.subarray(meta.offset + meta.length).equals(BASE.subarray(meta.offset)));
  });

  test('meta goes after every leading APPn segment (JFIF then Exif), and right after SOI without any', () => {
    const app0End = listSegments(BASE)[0]!.length + 2;
    const exif = appSegment(APP1, Buffer.from('Exif\0\0MM\0*', 'latin1'));
    const withExif = Buffer.concat([BASE.subarray(0, app0End), exif, BASE.subarray(app0End)]);
    assert.ok(isWellFormedJpeg(withExif));
    const stamped = withFrameMeta(withExif, META);
    assert.deepEqual(
      listSegments(stamped)
        .slice(0, 3)
        .map((segment) => segment.marker),
      [APP0, APP1, COM],
    );
    assert.deepEqual(readFrameMeta(stamped), META);

    const bare = Buffer.concat([BASE.subarray(0, 2), BASE.subarray(app0End)]);
    const bareStamped = withFrameMeta(bare, META);
    assert.equal(listSegments(bareStamped)[0]!.offset, 2);
    assert.equal(metaIndex(bareStamped), 0);
    assert.deepEqual(readFrameMeta(bareStamped), META);
  });

  test('replacing existing meta does not duplicate it', () => {
    const once = withFrameMeta(BASE, { seq: 1, captureUs: 2 });
    const twice = withFrameMeta(once, { seq: 123_456, captureUs: TEST_EPOCH_US });
    assert.deepEqual(readFrameMeta(twice), { seq: 123_456, captureUs: TEST_EPOCH_US });
    assert.equal(udpcamComments(twice).length, 1);
    assert.ok(twice.equals(withFrameMeta(BASE, { seq: 123_456, captureUs: TEST_EPOCH_US })));

    fc.assert(
      fc.property(fc.array(anyMeta, { minLength: 1, maxLength: 5 }), (metas) => {
        let data = BASE;
        for (const meta of metas) data = withFrameMeta(data, meta);
        assert.equal(udpcamComments(data).length, 1);
        assert.ok(data.equals(withFrameMeta(BASE, metas.at(-1)!)));
      }),
      { numRuns: 100 },
    );
  });

  test('other COM segments are kept and not taken for metadata', () => {
    const commented = makeJpegWithComments({ width: 12, height: 12, quality: 60 }, [
      'made by a camera',
      'UDPCAM10 a later format',
    ]);
    assert.equal(readFrameMeta(commented), undefined);
    const stamped = withFrameMeta(commented, META);
    assert.deepEqual(readFrameMeta(stamped), META);
    assert.deepEqual(decodeJpeg(stamped).comments.sort(), [
      stampText(commented, META),
      'UDPCAM10 a later format',
      'made by a camera',
    ]);
  });

  test('a damaged udpcam comment reads undefined and is replaced, not kept beside the new one', () => {
    const damaged = makeJpegWithComments({ width: 12, height: 12, quality: 60 }, ['UDPCAM1 seq=x ts=1']);
    assert.equal(readFrameMeta(damaged), undefined);
    const stamped = withFrameMeta(damaged, META);
    assert.deepEqual(readFrameMeta(stamped), META);
    const [comment, ...others] = udpcamComments(stamped);
    assert.match(comment!, new RegExp(`^UDPCAM1 seq=${META.seq} ts=${META.captureUs} crc=[0-9a-f]{8}$`));
    assert.deepEqual(others, []);
  });

  test('readCheckedFrameMeta: a stamped frame matches; a changed byte outside the comment does not', () => {
    const stamped = withFrameMeta(BASE, META);
    assert.notEqual(readCheckedFrameMeta(stamped), false);
    // The CRC covers exactly the bytes outside udpcam's comment: here, the original JPEG's.
    assert.ok(stampText(BASE, META).endsWith(crc32(BASE).toString(16).padStart(8, '0')));
    // (A damaged header hides the comment itself; the JPEG structure check catches those.)
    for (const at of [metaEnd(stamped), metaEnd(stamped) + 40, stamped.length - 3]) {
      const changed = Buffer.from(stamped);
      changed[at] = changed[at]! ^ 0x01;
      assert.equal(readCheckedFrameMeta(changed), false, `byte ${at}`);
    }
    // Frames without udpcam metadata, or from senders before the CRC, are not judged.
    assert.notEqual(readCheckedFrameMeta(BASE), false);
    const noCrc = makeJpegWithComments({ width: 12, height: 12, quality: 60 }, ['UDPCAM1 seq=1 ts=2']);
    assert.notEqual(readCheckedFrameMeta(noCrc), false);
  });

  test('readFrameMeta returns what withFrameMeta wrote, even when the input carries two udpcam comments', () => {
    // withFrameMeta replaces the last udpcam COM segment while readFrameMeta reads the first one.
    for (const comments of [
      ['UDPCAM1 seq=1 ts=1', 'UDPCAM1 seq=2 ts=2'],
      ['UDPCAM1 broken', 'UDPCAM1 seq=2 ts=2'],
    ]) {
      const input = makeJpegWithComments({ width: 8, height: 8, quality: 50 }, comments);
      assert.deepEqual(
        readFrameMeta(withFrameMeta(input, META)),
        META,
        `input comments ${JSON.stringify(comments)}`,
      );
    }
  });

  test('a JPEG without metadata reads undefined', () => {
    for (const base of jpegPool()) assert.equal(readFrameMeta(base), undefined);
  });

  test('bytes that are not a JPEG read undefined', () => {
    for (const hex of ['', 'ff d8', 'ff d8 ff fe 00 02', '00 01 02 03 04 05 06 07']) {
      assert.equal(readFrameMeta(fromHex(hex)), undefined, hex);
    }
  });

  test('reads metadata from a view at an offset of a larger buffer', () => {
    const stamped = withFrameMeta(BASE, META);
    const backing = Buffer.concat([fromHex('55 55 55 55 55'), stamped]);
    assert.deepEqual(readFrameMeta(backing.subarray(5)), META);
  });

  test('refuses metadata that is not non-negative safe integers: UDPCAM_ERR_INVALID_OPTION', () => {
    for (const meta of [
      { seq: -1, captureUs: 0 },
      { seq: 1.5, captureUs: 0 },
      { seq: Number.NaN, captureUs: 0 },
      { seq: 0, captureUs: -5 },
      { seq: 0, captureUs: Number.MAX_SAFE_INTEGER + 1 },
      { seq: 0, captureUs: Number.POSITIVE_INFINITY },
    ]) {
      assert.throws(
        () => withFrameMeta(BASE, meta),
        { code: 'UDPCAM_ERR_INVALID_OPTION' },
        JSON.stringify(meta),
      );
    }
  });

  test('refuses bytes whose header cannot be walked: UDPCAM_ERR_NOT_JPEG', () => {
    const scanAt = listSegments(BASE).at(-1)!.offset;
    for (const bytes of [
      fromHex(''),
      fromHex('00 00 00 00'),
      fromHex('ff d8 ff d9'),
      BASE.subarray(0, scanAt),
    ]) {
      assert.throws(() => withFrameMeta(bytes, META), { code: 'UDPCAM_ERR_NOT_JPEG' });
    }
  });

  test('a camera name rides along (name=...), and an older reader without one still reads seq and ts', () => {
    const named = withFrameMeta(BASE, { ...META, name: 'door-1.left' });
    assert.deepEqual(udpcamComments(named), [stampText(BASE, { ...META, name: 'door-1.left' })]);
    assert.deepEqual(readFrameMeta(named), { ...META, name: 'door-1.left' });
    assert.ok(isWellFormedJpeg(named));
    assert.deepEqual(readFrameMeta(withFrameMeta(BASE, META)), META, 'no name, no field');
  });

  test('camera names: letters, digits, . _ -, 1..64, not only dots; anything else is a one-line error', () => {
    for (const name of ['door', 'cam1', 'a.b', '.hidden', 'x-y_z', 'a'.repeat(64)]) {
      assert.ok(isCameraName(name), name);
      assert.equal(checkCameraName(name), name);
    }
    for (const name of ['', '.', '..', '...', 'a b', 'a/b', '../x', 'é', 'a'.repeat(65), 'a=b']) {
      assert.ok(!isCameraName(name), name);
      assert.throws(
        () => checkCameraName(name, '--name'),
        (error: Error & { code?: string }) => {
          assert.equal(error.code, 'UDPCAM_ERR_INVALID_OPTION');
          assert.ok(error.message.startsWith('--name '), error.message);
          assert.ok(!error.message.includes('\n'));
          return true;
        },
      );
      assert.throws(() => withFrameMeta(BASE, { ...META, name }), { code: 'UDPCAM_ERR_INVALID_OPTION' });
    }
  });
});
