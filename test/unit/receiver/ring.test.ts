/** FrameRing: the recent frames of one camera, bounded by age, count and bytes. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ReceivedFrame } from '@udpcam/receiver';
import { FrameRing } from '#receiver/ring.js';

/** Frame `seq` received at `receivedUs`, of `bytes` bytes. */
function frame(seq: number, receivedUs: number, bytes = 100): ReceivedFrame {
  return {
    sender: '127.0.0.1:5000',
    imageId: seq % 100,
    data: Buffer.alloc(bytes, seq),
    chunks: 1,
    firstChunkAt: receivedUs / 1000,
    completedAt: receivedUs / 1000,
    camera: 'cam',
    seq,
    receivedUs,
    meta: undefined,
  };
}

const seqs = (ring: FrameRing) => [...ring.frames()].map((f) => f.seq);
const BIG = { maxAgeUs: 1e12, maxFrames: 1000, maxBytes: 1e9 };

describe('FrameRing', () => {
  it('keeps frames oldest first and lets the oldest go past maxFrames', () => {
    const ring = new FrameRing({ ...BIG, maxFrames: 3 });
    assert.equal(ring.latest(), undefined);
    for (let seq = 1; seq <= 5; seq++) ring.push(frame(seq, seq * 1000));
    assert.deepEqual(seqs(ring), [3, 4, 5]);
    assert.equal(ring.size, 3);
    assert.equal(ring.bytes, 300);
    assert.equal(ring.latest()!.seq, 5);
  });

  it('lets the oldest go past maxBytes, and never keeps a frame larger than maxBytes', () => {
    const ring = new FrameRing({ ...BIG, maxBytes: 250 });
    ring.push(frame(1, 1000, 100));
    ring.push(frame(2, 2000, 100));
    ring.push(frame(3, 3000, 100));
    assert.deepEqual(seqs(ring), [2, 3]);
    assert.equal(ring.bytes, 200);
    ring.push(frame(4, 4000, 251));
    assert.deepEqual(seqs(ring), [2, 3], 'a frame over maxBytes is not kept');
    ring.push(frame(5, 5000, 250));
    assert.deepEqual(seqs(ring), [5]);
  });

  it('lets frames older than maxAgeUs go on push and on prune(now); exactly maxAgeUs old stays', () => {
    const ring = new FrameRing({ ...BIG, maxAgeUs: 1_000_000 });
    for (let seq = 1; seq <= 5; seq++) ring.push(frame(seq, seq * 400_000)); // 0.4 .. 2.0 s
    // Newest at 2.0 s: 1.0 s is exactly 1 s old (kept), 0.8 s is older (gone).
    assert.deepEqual(seqs(ring), [3, 4, 5]);
    ring.prune(2_200_000);
    assert.deepEqual(seqs(ring), [3, 4, 5], '1.2 s is exactly 1 s before 2.2 s');
    ring.prune(2_200_001);
    assert.deepEqual(seqs(ring), [4, 5]);
    ring.prune(3_000_000);
    assert.deepEqual(seqs(ring), [5]);
    ring.prune(3_000_001);
    assert.deepEqual(seqs(ring), []);
    assert.equal(ring.bytes, 0);
  });

  it('finds a frame by seq, also after wrapping around, and not once it is gone', () => {
    const ring = new FrameRing({ ...BIG, maxFrames: 4 });
    for (let seq = 1; seq <= 10; seq++) ring.push(frame(seq, seq * 1000));
    for (const seq of [7, 8, 9, 10]) assert.equal(ring.bySeq(seq)?.seq, seq);
    for (const seq of [0, 6, 11]) assert.equal(ring.bySeq(seq), undefined);
  });

  it('finds a frame by seq when the sequence has gaps (frames over maxBytes were skipped)', () => {
    const ring = new FrameRing({ ...BIG, maxBytes: 1000 });
    ring.push(frame(1, 1000));
    ring.push(frame(2, 2000, 5000)); // not kept
    ring.push(frame(3, 3000));
    assert.deepEqual(seqs(ring), [1, 3]);
    assert.equal(ring.bySeq(3)?.seq, 3);
    assert.equal(ring.bySeq(2), undefined);
  });

  it('atOrBefore is the last frame received at or before a time', () => {
    const ring = new FrameRing(BIG);
    for (let seq = 1; seq <= 5; seq++) ring.push(frame(seq, seq * 1000));
    assert.equal(ring.atOrBefore(999), undefined);
    assert.equal(ring.atOrBefore(1000)?.seq, 1);
    assert.equal(ring.atOrBefore(2999)?.seq, 2);
    assert.equal(ring.atOrBefore(3000)?.seq, 3);
    assert.equal(ring.atOrBefore(1e15)?.seq, 5);
  });
});
