/**
 * FrameAssembler.detach: a receiver that gets each batch of datagrams as views into one buffer
 * (udp-native's recvmmsg batches) calls detach(buffer) after the batch. Property: whatever the
 * stream (udpcam's framing with parity, the Python sender's, losses, repeats, reordering, several
 * senders) and however it is cut into batches, a receiver that detaches and then overwrites each
 * batch's buffer emits the same frames, byte for byte, with the same counters, as one given every
 * datagram in a buffer of its own. Overwriting the buffer is what makes a missed copy show: a
 * datagram still held as a view would put the garbage into a frame (or fail its JPEG check).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  type AssembledFrame,
  chunkFrame,
  FrameAssembler,
  ImageIdCycle,
  legacyChunkFrame,
  parityDatagrams,
} from '@udpcam/protocol';
import fc from 'fast-check';
import { jpegPool, uniqueFrame } from '../../helpers/jpeg.js';
import { shuffle, Xorshift32 } from '../../helpers/random.js';
import { toDatagrams } from '../../helpers/wire.js';

const POOL = jpegPool();

/** One datagram on the wire, from one of the senders. */
interface Arrival {
  sender: string;
  datagram: Buffer;
}

/** Frames from one sender: udpcam's framing (with `m` parity datagrams a frame) or the Python sender's. */
function sent(sender: string, frames: number, packetSize: number, legacy: boolean, m: number, seed: number) {
  const cycle = new ImageIdCycle(seed % 100);
  const arrivals: Arrival[] = [];
  for (let i = 0; i < frames; i++) {
    const data = uniqueFrame(POOL[(seed + i) % POOL.length]!, seed * 100 + i);
    const imageId = cycle.next();
    if (legacy) {
      for (const datagram of toDatagrams(legacyChunkFrame(data, imageId, packetSize)))
        arrivals.push({ sender, datagram });
      continue;
    }
    const chunks = chunkFrame(data, imageId, packetSize);
    const parity = m > 0 ? parityDatagrams(chunks, imageId, data.length, m) : [];
    for (const datagram of [...toDatagrams(chunks), ...toDatagrams(parity)])
      arrivals.push({ sender, datagram });
  }
  return arrivals;
}

const scenario = fc.record({
  senders: fc.array(
    fc.record({
      frames: fc.integer({ min: 1, max: 6 }),
      packetSize: fc.integer({ min: 100, max: 2000 }),
      legacy: fc.boolean(),
      parity: fc.integer({ min: 0, max: 3 }),
    }),
    { minLength: 1, maxLength: 3 },
  ),
  /** Per mille of datagrams lost, and of datagrams sent twice. */
  lossPerMille: fc.integer({ min: 0, max: 150 }),
  repeatPerMille: fc.integer({ min: 0, max: 100 }),
  /** Reorder within windows of this many datagrams (1: in order). */
  reorderWindow: fc.integer({ min: 1, max: 8 }),
  /** Largest batch (the receiver's is 32). */
  maxBatch: fc.integer({ min: 1, max: 40 }),
  seed: fc.integer({ min: 1, max: 0x7fff_ffff }),
});

type Scenario = typeof scenario extends fc.Arbitrary<infer T> ? T : never;

/** The stream as it reaches the receiver: senders interleaved, losses, repeats, local reordering. */
function stream(s: Scenario): Arrival[] {
  const random = new Xorshift32(s.seed);
  const queues = s.senders.map((one, i) =>
    sent(`10.0.0.${i + 1}:5000`, one.frames, one.packetSize, one.legacy, one.parity, s.seed + i),
  );
  const merged: Arrival[] = [];
  while (queues.some((queue) => queue.length > 0)) {
    const open = queues.filter((queue) => queue.length > 0);
    const queue = open[random.next() % open.length]!;
    // A run of a few datagrams from one sender at a time, as a frame's burst arrives.
    for (let n = 1 + (random.next() % 6); n > 0 && queue.length > 0; n--) merged.push(queue.shift()!);
  }
  const fated: Arrival[] = [];
  for (const arrival of merged) {
    if (random.next() % 1000 < s.lossPerMille) continue;
    fated.push(arrival);
    if (random.next() % 1000 < s.repeatPerMille) fated.push(arrival);
  }
  const reordered: Arrival[] = [];
  for (let at = 0; at < fated.length; at += s.reorderWindow)
    reordered.push(...shuffle(fated.slice(at, at + s.reorderWindow), random.next() | 1));
  return reordered;
}

