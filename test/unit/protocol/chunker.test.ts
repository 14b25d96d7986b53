import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  type ChunkDatagram,
  chunkCount,
  chunkFrame,
  decodeDatagram,
  ImageIdCycle,
  LEGACY_SIZE_OVERHEAD,
  legacyChunkCount,
  legacyChunkFrame,
  legacyImageId,
  MAX_CHUNKS,
  MAX_PACKET_SIZE,
  MIN_PACKET_SIZE,
  maxFrameBytes,
} from '@udpcam/protocol';
import fc from 'fast-check';
import { Xorshift32 } from '../../helpers/random.js';
import { toDatagram } from '../../helpers/wire.js';

/** A frame of `length` seeded random bytes (chunkFrame does not look inside). */
function frameOf(length: number, seed = length): Buffer {
  return new Xorshift32(seed + 1).bytes(length);
}

/** Header fields of every chunk, decoded by the codec. */
function headersOf(chunks: readonly ChunkDatagram[]): { type: string; imageId: number; chunkId: number }[] {
  return chunks.map((chunk) => {
    const { type, imageId, chunkId } = decodeDatagram(toDatagram(chunk));
    return { type, imageId, chunkId };
  });
}

/** The chunk types a frame of `count` chunks must carry: S, C..., E (or a lone S). */
function expectedTypes(count: number): string[] {
  return Array.from({ length: count }, (_, i) => (i === 0 ? 'S' : i === count - 1 ? 'E' : 'C'));
}

/** A frame's `count` chunks carry S, C..., E in order, chunk ids 0..count-1 and `imageId`. */
function assertHeaders(chunks: readonly ChunkDatagram[], count: number, imageId: number): void {
  const headers = headersOf(chunks);
  assert.deepEqual(
    headers.map((header) => header.type),
    expectedTypes(count),
  );
  assert.deepEqual(
    headers.map((header) => header.chunkId),
    chunks.map((_, i) => i),
  );
  assert.ok(headers.every((header) => header.imageId === imageId));
}

function payloadLengths(chunks: readonly ChunkDatagram[]): number[] {
  return chunks.map(([, payload]) => payload.length);
}

/** A packet size and a frame length that fits in 100 chunks of it (from 2 bytes to the limit). */
const fittingFrame = fc.integer({ min: MIN_PACKET_SIZE, max: 2000 }).chain((packetSize) =>
  fc.record({
    packetSize: fc.constant(packetSize),
    length: fc.oneof(
      fc.integer({ min: 2, max: maxFrameBytes(packetSize) }),
      fc.integer({ min: 2, max: 3 * packetSize }),
      fc.constantFrom(2, packetSize - 1, packetSize, packetSize + 1, maxFrameBytes(packetSize)),
    ),
    imageId: fc.nat(99),
  }),
);

