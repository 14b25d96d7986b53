/**
 * The sender's side of retransmission (docs/protocol.md#nack): the ring's bounds, the rate budget,
 * and the anti-amplification rules of the responder — answers only the receiver's own address and
 * port, never more bytes than the NACK has on the wire, within the budget, sealed NACKs only
 * under a key.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  type ChunkDatagram,
  chunkFrame,
  DatagramOpener,
  DatagramSealer,
  encodeNack,
  generateKey,
  SECURE_OVERHEAD_BYTES,
  StreamKey,
} from '@udpcam/protocol';
import fc from 'fast-check';

import { NackResponder, ResendBudget, ResendRing } from '#sender/nack/index.js';

const RECEIVER = { address: '127.0.0.1', port: 5000 };
const PACKET = 1400;
const frame = (bytes: number, fill = 1) => Buffer.alloc(bytes, fill);
const size = (datagrams: readonly ChunkDatagram[]) =>
  datagrams.reduce((sum, [h, p]) => sum + h.length + p.length, 0);

describe('ResendRing', () => {
  test('keeps at most maxBytes and maxFrames, oldest out first; an id names its newest frame', () => {
    const ring = new ResendRing(200_000, 3);
    for (let id = 0; id < 5; id++) ring.put(id, chunkFrame(frame(50_000, id), id, PACKET));
    assert.equal(ring.size, 3);
    assert.deepEqual(
      [0, 1, 2, 3, 4].map((id) => ring.get(id) !== undefined),
      [false, false, true, true, true],
    );
    assert.ok(ring.bytes <= 200_000);
    const small = new ResendRing(120_000, 32);
    for (let id = 0; id < 5; id++) small.put(id, chunkFrame(frame(50_000, id), id, PACKET));
    assert.equal(small.size, 2, 'two 50 kB frames fit 120 kB, three do not');
    small.put(4, chunkFrame(frame(10_000, 9), 4, PACKET));
    assert.equal(small.get(4)?.datagrams[0]?.[1][0], 9, 'the same id again replaces the frame');
    small.put(7, chunkFrame(frame(130_000), 7, PACKET));
    assert.equal(small.get(7), undefined, 'a frame larger than the ring is not kept');
  });

  test('bytes held always equal the frames held, within both bounds', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 0, max: 99 }), fc.integer({ min: 2, max: 80_000 })), {
          maxLength: 60,
        }),
        (puts) => {
          const ring = new ResendRing(150_000, 5);
          for (const [id, bytes] of puts) ring.put(id, chunkFrame(frame(bytes), id, PACKET));
          let sum = 0;
          for (let id = 0; id < 100; id++) sum += ring.get(id)?.bytes ?? 0;
          assert.equal(ring.bytes, sum);
          assert.ok(ring.bytes <= 150_000 && ring.size <= 5);
        },
      ),
    );
  });
});

describe('ResendBudget', () => {
  test('bytes resent never pass fraction × bytes sent + capacity', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.oneof(
            fc.tuple(fc.constant('send'), fc.nat(60_000)),
            fc.tuple(fc.constant('resend'), fc.nat(5_000)),
          ),
        ),
        (events) => {
          const budget = new ResendBudget(0.25, 20_000);
          let sent = 0;
          let resent = 0;
          for (const [kind, bytes] of events) {
            if (kind === 'send') {
              budget.earn(bytes);
              sent += bytes;
            } else if (budget.spend(bytes)) resent += bytes;
            assert.ok(resent <= 0.25 * sent + 1e-6 && budget.available <= 20_000);
          }
        },
      ),
    );
  });

  test('a spend larger than what is saved takes nothing', () => {
    const budget = new ResendBudget(0.5, 1000);
    budget.earn(1000);
    assert.equal(budget.spend(600), false);
    assert.equal(budget.available, 500);
    assert.equal(budget.spend(500), true);
    assert.equal(budget.available, 0);
  });
});

/** A responder holding one 41-chunk frame with image id 7, with a generous budget. */
function responder(options: { opener?: DatagramOpener; fraction?: number } = {}) {
  const ring = new ResendRing();
  const datagrams = chunkFrame(frame(57_000), 7, PACKET);
  ring.put(7, datagrams);
  const budget = new ResendBudget(options.fraction ?? 1, 1_000_000);
  budget.earn(size(datagrams));
  return { responder: new NackResponder({ ring, budget, opener: options.opener }), datagrams, budget };
}