/** Frames and counters of an assembler, comparable with deepEqual. */
function outcome(frames: AssembledFrame[], assembler: FrameAssembler) {
  return {
    frames: frames.map((frame) => [frame.sender, frame.imageId, frame.data.toString('hex')]),
    senders: [...assembler.senders()].map(([key, stats]) => [key, structuredClone(stats)]),
    bufferedBytes: assembler.bufferedBytes,
  };
}

test('detach: batches of views into one arena, overwritten after each batch, give the same frames and counters as owned datagrams', () => {
  fc.assert(
    fc.property(scenario, (s) => {
      const arrivals = stream(s);
      const random = new Xorshift32(s.seed ^ 0x5a5a5a5a);
      const owned = new FrameAssembler();
      const batched = new FrameAssembler();
      const ownedFrames: AssembledFrame[] = [];
      const batchedFrames: AssembledFrame[] = [];
      const batches: Arrival[][] = [];
      for (let at = 0; at < arrivals.length; ) {
        const batch = arrivals.slice(at, at + 1 + (random.next() % s.maxBatch));
        batches.push(batch);
        at += batch.length;
      }
      const size = (batch: Arrival[]) => batch.reduce((sum, { datagram }) => sum + datagram.length, 0);
      // One arena for every batch, as the receiver's: each batch is read into it over the last.
      const arena = Buffer.allocUnsafe(Math.max(1, ...batches.map(size)));
      let now = 0;
      for (const batch of batches) {
        now += 1;
        let offset = 0;
        for (const { sender, datagram } of batch) {
          datagram.copy(arena, offset);
          const view = arena.subarray(offset, offset + datagram.length);
          offset += datagram.length;
          const frame = batched.push(view, sender, now);
          if (frame !== undefined) batchedFrames.push(frame);
          const expected = owned.push(Buffer.from(datagram), sender, now);
          if (expected !== undefined) ownedFrames.push(expected);
        }
        batched.detach(arena.buffer);
        arena.fill(0xee); // a view still held now reads garbage
      }
      assert.deepEqual(outcome(batchedFrames, batched), outcome(ownedFrames, owned));
    }),
    { numRuns: 150 },
  );
});

test('detach copies a partial frame out in one buffer and lets the last datagram of a udpcam sender go', () => {
  const assembler = new FrameAssembler();
  const data = uniqueFrame(POOL[0]!, 1);
  const datagrams = toDatagrams(chunkFrame(data, 7, 100));
  assert.ok(datagrams.length >= 4);
  // The first frame completes (the sender is then known as udpcam's); the second stays partial.
  for (const datagram of datagrams) assembler.push(datagram, 'cam:1', 0);
  const second = toDatagrams(chunkFrame(uniqueFrame(POOL[0]!, 2), 8, 100));
  const batch = Buffer.concat(second.slice(0, 3));
  let offset = 0;
  for (const datagram of second.slice(0, 3)) {
    assembler.push(batch.subarray(offset, offset + datagram.length), 'cam:1', 1);
    offset += datagram.length;
  }
  assert.equal(assembler.detach(batch.buffer), batch.length);
  assert.equal(assembler.detach(batch.buffer), 0, 'nothing left in the batch');
  batch.fill(0);
  let frame: AssembledFrame | undefined;
  for (const datagram of second.slice(3)) frame = assembler.push(datagram, 'cam:1', 2) ?? frame;
  assert.ok(frame);
  assert.deepEqual(frame.data, uniqueFrame(POOL[0]!, 2));
});
