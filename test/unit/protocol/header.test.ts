import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  type ChunkType,
  decodeDatagram,
  encodeHeader,
  HEADER_BYTES,
  MALFORMED_REASONS,
  MAX_CHUNKS,
  MAX_IMAGE_ID,
  PAYLOAD_OFFSET,
  packedChunkId,
  packedImageId,
  packedType,
  parseHeader,
  UdpcamError,
} from '@udpcam/protocol';
import fc from 'fast-check';
import { readHexFixtures } from '../../helpers/fixtures.js';
import { anyHeader, fromHex } from '../../helpers/wire.js';

const TYPES: readonly ChunkType[] = ['S', 'C', 'E'];
const SAMPLE_IDS = [0, 1, 9, 10, 42, 57, 90, 98, 99];
/** Every type byte parseHeader accepts: S, C, E and udpcam's parity 'P' (docs/protocol.md#parity). */
const TYPE_BYTES = new Set([...TYPES, 'P'].map((type) => type.charCodeAt(0)));

/** Chunk ids a well-formed header of this type can carry: S is always 00, C and E never. */
function chunkIdsFor(type: ChunkType): number[] {
  return type === 'S' ? [0] : [1, 2, 9, 10, 50, 98, 99];
}

/** The reason parseHeader gives, by name, or 'ok'. */
function reasonOf(datagram: Uint8Array): string {
  const packed = parseHeader(datagram);
  return packed < 0 ? MALFORMED_REASONS[-packed]! : 'ok';
}

function assertMalformed(datagram: Uint8Array): void {
  assert.throws(
    () => decodeDatagram(datagram),
    (error: unknown) => error instanceof UdpcamError && error.code === 'UDPCAM_ERR_MALFORMED_DATAGRAM',
  );
}

/** A header of any well-formed kind: type, image id 0..99, chunk id allowed for the type. */
const wellFormedHeader = fc.oneof(
  fc.record({ type: fc.constant<ChunkType>('S'), imageId: fc.nat(MAX_IMAGE_ID), chunkId: fc.constant(0) }),
  fc.record({
    type: fc.constantFrom<ChunkType>('C', 'E'),
    imageId: fc.nat(MAX_IMAGE_ID),
    chunkId: fc.integer({ min: 1, max: MAX_CHUNKS - 1 }),
  }),
);

/** A byte that is not an ASCII digit. */
const nonDigit = fc.integer({ min: 0, max: 255 }).filter((byte) => byte < 0x30 || byte > 0x39);

