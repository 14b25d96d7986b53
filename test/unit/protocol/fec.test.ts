import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { describe, test } from 'node:test';
import { ReedSolomonErasure } from '@digitaldefiance/reed-solomon-erasure.wasm';
import {
  chunkFrame,
  dataChunkBytes,
  decodeDatagram,
  encodeHeader,
  encodeParity,
  encodeParityPortable,
  MALFORMED_REASONS,
  PARITY_SHARD_OFFSET,
  parityCount,
  parityDatagrams,
  parseHeader,
  readParity,
  reconstructData,
  reconstructDataPortable,
} from '@udpcam/protocol';
import { nativeParityEncoder, nativeUdpProblem } from '@udpcam/udp-native';
import fc from 'fast-check';
import { anyHeader, fromHex, toDatagram } from '../../helpers/wire.js';

/**
 * A second, independent Reed–Solomon: the Rust reed-solomon-erasure crate compiled to WebAssembly
 * (same field and generator construction as Backblaze's), loaded at test time.
 */
function referenceCodec(): ReedSolomonErasure {
  const require = createRequire(import.meta.url);
  const main = require.resolve('@digitaldefiance/reed-solomon-erasure.wasm');
  return ReedSolomonErasure.fromBytes(readFileSync(join(dirname(main), 'reed_solomon_erasure_bg.wasm')));
}

/** k data shards of at most shardBytes each (the last few may be one byte shorter, as udpcam's). */
const codeShape = fc
  .record({
    k: fc.integer({ min: 2, max: 100 }),
    m: fc.integer({ min: 1, max: 12 }),
    shardBytes: fc.integer({ min: 1, max: 1500 }),
    seed: fc.integer(),
  })
  .chain(({ k, m, shardBytes }) =>
    fc.record({
      k: fc.constant(k),
      m: fc.constant(m),
      shardBytes: fc.constant(shardBytes),
      data: fc.array(fc.uint8Array({ minLength: Math.max(0, shardBytes - 1), maxLength: shardBytes }), {
        minLength: k,
        maxLength: k,
      }),
    }),
  );

describe('Reed–Solomon erasure code (GF(256), systematic)', () => {
  // encodeParity runs in C (gf256.c, AVX2 here) where the addon is built: CI builds it on Linux.
  const encoders = [
    ['in C (gf256.c)', encodeParity],
    ['in JavaScript', encodeParityPortable],
  ] as const;
  for (const [where, encode] of encoders)
    test(`parity bytes ${where} equal an independent implementation (Rust reed-solomon-erasure, WASM)`, () => {
      if (encode === encodeParity) assert.ok(nativeParityEncoder(), nativeUdpProblem());
      const reference = referenceCodec();
      fc.assert(
        fc.property(codeShape, ({ k, m, shardBytes, data }) => {
          const ours = encode(data, m, shardBytes);
          const shards = new Uint8Array((k + m) * shardBytes);
          for (const [i, shard] of data.entries()) shards.set(shard, i * shardBytes);
          assert.equal(reference.encode(shards, k, m), ReedSolomonErasure.RESULT_OK);
          for (let j = 0; j < m; j++) {
            const theirs = shards.subarray((k + j) * shardBytes, (k + j + 1) * shardBytes);
            assert.deepEqual(Buffer.from(ours[j]!), Buffer.from(theirs), `parity ${j} of k=${k} m=${m}`);
          }
        }),
        { numRuns: 150 },
      );
    });

  test('a known vector: k=4, m=2 over bytes 1..16 (the reference codec gives the same)', () => {
    const data = [fromHex('01020304'), fromHex('05060708'), fromHex('090a0b0c'), fromHex('0d0e0f10')];
    const parity = encodeParity(data, 2, 4);
    const reference = referenceCodec();
    const shards = new Uint8Array(24);
    for (const [i, shard] of data.entries()) shards.set(shard, i * 4);
    reference.encode(shards, 4, 2);
    assert.deepEqual(Buffer.from(parity[0]!), Buffer.from(shards.subarray(16, 20)));
    assert.deepEqual(Buffer.from(parity[1]!), Buffer.from(shards.subarray(20, 24)));
  });

  const rebuilders = [
    ['in C (gf256.c)', reconstructData],
    ['in JavaScript', reconstructDataPortable],
  ] as const;
  for (const [where, rebuild] of rebuilders)
    test(`any m or fewer erasures rebuild the data byte for byte, ${where} (property)`, () => {
      fc.assert(
        fc.property(
          codeShape.chain((shape) =>
            fc.record({
              shape: fc.constant(shape),
              lost: fc.uniqueArray(fc.nat(shape.k + shape.m - 1), { maxLength: shape.m }),
            }),
          ),
          ({ shape: { k, m, shardBytes, data }, lost }) => {
            const parity = encodeParity(data, m, shardBytes);
            const shards: (Uint8Array | undefined)[] = [...data, ...parity];
            for (const index of lost) shards[index] = undefined;
            const rebuilt = rebuild(shards, k, shardBytes);
            assert.ok(rebuilt, 'k shards present must rebuild');
            for (let i = 0; i < k; i++) {
              // A rebuilt shard is shardBytes long; its bytes past the original length are padding zeros.
              const original = data[i]!;
              assert.deepEqual(Buffer.from(rebuilt[i]!.subarray(0, original.length)), Buffer.from(original));
              assert.ok(rebuilt[i]!.subarray(original.length).every((byte) => byte === 0));
            }
          },
        ),
        { numRuns: 200 },
      );
    });

  test('more than m erasures: reconstructData says so instead of guessing', () => {
    const data = [fromHex('0102'), fromHex('0304'), fromHex('0506')];
    const parity = encodeParity(data, 2, 2);
    assert.equal(reconstructData([undefined, undefined, data[2], undefined, parity[1]], 3, 2), undefined);
  });
});

