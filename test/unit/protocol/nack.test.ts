import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { decodeNack, encodeNack, NACK_BYTES, TYPE_NACK } from '@udpcam/protocol';
import fc from 'fast-check';

describe('NACK datagram codec (docs/protocol.md#nack)', () => {
  test('known bytes: frame 07, attempt 1, chunks 0, 9 and 99, no tail, padded to 30', () => {
    const nack = encodeNack(7, 1, [0, 9, 99], undefined, 30);
    assert.equal(
      nack.toString('hex'),
      // N 07 01 | v1 | tail ff | bitmap: chunk 0 → byte 7 bit 0, 9 → byte 8 bit 1, 99 → byte 19 bit 3 | 0 | padding
      ['4e30373031', '01', 'ff', '01020000000000000000000008', '00', '00'.repeat(9)].join(''),
    );
    assert.equal(nack.length, 30);
    assert.deepEqual(decodeNack(nack), { imageId: 7, attempt: 1, chunks: [0, 9, 99], tailFrom: undefined });
  });

  test('a NACK is never shorter than its 21 fixed bytes; a tail is carried', () => {
    const nack = encodeNack(42, 0, [], 17);
    assert.equal(nack.length, NACK_BYTES);
    assert.equal(nack[0], TYPE_NACK);
    assert.deepEqual(decodeNack(nack), { imageId: 42, attempt: 0, chunks: [], tailFrom: 17 });
  });

  test('round trip for any ids, attempt, tail and padding', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 99 }),
        fc.integer({ min: 0, max: 99 }),
        fc.uniqueArray(fc.integer({ min: 0, max: 99 })),
        fc.option(fc.integer({ min: 0, max: 99 }), { nil: undefined }),
        fc.integer({ min: 0, max: 3000 }),
        (imageId, attempt, chunks, tailFrom, padTo) => {
          const nack = encodeNack(imageId, attempt, chunks, tailFrom, padTo);
          assert.equal(nack.length, Math.max(NACK_BYTES, padTo));
          assert.deepEqual(decodeNack(nack), {
            imageId,
            attempt,
            chunks: [...chunks].sort((a, b) => a - b),
            tailFrom,
          });
        },
      ),
    );
  });

  test('refuses what is not a well-formed NACK', () => {
    const good = encodeNack(3, 0, [1], undefined);
    const bad = (edit: (b: Buffer) => void) => {
      const copy = Buffer.from(good);
      edit(copy);
      return copy;
    };
    assert.equal(decodeNack(good.subarray(0, NACK_BYTES - 1)), undefined, 'short');
    assert.equal(decodeNack(bad((b) => (b[0] = 0x53))), undefined, 'type S');
    assert.equal(decodeNack(bad((b) => (b[5] = 2))), undefined, 'version');
    assert.equal(decodeNack(bad((b) => (b[1] = 0x3a))), undefined, 'image id digit');
    assert.equal(decodeNack(bad((b) => (b[4] = 0x2f))), undefined, 'attempt digit');
    assert.equal(decodeNack(bad((b) => (b[6] = 100))), undefined, 'tail past 99');
    assert.equal(decodeNack(bad((b) => (b[19] = 0x10))), undefined, 'bit of chunk 100');
  });
});