describe('chunkFrame (udpcam framing)', () => {
  test('chunks concatenate to the frame, near-equal sizes, S..C..E with the right ids (property)', () => {
    fc.assert(
      fc.property(fittingFrame, ({ packetSize, length, imageId }) => {
        const frame = frameOf(length);
        const chunks = chunkFrame(frame, imageId, packetSize);
        const count = Math.max(2, Math.ceil(length / packetSize));

        assert.equal(chunks.length, count);
        assert.equal(chunkCount(length, packetSize), count);
        assert.deepEqual(Buffer.concat(chunks.map(([, payload]) => payload)), frame);

        const sizes = payloadLengths(chunks);
        assert.ok(Math.min(...sizes) >= 1, 'no chunk is empty');
        assert.ok(Math.max(...sizes) - Math.min(...sizes) <= 1, `sizes differ by more than 1: ${sizes}`);
        assert.ok(Math.max(...sizes) <= packetSize, 'no payload exceeds packetSize');
        // The longer chunks come first.
        for (let i = 1; i < sizes.length; i++) assert.ok(sizes[i]! <= sizes[i - 1]!);

        assertHeaders(chunks, count, imageId);
      }),
      { numRuns: 300 },
    );
  });

  test('a frame smaller than packetSize still goes in two chunks, S and E', () => {
    for (const length of [2, 3, 10, 999]) {
      const frame = frameOf(length);
      const chunks = chunkFrame(frame, 5, 1000);
      assert.deepEqual(
        headersOf(chunks).map((header) => header.type),
        ['S', 'E'],
      );
      assert.deepEqual(payloadLengths(chunks), [Math.ceil(length / 2), Math.floor(length / 2)]);
      assert.deepEqual(Buffer.concat(chunks.map(([, payload]) => payload)), frame);
    }
  });

  test('a frame of exactly 100 chunks is accepted; one byte more throws UDPCAM_ERR_FRAME_TOO_LARGE', () => {
    const packetSize = 37;
    const limit = maxFrameBytes(packetSize);
    const chunks = chunkFrame(frameOf(limit), 99, packetSize);
    assert.equal(chunks.length, MAX_CHUNKS);
    assert.deepEqual(headersOf(chunks).at(-1), { type: 'E', imageId: 99, chunkId: MAX_CHUNKS - 1 });

    assert.throws(() => chunkFrame(frameOf(limit + 1), 0, packetSize), {
      code: 'UDPCAM_ERR_FRAME_TOO_LARGE',
    });
    assert.throws(() => chunkFrame(frameOf(50_000), 0, MIN_PACKET_SIZE), {
      code: 'UDPCAM_ERR_FRAME_TOO_LARGE',
    });
  });

  test('packet sizes that are not integers in MIN_PACKET_SIZE..MAX_PACKET_SIZE throw UDPCAM_ERR_INVALID_PACKET_SIZE', () => {
    const frame = frameOf(100);
    for (const packetSize of [
      MIN_PACKET_SIZE - 1,
      0,
      -16,
      16.5,
      Number.NaN,
      Number.POSITIVE_INFINITY,
      MAX_PACKET_SIZE + 1,
    ]) {
      assert.throws(
        () => chunkFrame(frame, 0, packetSize),
        { code: 'UDPCAM_ERR_INVALID_PACKET_SIZE' },
        `packet size ${packetSize}`,
      );
    }
    assert.equal(chunkFrame(frame, 0, MIN_PACKET_SIZE).length, Math.ceil(100 / MIN_PACKET_SIZE));
    assert.equal(chunkFrame(frame, 0, MAX_PACKET_SIZE).length, 2);
  });

  test('frames under 2 bytes cannot make an S and an E: UDPCAM_ERR_NOT_JPEG', () => {
    assert.throws(() => chunkFrame(Buffer.alloc(0), 0, 100), { code: 'UDPCAM_ERR_NOT_JPEG' });
    assert.throws(() => chunkFrame(Buffer.alloc(1), 0, 100), { code: 'UDPCAM_ERR_NOT_JPEG' });
  });

  test('invalid image ids throw UDPCAM_ERR_INVALID_IMAGE_ID', () => {
    assert.throws(() => chunkFrame(frameOf(100), 100, 100), { code: 'UDPCAM_ERR_INVALID_IMAGE_ID' });
    assert.throws(() => chunkFrame(frameOf(100), -1, 100), { code: 'UDPCAM_ERR_INVALID_IMAGE_ID' });
  });

  test("payloads are views that share the frame's memory", () => {
    // A frame that is itself a view at an offset, as a pooled Buffer would be.
    const backing = frameOf(4000);
    const frame = backing.subarray(123, 3123);
    const chunks = chunkFrame(frame, 1, 250);
    let offset = 0;
    for (const [, payload] of chunks) {
      assert.equal(payload.buffer, frame.buffer);
      assert.equal(payload.byteOffset, frame.byteOffset + offset);
      offset += payload.length;
    }
    frame[0] = frame[0]! ^ 0xff;
    assert.equal(chunks[0]![1][0], frame[0]);
  });
});

describe('ImageIdCycle', () => {
  test('counts 0..99 and wraps 99 -> 0', () => {
    const cycle = new ImageIdCycle();
    const ids = Array.from({ length: 250 }, () => cycle.next());
    ids.forEach((id, i) => {
      assert.equal(id, i % 100);
    });
  });

  test('starts where asked and wraps from 99', () => {
    const cycle = new ImageIdCycle(98);
    assert.deepEqual([cycle.next(), cycle.next(), cycle.next(), cycle.next()], [98, 99, 0, 1]);
    const wrapped = new ImageIdCycle(250);
    assert.equal(wrapped.next(), 50);
  });

  test('consecutive ids never repeat within 100 frames', () => {
    fc.assert(
      fc.property(fc.nat(99), (first) => {
        const cycle = new ImageIdCycle(first);
        const ids = Array.from({ length: 100 }, () => cycle.next());
        assert.equal(new Set(ids).size, 100);
        ids.forEach((id, i) => {
          assert.equal(ids[(i + 1) % 100], (id + 1) % 100);
        });
      }),
    );
  });
});