describe('parity datagrams', () => {
  test('layout: P header, version 1, k, m, 0, frame length big-endian, then the shard', () => {
    const frame = Buffer.from('ABCDEFGHIJKLMNOPQRS'); // 19 bytes in 2 chunks: 10 + 9; shard 10 bytes
    const chunks = chunkFrame(frame, 42, 16);
    const [parity] = parityDatagrams(chunks, 42, frame.length, 1).map(toDatagram);
    assert.deepEqual(
      parity!.subarray(0, PARITY_SHARD_OFFSET),
      fromHex('50 34 32 30 30  01 02 01 00 00 00 00 13'),
    );
    assert.equal(parity!.length, PARITY_SHARD_OFFSET + 10);
    assert.equal(decodeDatagram(parity!).type, 'P');
    // The shard is the code's parity over the two halves (checked against the reference above).
    const [shard] = encodeParity([frame.subarray(0, 10), frame.subarray(10)], 1, 10);
    assert.deepEqual(parity!.subarray(PARITY_SHARD_OFFSET), Buffer.from(shard!));
  });

  test("parseHeader takes a 'P' with any index 00..99; S, C and E keep their rules", () => {
    for (const index of [0, 1, 57, 99]) {
      const decoded = decodeDatagram(Buffer.concat([encodeHeader('P', 12, index), fromHex('00')]));
      assert.deepEqual([decoded.type, decoded.imageId, decoded.chunkId], ['P', 12, index]);
    }
    assert.equal(parseHeader(anyHeader('S', 12, 1)), -MALFORMED_REASONS.indexOf('startNotFirst'));
    assert.equal(parseHeader(anyHeader('C', 12, 0)), -MALFORMED_REASONS.indexOf('firstNotStart'));
    assert.equal(parseHeader(anyHeader('p', 12, 0)), -MALFORMED_REASONS.indexOf('badType'));
  });

  test('readParity reads what parityDatagrams writes, and chunk lengths follow from L and k (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 2, max: 3000 }),
        fc.integer({ min: 16, max: 200 }),
        fc.integer({ min: 1, max: 20 }),
        (frameBytes, packetSize, m) => {
          fc.pre(Math.ceil(frameBytes / packetSize) <= 100);
          const frame = Buffer.alloc(frameBytes, 7);
          const chunks = chunkFrame(frame, 3, packetSize);
          const datagrams = parityDatagrams(chunks, 3, frameBytes, m).map(toDatagram);
          datagrams.forEach((datagram, index) => {
            const info = readParity(datagram, index);
            assert.deepEqual(info, {
              index,
              dataChunks: chunks.length,
              parityChunks: m,
              frameBytes,
              shardBytes: Math.ceil(frameBytes / chunks.length),
            });
          });
          chunks.forEach((chunk, chunkId) => {
            assert.equal(chunk[1].length, dataChunkBytes(frameBytes, chunks.length, chunkId));
          });
        },
      ),
    );
  });

  test('readParity refuses a sub-header that does not add up', () => {
    const good = fromHex('50 34 32 30 30  01 02 01 00 00 00 00 0b  00 00 00 00 00 00');
    assert.ok(readParity(good, 0));
    const bad = (offset: number, value: number) => {
      const copy = Buffer.from(good);
      copy[offset] = value;
      return copy;
    };
    assert.equal(readParity(bad(5, 2), 0), undefined, 'unknown version');
    assert.equal(readParity(bad(6, 1), 0), undefined, 'k below 2');
    assert.equal(readParity(bad(6, 101), 0), undefined, 'k above 100');
    assert.equal(readParity(bad(7, 0), 0), undefined, 'm = 0');
    assert.equal(readParity(bad(8, 1), 0), undefined, 'reserved byte set');
    assert.equal(readParity(bad(12, 13), 0), undefined, 'shard length does not match ceil(L / k)');
    assert.equal(readParity(good, 1), undefined, 'index past m');
    assert.equal(readParity(good.subarray(0, 12), 0), undefined, 'cut inside the sub-header');
  });

  test('parityCount: round(k · ratio), at least one when on, none at 0', () => {
    assert.equal(parityCount(41, 0.1), 4);
    assert.equal(parityCount(41, 0.2), 8);
    assert.equal(parityCount(2, 0.1), 1);
    assert.equal(parityCount(41, 0), 0);
    assert.equal(parityCount(100, 5), 100);
  });
});