describe('encodeHeader / parseHeader / decodeDatagram', () => {
  test('known headers, written as hex', () => {
    assert.deepEqual(encodeHeader('S', 42, 0), fromHex('53 34 32 30 30'));
    assert.deepEqual(encodeHeader('C', 7, 12), fromHex('43 30 37 31 32'));
    assert.deepEqual(encodeHeader('E', 0, 99), fromHex('45 30 30 39 39'));

    const decoded = decodeDatagram(fromHex('45 30 37 31 32 ff d9'));
    assert.deepEqual(
      { type: decoded.type, imageId: decoded.imageId, chunkId: decoded.chunkId },
      { type: 'E', imageId: 7, chunkId: 12 },
    );
    assert.deepEqual(Buffer.from(decoded.payload), fromHex('ff d9'));
  });

  test('round trip over every type and a sample of image and chunk ids', () => {
    const payload = fromHex('ff d8 00 01 02 ff d9');
    let checked = 0;
    for (const type of TYPES) {
      for (const imageId of SAMPLE_IDS) {
        for (const chunkId of chunkIdsFor(type)) {
          const header = encodeHeader(type, imageId, chunkId);
          assert.equal(header.length, HEADER_BYTES);
          const datagram = Buffer.concat([header, payload]);

          const packed = parseHeader(datagram);
          assert.ok(packed >= 0, `${type} ${imageId} ${chunkId} parsed as ${reasonOf(datagram)}`);
          assert.equal(String.fromCharCode(packedType(packed)), type);
          assert.equal(packedImageId(packed), imageId);
          assert.equal(packedChunkId(packed), chunkId);

          const decoded = decodeDatagram(datagram);
          assert.equal(decoded.type, type);
          assert.equal(decoded.imageId, imageId);
          assert.equal(decoded.chunkId, chunkId);
          assert.deepEqual(Buffer.from(decoded.payload), payload);
          checked++;
        }
      }
    }
    assert.equal(checked, SAMPLE_IDS.length * (1 + 2 * chunkIdsFor('C').length));
  });

  test('round trip for any well-formed header and payload (property)', () => {
    fc.assert(
      fc.property(
        wellFormedHeader,
        fc.uint8Array({ maxLength: 64 }),
        ({ type, imageId, chunkId }, payload) => {
          const datagram = Buffer.concat([encodeHeader(type, imageId, chunkId), payload]);
          const decoded = decodeDatagram(datagram);
          assert.deepEqual(
            { type: decoded.type, imageId: decoded.imageId, chunkId: decoded.chunkId },
            { type, imageId, chunkId },
          );
          assert.deepEqual(Buffer.from(decoded.payload), Buffer.from(payload));
        },
      ),
      { numRuns: 500 },
    );
  });

  test('parseHeader accepts a datagram exactly when encodeHeader can write its header (property)', () => {
    // Bytes drawn mostly from the header alphabet, so both outcomes are frequent.
    const headerish = fc.oneof(
      fc.constantFrom(0x53, 0x43, 0x45, 0x30, 0x31, 0x39),
      fc.integer({ min: 0x30, max: 0x39 }),
      fc.integer({ min: 0, max: 255 }),
    );
    fc.assert(
      fc.property(fc.array(headerish, { maxLength: 9 }), (bytes) => {
        const datagram = Uint8Array.from(bytes);
        const packed = parseHeader(datagram);
        if (packed < 0) {
          assertMalformed(datagram);
          return;
        }
        const type = String.fromCharCode(packedType(packed)) as ChunkType;
        const header = encodeHeader(type, packedImageId(packed), packedChunkId(packed));
        assert.deepEqual(header, Buffer.from(datagram.subarray(0, HEADER_BYTES)));
        assert.deepEqual(
          Buffer.from(decodeDatagram(datagram).payload),
          Buffer.from(datagram.subarray(HEADER_BYTES)),
        );
      }),
      { numRuns: 2000 },
    );
  });

  test('parseHeader reads a view at any byte offset of a larger buffer', () => {
    const backing = Buffer.concat([fromHex('00 11 22'), encodeHeader('C', 31, 4), fromHex('aa bb')]);
    const view = backing.subarray(3);
    assert.equal(decodeDatagram(view).imageId, 31);
    assert.equal(decodeDatagram(view).chunkId, 4);
  });

  test("decodeDatagram's payload is a view of the datagram, not a copy", () => {
    const datagram = Buffer.concat([encodeHeader('C', 3, 5), fromHex('01 02 03 04')]);
    const { payload } = decodeDatagram(datagram);
    assert.equal(payload.buffer, datagram.buffer);
    assert.equal(payload.byteOffset, datagram.byteOffset + PAYLOAD_OFFSET);
    datagram[PAYLOAD_OFFSET] = 0xee;
    assert.equal(payload[0], 0xee);
  });

  test('a header with an empty payload is well formed', () => {
    const decoded = decodeDatagram(encodeHeader('E', 12, 3));
    assert.equal(decoded.payload.length, 0);
  });

  test('encodeHeader hands out shared views of one table, not new buffers', () => {
    const first = encodeHeader('C', 55, 44);
    const again = encodeHeader('C', 55, 44);
    const other = encodeHeader('E', 55, 44);
    assert.equal(first.buffer, again.buffer);
    assert.equal(first.byteOffset, again.byteOffset);
    assert.equal(first.buffer, other.buffer);
    assert.notEqual(first.byteOffset, other.byteOffset);
  });

  test('encodeHeader refuses image ids outside 0..99 with UDPCAM_ERR_INVALID_IMAGE_ID', () => {
    for (const imageId of [-1, 100, 1000, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) {
      assert.throws(
        () => encodeHeader('C', imageId, 1),
        { code: 'UDPCAM_ERR_INVALID_IMAGE_ID' },
        `image id ${imageId}`,
      );
    }
  });

  test('encodeHeader refuses chunk ids outside 0..99 with UDPCAM_ERR_FRAME_TOO_LARGE', () => {
    for (const chunkId of [-1, 100, 101, 2.5, Number.NaN]) {
      assert.throws(
        () => encodeHeader('E', 1, chunkId),
        { code: 'UDPCAM_ERR_FRAME_TOO_LARGE' },
        `chunk ${chunkId}`,
      );
    }
  });
});

describe('malformed datagrams, one property per reason', () => {
  const options = { numRuns: 300 };

  test('shorter than the 5-byte header: tooShort', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: HEADER_BYTES - 1 }), (datagram) => {
        assert.equal(reasonOf(datagram), 'tooShort');
        assertMalformed(datagram);
      }),
      options,
    );
  });

  test('a first byte other than S, C, E, P: badType', () => {
    const badType = fc.integer({ min: 0, max: 255 }).filter((byte) => !TYPE_BYTES.has(byte));
    fc.assert(
      fc.property(badType, fc.uint8Array({ minLength: HEADER_BYTES - 1, maxLength: 20 }), (type, rest) => {
        const datagram = Uint8Array.from([type, ...rest]);
        assert.equal(reasonOf(datagram), 'badType');
        assertMalformed(datagram);
      }),
      options,
    );
  });

  test('a non-digit in the image id: badImageId', () => {
    fc.assert(
      fc.property(wellFormedHeader, fc.integer({ min: 1, max: 2 }), nonDigit, (header, at, byte) => {
        const datagram = Buffer.from(encodeHeader(header.type, header.imageId, header.chunkId));
        datagram[at] = byte;
        assert.equal(reasonOf(datagram), 'badImageId');
        assertMalformed(datagram);
      }),
      options,
    );
  });

  test('a non-digit in the chunk id: badChunkId', () => {
    fc.assert(
      fc.property(wellFormedHeader, fc.integer({ min: 3, max: 4 }), nonDigit, (header, at, byte) => {
        const datagram = Buffer.from(encodeHeader(header.type, header.imageId, header.chunkId));
        datagram[at] = byte;
        assert.equal(reasonOf(datagram), 'badChunkId');
        assertMalformed(datagram);
      }),
      options,
    );
  });

  test('an S chunk with a chunk id other than 00: startNotFirst', () => {
    fc.assert(
      fc.property(fc.nat(MAX_IMAGE_ID), fc.integer({ min: 1, max: MAX_CHUNKS - 1 }), (imageId, chunkId) => {
        const datagram = anyHeader('S', imageId, chunkId);
        assert.equal(reasonOf(datagram), 'startNotFirst');
        assertMalformed(datagram);
      }),
      options,
    );
  });

  test('a C or E chunk numbered 00: firstNotStart', () => {
    fc.assert(
      fc.property(fc.constantFrom<ChunkType>('C', 'E'), fc.nat(MAX_IMAGE_ID), (type, imageId) => {
        const datagram = anyHeader(type, imageId, 0);
        assert.equal(reasonOf(datagram), 'firstNotStart');
        assertMalformed(datagram);
      }),
      options,
    );
  });
});

describe('invalid datagram fixtures (test/fixtures/datagrams/invalid)', () => {
  const fixtures = readHexFixtures('datagrams', 'invalid');
  const reasons = new Set<string>(MALFORMED_REASONS.slice(1));

  /** The reason a fixture's comment names: "# expected: <reason> — ...". */
  function expectedReason(comment: string): string {
    const match = /^expected:\s*([A-Za-z]+)/.exec(comment);
    assert.ok(match, `comment does not name the expected reason: ${comment}`);
    assert.ok(reasons.has(match[1]!), `not a MALFORMED_REASONS name: ${match[1]}`);
    return match[1]!;
  }

  test('every malformed reason has at least one fixture', () => {
    const covered = new Set(fixtures.map((fixture) => expectedReason(fixture.comment)));
    assert.deepEqual([...covered].sort(), [...reasons].sort());
  });

  for (const fixture of fixtures) {
    test(`${fixture.name}: ${fixture.comment}`, () => {
      assert.equal(reasonOf(fixture.bytes), expectedReason(fixture.comment));
      assertMalformed(fixture.bytes);
    });
  }
});