describe('legacyChunkFrame (the Python sender framing)', () => {
  /** Packet sizes and frame lengths around the interesting edges: lone S, empty E, many empty chunks. */
  const legacyFrame = fc
    .record({ length: fc.integer({ min: 0, max: 20_000 }), imageId: fc.integer({ min: 10, max: 99 }) })
    .chain(({ length, imageId }) => {
      const smallest = Math.floor((length + LEGACY_SIZE_OVERHEAD) / MAX_CHUNKS) + 1;
      return fc.record({
        length: fc.constant(length),
        imageId: fc.constant(imageId),
        packetSize: fc.oneof(
          fc.integer({ min: Math.max(MIN_PACKET_SIZE, smallest), max: length + 2 * LEGACY_SIZE_OVERHEAD }),
          fc.integer({ min: -2, max: 2 }).map((delta) => Math.max(MIN_PACKET_SIZE, smallest, length + delta)),
          fc
            .integer({ min: -2, max: 2 })
            .map((delta) => Math.max(MIN_PACKET_SIZE, smallest, length + LEGACY_SIZE_OVERHEAD + delta)),
        ),
      });
    });

  test('count = int((L + 112) / packetSize) + 1, payloads concatenate to the frame, full chunks first (property)', () => {
    fc.assert(
      fc.property(legacyFrame, ({ length, imageId, packetSize }) => {
        const frame = frameOf(length);
        const chunks = legacyChunkFrame(frame, imageId, packetSize);
        // main.py: int((len + 112) / packet_size) + 1, Python's float division truncated.
        const count = Math.trunc((length + LEGACY_SIZE_OVERHEAD) / packetSize) + 1;

        assert.equal(chunks.length, count);
        assert.equal(legacyChunkCount(length, packetSize), count);
        assert.deepEqual(Buffer.concat(chunks.map(([, payload]) => payload)), frame);

        const sizes = payloadLengths(chunks);
        // Every chunk is packetSize bytes until the frame runs out; then one short chunk, then empty ones.
        const full = sizes.findIndex((size) => size < packetSize);
        const rest = full < 0 ? [] : sizes.slice(full + 1);
        assert.ok(
          rest.every((size) => size === 0),
          `a non-empty chunk after a short one: ${sizes}`,
        );

        assertHeaders(chunks, count, imageId);
      }),
      { numRuns: 300 },
    );
  });

  test('a frame of L <= (n - 1) * packetSize ends with an empty E', () => {
    const frame = frameOf(950);
    const chunks = legacyChunkFrame(frame, 33, 1000); // int(1062 / 1000) + 1 = 2
    assert.deepEqual(
      headersOf(chunks).map((header) => header.type),
      ['S', 'E'],
    );
    assert.deepEqual(payloadLengths(chunks), [950, 0]);
    assert.deepEqual(chunks[0]![1], frame);
  });

  test('a packet size under 112 bytes leaves several empty chunks at the end', () => {
    const chunks = legacyChunkFrame(frameOf(100), 20, 20); // int(212 / 20) + 1 = 11, data fills 5
    assert.equal(chunks.length, 11);
    assert.deepEqual(payloadLengths(chunks), [20, 20, 20, 20, 20, 0, 0, 0, 0, 0, 0]);
  });

  test('L + 112 an exact multiple of packetSize: one chunk more than ceil, as the original sends', () => {
    // main.py at --packet_size 1000 sends a 888-byte JPEG as S (888 bytes) plus an empty E.
    const frame = frameOf(888);
    const chunks = legacyChunkFrame(frame, 33, 1000);
    assert.equal(legacyChunkCount(888, 1000), 2);
    assert.deepEqual(
      headersOf(chunks).map((header) => header.type),
      ['S', 'E'],
    );
    assert.deepEqual(payloadLengths(chunks), [888, 0]);
    // 1888 bytes: int(2000 / 1000) + 1 = 3 chunks of 1000, 888 and 0 bytes.
    assert.deepEqual(payloadLengths(legacyChunkFrame(frameOf(1888), 33, 1000)), [1000, 888, 0]);
  });

  test('L + 112 < packetSize gives a lone S (chunk 00) and no E', () => {
    for (const [length, packetSize] of [
      [887, 1000],
      [1, 114],
      [5000, 8000],
    ] as const) {
      const frame = frameOf(length);
      const chunks = legacyChunkFrame(frame, 77, packetSize);
      assert.deepEqual(
        headersOf(chunks),
        [{ type: 'S', imageId: 77, chunkId: 0 }],
        `${length} / ${packetSize}`,
      );
      assert.deepEqual(chunks[0]![1], frame);
    }
    // One byte more than fits with the overhead: S and an E.
    assert.equal(legacyChunkFrame(frameOf(888), 77, 1000).length, 2);
  });

  test('more than 100 chunks throws UDPCAM_ERR_FRAME_TOO_LARGE', () => {
    const packetSize = 100;
    const largest = MAX_CHUNKS * packetSize - LEGACY_SIZE_OVERHEAD - 1;
    assert.equal(legacyChunkFrame(frameOf(largest), 10, packetSize).length, MAX_CHUNKS);
    assert.throws(() => legacyChunkFrame(frameOf(largest + 1), 10, packetSize), {
      code: 'UDPCAM_ERR_FRAME_TOO_LARGE',
    });
  });

  test('payloads are views of the frame', () => {
    const frame = frameOf(5000);
    for (const [, payload] of legacyChunkFrame(frame, 12, 700)) assert.equal(payload.buffer, frame.buffer);
  });

  test('legacyImageId is uniform in 10..99', () => {
    assert.equal(
      legacyImageId(() => 0),
      10,
    );
    assert.equal(
      legacyImageId(() => 0.999_999_999),
      99,
    );
    fc.assert(
      fc.property(fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), (random) => {
        const id = legacyImageId(() => random);
        assert.ok(Number.isInteger(id) && id >= 10 && id <= 99, `id ${id} from ${random}`);
      }),
    );
    const seen = new Set(Array.from({ length: 5000 }, () => legacyImageId()));
    assert.equal(seen.size, 90);
  });
});