describe('NackResponder', () => {
  const unit = 5 + 1391; // one chunk of this frame on the wire

  test('answers a NACK padded to what it asks with exactly those chunks', () => {
    const { responder: r, datagrams } = responder();
    const out = r.answer(encodeNack(7, 0, [3, 10], undefined, 2 * unit), RECEIVER, RECEIVER);
    assert.deepEqual(out, [datagrams[3], datagrams[10]]);
    assert.equal(r.stats.datagramsResent, 2);
    assert.equal(r.stats.bytesResent, size(out));
  });

  test('never to another address or port than the one the frames go to', () => {
    const { responder: r } = responder();
    const nack = encodeNack(7, 0, [3], undefined, unit);
    assert.deepEqual(r.answer(nack, { address: '127.0.0.1', port: 5001 }, RECEIVER), []);
    assert.deepEqual(r.answer(nack, { address: '127.0.0.2', port: 5000 }, RECEIVER), []);
    assert.equal(r.stats.nacksWrongSource, 2);
    assert.equal(r.stats.datagramsResent, 0);
  });

  test('a response is never larger than its request (any ids, tail and padding)', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.integer({ min: 0, max: 99 })),
        fc.option(fc.integer({ min: 0, max: 99 }), { nil: undefined }),
        fc.integer({ min: 0, max: 70_000 }),
        (chunks, tail, padTo) => {
          const { responder: r } = responder();
          const nack = encodeNack(7, 0, chunks, tail, padTo);
          assert.ok(size(r.answer(nack, RECEIVER, RECEIVER)) <= nack.length);
        },
      ),
    );
  });

  test('an unpadded NACK gets nothing: 21 bytes cannot pay for a 1396-byte chunk', () => {
    const { responder: r } = responder();
    assert.deepEqual(r.answer(encodeNack(7, 0, [0, 1, 2], undefined), RECEIVER, RECEIVER), []);
    assert.equal(r.stats.deniedBySize, 3);
  });

  test('a tail request resends from that chunk to the last, as far as the padding pays', () => {
    const { responder: r, datagrams } = responder();
    const out = r.answer(encodeNack(7, 0, [], 39, 2 * unit), RECEIVER, RECEIVER);
    assert.deepEqual(out, [datagrams[39], datagrams[40]]);
  });

  test('rate budget: past it, nothing more is resent', () => {
    const { responder: r, budget } = responder({ fraction: 0.05 }); // ~2 chunks' worth
    const saved = budget.available;
    const out = r.answer(encodeNack(7, 0, [0, 1, 2, 3, 4], undefined, 5 * unit), RECEIVER, RECEIVER);
    assert.equal(out.length, Math.floor(saved / unit));
    assert.equal(r.stats.deniedByRate, 5 - out.length);
  });

  test('a frame no longer kept, junk, and a chunk id past the frame get nothing', () => {
    const { responder: r } = responder();
    assert.deepEqual(r.answer(encodeNack(8, 0, [0], undefined, unit), RECEIVER, RECEIVER), []);
    assert.equal(r.stats.nacksTooLate, 1);
    assert.deepEqual(r.answer(Buffer.alloc(100, 0x4e), RECEIVER, RECEIVER), []);
    assert.equal(r.stats.nacksInvalid, 1);
    assert.deepEqual(r.answer(encodeNack(7, 0, [41, 99], undefined, 2 * unit), RECEIVER, RECEIVER), []);
  });

  test('under a key: only sealed NACKs, and each answer counts its sealing', () => {
    const key = new StreamKey(generateKey());
    const { responder: r, datagrams } = responder({ opener: new DatagramOpener([key]) });
    const plain = encodeNack(7, 0, [5], undefined, unit);
    assert.deepEqual(r.answer(plain, RECEIVER, RECEIVER), [], 'a plain NACK is refused');
    const other = new DatagramSealer(new StreamKey(generateKey()));
    const forged = Buffer.concat(other.seal(plain.subarray(0, 5), plain.subarray(5)));
    assert.deepEqual(r.answer(forged, RECEIVER, RECEIVER), [], 'another key is refused');
    assert.equal(r.stats.nacksInvalid, 2);
    const sealer = new DatagramSealer(key);
    // Sealed, the NACK is `unit + overhead` bytes: it pays for one sealed chunk exactly.
    const sealed = Buffer.concat(sealer.seal(plain.subarray(0, 5), plain.subarray(5)));
    assert.equal(sealed.length, unit + SECURE_OVERHEAD_BYTES);
    assert.deepEqual(r.answer(sealed, RECEIVER, RECEIVER), [datagrams[5]]);
    assert.equal(r.stats.bytesResent, unit + SECURE_OVERHEAD_BYTES);
    assert.deepEqual(r.answer(sealed, RECEIVER, RECEIVER), [], 'the same sealed NACK again is a replay');
  });
});
