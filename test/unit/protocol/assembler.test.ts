import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  type AssembledFrame,
  chunkFrame,
  encodeHeader,
  FrameAssembler,
  ImageIdCycle,
  LEGACY_SIZE_OVERHEAD,
  legacyChunkFrame,
  MALFORMED_REASONS,
  parseHeader,
  UdpcamError,
  withFrameMeta,
} from '@udpcam/protocol';
import { readHexFixtures } from '../../helpers/fixtures.js';
import { jpegPool, makeJpeg, uniqueFrame } from '../../helpers/jpeg.js';
import { Xorshift32 } from '../../helpers/random.js';
import { fromHex, toDatagrams } from '../../helpers/wire.js';

const POOL = jpegPool();
/** A 1.4 kB JPEG: eight chunks at 200-byte packets. */
const FRAME = uniqueFrame(POOL[6]!, 1);

/** Pushes datagrams in order at `now` (or at now, now + step, ...); returns the frames emitted. */
function pushAll(
  assembler: FrameAssembler,
  datagrams: readonly Buffer[],
  sender: string,
  now: number,
  step = 0,
): AssembledFrame[] {
  const frames: AssembledFrame[] = [];
  datagrams.forEach((datagram, i) => {
    const frame = assembler.push(datagram, sender, now + i * step);
    if (frame) frames.push(frame);
  });
  return frames;
}

/** udpcam's framing of `frame` as datagrams. */
function udpcamDatagrams(frame: Buffer, imageId: number, packetSize: number): Buffer[] {
  return toDatagrams(chunkFrame(frame, imageId, packetSize));
}

/** The Python sender's framing of `frame` as datagrams. */
function legacyDatagrams(frame: Buffer, imageId: number, packetSize: number): Buffer[] {
  return toDatagrams(legacyChunkFrame(frame, imageId, packetSize));
}

function sum(values: readonly number[]): number {
  return values.reduce((total, value) => total + value, 0);
}

/** Makes `sender` known as a udpcam sender: ten whole frames with ids 0..9, 33 ms apart. */
function establishCyclingSender(assembler: FrameAssembler, sender: string): number {
  const cycle = new ImageIdCycle();
  for (let k = 0; k < 10; k++) {
    const frames = pushAll(
      assembler,
      udpcamDatagrams(uniqueFrame(POOL[1]!, k), cycle.next(), 300),
      sender,
      k * 33,
    );
    assert.equal(frames.length, 1);
  }
  assert.equal(assembler.senderStats(sender)!.reusesImageIds, false);
  return 10 * 33;
}

describe('FrameAssembler: frames out of datagrams', () => {
  // The frame is copied from whole datagrams, each header landing on bytes of the chunks before
  // it: chunks shorter than a header make those writes overlap several chunks.
  test('chunks shorter than a header still give the frame byte for byte', () => {
    const assembler = new FrameAssembler({ checkJpeg: false });
    const frame = Buffer.from('0123456789abcd');
    const sizes = [4, 4, 3, 3]; // udpcam's split of 14 bytes in 4 chunks
    let at = 0;
    const datagrams = sizes.map((size, chunkId) => {
      const type = chunkId === 0 ? 'S' : chunkId === sizes.length - 1 ? 'E' : 'C';
      const datagram = Buffer.concat([encodeHeader(type, 5, chunkId), frame.subarray(at, at + size)]);
      at += size;
      return datagram;
    });
    const out = pushAll(assembler, [...datagrams].reverse(), 'tiny', 0);
    assert.equal(out.length, 1);
    assert.equal(out[0]!.data.toString(), frame.toString());
  });

  test('in order: one frame, on the last chunk, byte-identical, with its stats', () => {
    const assembler = new FrameAssembler();
    const datagrams = udpcamDatagrams(FRAME, 7, 200);
    const count = datagrams.length;
    assert.ok(count > 2);

    let held = 0;
    datagrams.slice(0, -1).forEach((datagram, i) => {
      assert.equal(assembler.push(datagram, 'cam', 100 + i), undefined);
      assert.ok(assembler.bufferedBytes > held, 'partial frames hold their bytes');
      held = assembler.bufferedBytes;
    });
    assert.ok(held >= sum(datagrams.slice(0, -1).map((d) => d.length - 5)));
    assert.equal(assembler.framesInFlight, 1);

    const frame = assembler.push(datagrams.at(-1)!, 'cam', 100 + count - 1);
    assert.ok(frame);
    assert.ok(frame.data.equals(FRAME));
    assert.deepEqual(
      { sender: frame.sender, imageId: frame.imageId, chunks: frame.chunks },
      { sender: 'cam', imageId: 7, chunks: count },
    );
    assert.equal(frame.firstChunkAt, 100);
    assert.equal(frame.completedAt, 100 + count - 1);

    assert.equal(assembler.bufferedBytes, 0);
    assert.equal(assembler.framesInFlight, 0);
    assert.equal(assembler.senderCount, 1);
    const stats = assembler.senderStats('cam')!;
    assert.equal(stats.datagrams, count);
    assert.equal(stats.bytes, sum(datagrams.map((d) => d.length)));
    assert.equal(stats.chunks, count);
    assert.equal(stats.duplicateChunks, 0);
    assert.equal(stats.malformed, 0);
    assert.equal(stats.framesComplete, 1);
    assert.equal(stats.frameBytes, FRAME.length);
    assert.equal(stats.framesDropped, 0);
    assert.deepEqual(
      [...assembler.senders()].map(([key]) => key),
      ['cam'],
    );
  });

  test('reversed: the frame comes out on the S, byte-identical', () => {
    const assembler = new FrameAssembler();
    const datagrams = udpcamDatagrams(FRAME, 8, 200).reverse();
    const frames = pushAll(assembler, datagrams, 'cam', 0);
    assert.equal(frames.length, 1);
    assert.ok(frames[0]!.data.equals(FRAME));
    assert.equal(assembler.push(datagrams.at(-1)!, 'cam', 0), undefined, 'the S again is a duplicate');
  });

  test('duplicates, while collecting and after the frame is out, are counted and ignored', () => {
    const assembler = new FrameAssembler();
    const datagrams = udpcamDatagrams(FRAME, 9, 200);
    const doubled = datagrams.flatMap((datagram) => [datagram, Buffer.from(datagram)]);
    const frames = pushAll(assembler, doubled, 'cam', 0);
    assert.equal(frames.length, 1);
    assert.ok(frames[0]!.data.equals(FRAME));
    // The E's own copy came after the frame was emitted.
    assert.deepEqual(frames[0]!.chunks, datagrams.length);

    // Late copies a few ms after the frame (within frameTimeoutMs).
    assert.deepEqual(pushAll(assembler, datagrams.map(Buffer.from), 'cam', 5), []);
    const stats = assembler.senderStats('cam')!;
    assert.equal(stats.duplicateChunks, 2 * datagrams.length);
    assert.equal(stats.chunks, datagrams.length);
    assert.equal(stats.framesComplete, 1);
    assert.equal(stats.framesDropped, 0);
    assert.equal(assembler.framesInFlight, 0);
  });

  test('a repeat later than frameTimeoutMs after the frame is no longer taken for a duplicate', () => {
    const assembler = new FrameAssembler({ frameTimeoutMs: 500 });
    const datagrams = udpcamDatagrams(FRAME, 9, 200);
    assert.equal(pushAll(assembler, datagrams, 'cam', 0).length, 1);
    assert.equal(assembler.push(Buffer.from(datagrams[0]!), 'cam', 501), undefined);
    assert.equal(assembler.senderStats('cam')!.duplicateChunks, 0);
    assert.equal(assembler.framesInFlight, 1);
  });

  test('interleaved frames of different ids all come out whole', () => {
    const assembler = new FrameAssembler();
    const frames = [uniqueFrame(POOL[5]!, 1), uniqueFrame(POOL[6]!, 2), uniqueFrame(POOL[7]!, 3)];
    const streams = frames.map((frame, i) => udpcamDatagrams(frame, 20 + i, 150));
    const interleaved: Buffer[] = [];
    for (let at = 0; at < Math.max(...streams.map((s) => s.length)); at++) {
      for (const stream of streams) if (at < stream.length) interleaved.push(stream[at]!);
    }
    const out = pushAll(assembler, interleaved, 'cam', 0);
    assert.equal(out.length, 3);
    for (const frame of out) assert.ok(frame.data.equals(frames[frame.imageId - 20]!));
    assert.equal(assembler.framesInFlight, 0);
  });

  test('two senders using the same image ids are kept apart', () => {
    const assembler = new FrameAssembler();
    const mine = uniqueFrame(POOL[6]!, 10);
    const theirs = uniqueFrame(POOL[7]!, 20);
    const a = udpcamDatagrams(mine, 5, 100);
    const b = udpcamDatagrams(theirs, 5, 100);
    const out: AssembledFrame[] = [];
    for (let at = 0; at < Math.max(a.length, b.length); at++) {
      for (const [stream, sender] of [
        [a, '10.0.0.1:5000'],
        [b, '10.0.0.2:5000'],
      ] as const) {
        const datagram = stream[at];
        const frame = datagram && assembler.push(datagram, sender, at);
        if (frame) out.push(frame);
      }
    }
    assert.equal(out.length, 2);
    const bySender = new Map(out.map((frame) => [frame.sender, frame.data]));
    assert.ok(bySender.get('10.0.0.1:5000')!.equals(mine));
    assert.ok(bySender.get('10.0.0.2:5000')!.equals(theirs));
    assert.equal(assembler.senderCount, 2);
    assert.equal(assembler.senderStats('10.0.0.1:5000')!.chunks, a.length);
    assert.equal(assembler.senderStats('10.0.0.2:5000')!.chunks, b.length);
  });

  test('a legacy frame sent as a lone S comes out at once', () => {
    const assembler = new FrameAssembler();
    const datagrams = legacyDatagrams(FRAME, 42, FRAME.length + LEGACY_SIZE_OVERHEAD + 1);
    assert.equal(datagrams.length, 1);
    const frame = assembler.push(datagrams[0]!, 'python', 0);
    assert.ok(frame);
    assert.ok(frame.data.equals(FRAME));
    assert.equal(frame.chunks, 1);
    assert.equal(assembler.framesInFlight, 0);
    assert.equal(assembler.bufferedBytes, 0);
  });

  test('a legacy S holding the whole JPEG plus an empty E: exactly one frame, S first', () => {
    const assembler = new FrameAssembler();
    const [start, end] = legacyDatagrams(FRAME, 43, FRAME.length);
    assert.equal(end!.length, 5, 'the E is empty');
    const first = assembler.push(start!, 'python', 0);
    assert.ok(first?.data.equals(FRAME));
    assert.equal(assembler.push(end!, 'python', 1), undefined);
    const stats = assembler.senderStats('python')!;
    assert.equal(stats.framesComplete, 1);
    assert.equal(stats.duplicateChunks, 1, 'the empty E repeats the end of the frame already out');
    assert.equal(stats.framesDropped, 0);
    assert.equal(assembler.framesInFlight, 0);
    assert.equal(assembler.bufferedBytes, 0);
  });

  test('a legacy S holding the whole JPEG plus an empty E: exactly one frame, E first', () => {
    const assembler = new FrameAssembler();
    const [start, end] = legacyDatagrams(FRAME, 43, FRAME.length);
    assert.equal(assembler.push(end!, 'python', 0), undefined);
    const frame = assembler.push(start!, 'python', 1);
    assert.ok(frame?.data.equals(FRAME));
    // Both datagrams are accounted for once. The sizes (an E shorter than the S) show the Python
    // framing, whose S always starts a frame: the early E is dropped on its own, never joined.
    const stats = assembler.senderStats('python')!;
    assert.equal(stats.chunks + stats.duplicateChunks, 2);
    assert.equal(stats.framesComplete, 1);
    assert.equal(stats.framing, 'legacy');
    assert.equal(stats.framesDropped, stats.droppedByReason.superseded);
    assert.ok(stats.framesDropped <= 1);
    assert.equal(assembler.framesInFlight, 0);
    assert.equal(assembler.bufferedBytes, 0);
  });

  test('a junk "JPEG" that starts with FFD8 is dropped as invalid, not emitted', () => {
    const junk = Buffer.concat([fromHex('ff d8'), new Xorshift32(7).bytes(600), fromHex('ff d9')]);
    const datagrams = udpcamDatagrams(junk, 3, 100);

    const checking = new FrameAssembler();
    assert.deepEqual(pushAll(checking, datagrams, 'cam', 0), []);
    const stats = checking.senderStats('cam')!;
    assert.equal(stats.droppedByReason.invalid, 1);
    assert.equal(stats.framesDropped, 1);
    assert.equal(stats.framesComplete, 0);
    assert.equal(checking.framesInFlight, 0);
    assert.equal(checking.bufferedBytes, 0);

    const trusting = new FrameAssembler({ checkJpeg: false });
    const out = pushAll(trusting, datagrams, 'cam', 0);
    assert.equal(out.length, 1);
    assert.ok(out[0]!.data.equals(junk));
  });

  test('malformed datagrams are counted by reason and change nothing else', () => {
    const fixtures = readHexFixtures('datagrams', 'invalid');
    const assembler = new FrameAssembler();
    assert.deepEqual(
      pushAll(
        assembler,
        fixtures.map((fixture) => fixture.bytes),
        'noise',
        0,
      ),
      [],
    );
    const stats = assembler.senderStats('noise')!;
    assert.equal(stats.datagrams, fixtures.length);
    assert.equal(stats.malformed, fixtures.length);
    assert.equal(stats.chunks, 0);
    const expected: Record<string, number> = {};
    for (const reason of MALFORMED_REASONS.slice(1)) expected[reason] = 0;
    for (const fixture of fixtures) {
      const reason = MALFORMED_REASONS[-parseHeader(fixture.bytes)]!;
      expected[reason] = expected[reason]! + 1;
    }
    assert.deepEqual(stats.malformedByReason, expected);
    assert.equal(assembler.framesInFlight, 0);
    assert.equal(assembler.bufferedBytes, 0);
  });

  test('forget() lets go of a sender and everything it had in flight', () => {
    const assembler = new FrameAssembler();
    pushAll(assembler, udpcamDatagrams(FRAME, 1, 200).slice(0, 3), 'cam', 0);
    assert.ok(assembler.bufferedBytes > 0);
    assembler.forget('cam');
    assert.equal(assembler.senderStats('cam'), undefined);
    assert.equal(assembler.senderCount, 0);
    assert.equal(assembler.bufferedBytes, 0);
    assert.equal(assembler.framesInFlight, 0);
    // The sender comes back fresh.
    const datagrams = udpcamDatagrams(FRAME, 1, 200);
    assert.equal(pushAll(assembler, datagrams, 'cam', 1).length, 1);
    assert.equal(assembler.senderStats('cam')!.datagrams, datagrams.length);
  });

  test('a sender is taken for a udpcam sender once its ids count up, and a Python one while they do not', () => {
    const assembler = new FrameAssembler();
    assert.equal(pushAll(assembler, udpcamDatagrams(FRAME, 50, 200), 'cam', 0).length, 1);
    assert.equal(assembler.senderStats('cam')!.reusesImageIds, true, 'one frame proves nothing');
    establishCyclingSender(assembler, 'udpcam');

    const random = new Xorshift32(3);
    for (let k = 0; k < 20; k++) {
      pushAll(
        assembler,
        legacyDatagrams(uniqueFrame(POOL[1]!, k), random.int(10, 99), 8000),
        'python',
        k * 33,
      );
    }
    assert.equal(assembler.senderStats('python')!.framesComplete, 20);
    assert.equal(assembler.senderStats('python')!.reusesImageIds, true);
  });

  test('a udpcam sender that loses whole frames still counts as cycling; a jump back does not', () => {
    const assembler = new FrameAssembler();
    // Ids 0, 3, 5, 8, ...: every step 1..10 forward, as when whole frames are lost on the way.
    let imageId = 0;
    for (let k = 0; k < 10; k++) {
      pushAll(assembler, udpcamDatagrams(uniqueFrame(POOL[1]!, k), imageId, 300), 'lossy', k * 33);
      imageId = (imageId + 2 + (k % 2)) % 100;
    }
    assert.equal(assembler.senderStats('lossy')!.reusesImageIds, false);
    // A step back (or of more than 10) is what random ids do: the sender is treated as reusing ids.
    pushAll(assembler, udpcamDatagrams(uniqueFrame(POOL[1]!, 99), (imageId + 50) % 100, 300), 'lossy', 400);
    assert.equal(assembler.senderStats('lossy')!.reusesImageIds, true);
  });

  test('a udpcam sender may pause between chunks for longer than any Python-sender bound', () => {
    const assembler = new FrameAssembler({ legacySilenceMs: 10 });
    const start = establishCyclingSender(assembler, 'cam');
    const frames = pushAll(assembler, udpcamDatagrams(FRAME, 10, 200), 'cam', start, 50);
    assert.equal(frames.length, 1);
    assert.ok(frames[0]!.data.equals(FRAME));
  });
});

describe('FrameAssembler: frames that do not fit are dropped, and counted', () => {
  test('a second S for an image id drops the partial frame as superseded', () => {
    const assembler = new FrameAssembler();
    const older = udpcamDatagrams(uniqueFrame(POOL[6]!, 1), 30, 200);
    const newer = udpcamDatagrams(uniqueFrame(POOL[6]!, 2), 30, 200);
    assert.deepEqual(pushAll(assembler, older.slice(0, 3), 'python', 0), []);
    const out = pushAll(assembler, newer, 'python', 1);
    assert.equal(out.length, 1);
    assert.ok(out[0]!.data.equals(uniqueFrame(POOL[6]!, 2)));
    const stats = assembler.senderStats('python')!;
    assert.equal(stats.droppedByReason.superseded, 1);
    assert.equal(stats.framesDropped, 1);
    assert.equal(assembler.framesInFlight, 0);
    assert.equal(assembler.bufferedBytes, 0);
  });

  test('a chunk id seen before with other bytes starts a new frame: the old one is superseded', () => {
    const assembler = new FrameAssembler();
    const datagrams = udpcamDatagrams(FRAME, 31, 200);
    pushAll(assembler, datagrams.slice(0, 3), 'python', 0);
    const conflicting = Buffer.concat([encodeHeader('C', 31, 1), new Xorshift32(9).bytes(200)]);
    assert.equal(assembler.push(conflicting, 'python', 1), undefined);
    const stats = assembler.senderStats('python')!;
    assert.equal(stats.droppedByReason.superseded, 1);
    assert.equal(stats.duplicateChunks, 0);
    assert.equal(assembler.framesInFlight, 1);
    assert.equal(assembler.bufferedBytes, conflicting.length, 'only the new chunk is held');
    // The rest of the old frame cannot make it whole any more.
    assert.deepEqual(pushAll(assembler, datagrams.slice(3), 'python', 2), []);
  });

  test('a partial frame of a Python sender is expired after legacySilenceMs of silence (a memory bound)', () => {
    const assembler = new FrameAssembler({ legacySilenceMs: 2000, frameTimeoutMs: 500 });
    pushAll(assembler, legacyDatagrams(FRAME, 44, 200).slice(0, 2), 'python', 0);
    assembler.expire(2000);
    assert.equal(assembler.framesInFlight, 1);
    assembler.expire(2001);
    assert.equal(assembler.framesInFlight, 0);
    assert.equal(assembler.bufferedBytes, 0);
    const stats = assembler.senderStats('python')!;
    assert.equal(stats.droppedByReason.expired, 1);
    assert.equal(stats.framesDropped, 1);
  });

  test('a partial frame of a udpcam sender is expired after frameTimeoutMs since its first chunk', () => {
    const assembler = new FrameAssembler({ legacySilenceMs: 10, frameTimeoutMs: 500 });
    const start = establishCyclingSender(assembler, 'cam');
    pushAll(assembler, udpcamDatagrams(FRAME, 10, 200).slice(0, 4), 'cam', start);
    assembler.expire(start + 400);
    assert.equal(assembler.framesInFlight, 1);
    assembler.expire(start + 500);
    assert.equal(assembler.framesInFlight, 1);
    assembler.expire(start + 501);
    assert.equal(assembler.framesInFlight, 0);
    assert.equal(assembler.bufferedBytes, 0);
    assert.equal(assembler.senderStats('cam')!.droppedByReason.expired, 1);
  });

  test('a chunk arriving for a stale partial frame expires it first', () => {
    const assembler = new FrameAssembler({ legacySilenceMs: 2000 });
    const datagrams = legacyDatagrams(FRAME, 45, 200);
    pushAll(assembler, datagrams.slice(0, 2), 'python', 0);
    assert.deepEqual(pushAll(assembler, datagrams.slice(2), 'python', 2001), []);
    assert.equal(assembler.senderStats('python')!.droppedByReason.expired, 1);
  });

  test('past maxFramesInFlight the oldest partial frame is evicted', () => {
    const assembler = new FrameAssembler({ maxFramesInFlight: 2 });
    const frames = [1, 2, 3].map((seq) => uniqueFrame(POOL[6]!, seq));
    const [a, b, c] = frames.map((frame, i) => udpcamDatagrams(frame, 60 + i, 200));
    assembler.push(a![0]!, 'cam', 0);
    assembler.push(b![0]!, 'cam', 1);
    assert.equal(assembler.framesInFlight, 2);
    assembler.push(c![0]!, 'cam', 2);
    assert.equal(assembler.framesInFlight, 2);
    assert.equal(assembler.senderStats('cam')!.droppedByReason.evicted, 1);

    const out = [...pushAll(assembler, b!.slice(1), 'cam', 3), ...pushAll(assembler, c!.slice(1), 'cam', 4)];
    assert.deepEqual(
      out.map((frame) => frame.imageId),
      [61, 62],
    );
    assert.ok(out[0]!.data.equals(frames[1]!));
    assert.ok(out[1]!.data.equals(frames[2]!));
    assert.deepEqual(pushAll(assembler, a!.slice(1), 'cam', 5), [], 'the evicted frame lost its S');
  });

  test('past maxBufferedBytes the oldest partial frame goes, and bufferedBytes stays within it', () => {
    const frames = [1, 2, 3].map((seq) => uniqueFrame(POOL[6]!, seq));
    // Three chunks per frame: L / 3 <= packetSize < L / 2.
    const packetSize = Math.ceil(Math.max(...frames.map((frame) => frame.length)) / 3);
    const [a, b, c] = frames.map((frame, i) => udpcamDatagrams(frame, 70 + i, packetSize));
    assert.deepEqual(
      [a, b, c].map((datagrams) => datagrams!.length),
      [3, 3, 3],
    );
    // Room for two chunks of A, two of B and all but one byte of C's first: C's first sheds A.
    const budget = sum([a![0]!, a![1]!, b![0]!, b![1]!, c![0]!].map((datagram) => datagram.length)) - 1;
    const assembler = new FrameAssembler({ maxBufferedBytes: budget, maxFramesInFlight: 10 });
    const out: AssembledFrame[] = [];
    for (const [i, datagram] of [
      a![0]!,
      a![1]!,
      b![0]!,
      b![1]!,
      c![0]!,
      b![2]!,
      c![1]!,
      c![2]!,
      a![2]!,
    ].entries()) {
      const frame = assembler.push(datagram, 'cam', i);
      if (frame) out.push(frame);
      assert.ok(assembler.bufferedBytes <= budget, `${assembler.bufferedBytes} > ${budget} after push ${i}`);
      if (i === 4) {
        assert.equal(assembler.senderStats('cam')!.droppedByReason.memory, 1);
        assert.equal(assembler.framesInFlight, 2);
      }
    }
    assert.deepEqual(
      out.map((frame) => frame.imageId),
      [71, 72],
    );
    assert.ok(out[0]!.data.equals(frames[1]!) && out[1]!.data.equals(frames[2]!));
    assert.equal(assembler.senderStats('cam')!.droppedByReason.memory, 1);
  });

  test('a frame over maxFrameBytes is dropped as tooLarge; one of exactly maxFrameBytes is not', () => {
    const datagrams = udpcamDatagrams(FRAME, 80, 200);

    const strict = new FrameAssembler({ maxFrameBytes: FRAME.length - 1 });
    assert.deepEqual(pushAll(strict, datagrams, 'cam', 0), []);
    const stats = strict.senderStats('cam')!;
    assert.equal(stats.droppedByReason.tooLarge, 1);
    assert.equal(stats.framesDropped, 1);
    assert.equal(strict.framesInFlight, 0);
    assert.equal(strict.bufferedBytes, 0);

    const exact = new FrameAssembler({ maxFrameBytes: FRAME.length });
    assert.equal(pushAll(exact, datagrams, 'cam', 0).length, 1);
  });

  test('past maxSenders, senders that delivered frames are kept; new ones are refused until one is idle', () => {
    const assembler = new FrameAssembler({ maxSenders: 2, senderIdleMs: 1000 });
    const datagrams = udpcamDatagrams(FRAME, 90, 200);
    assert.equal(pushAll(assembler, datagrams, 'a', 0).length, 1);
    assert.equal(pushAll(assembler, datagrams, 'b', 10).length, 1);
    assert.deepEqual(pushAll(assembler, datagrams, 'c', 500), [], 'even a whole frame is refused');
    assert.equal(assembler.stats.refusedDatagrams, datagrams.length);
    assert.equal(assembler.senderCount, 2);
    assert.equal(assembler.senderStats('c'), undefined);

    // 'a' has now been silent for senderIdleMs: it is forgotten to make room.
    assert.equal(pushAll(assembler, datagrams, 'c', 1000).length, 1);
    assert.equal(assembler.stats.sendersForgotten, 1);
    assert.equal(assembler.senderStats('a'), undefined);
    assert.ok(assembler.senderStats('b'));
    assert.equal(assembler.senderCount, 2);
    assert.equal(assembler.stats.refusedDatagrams, datagrams.length);
  });

  test('past maxSenders, a sender with no frame yet gives way to a new one (a flood cannot lock out a camera)', () => {
    const assembler = new FrameAssembler({ maxSenders: 4, senderIdleMs: 60_000 });
    const datagrams = udpcamDatagrams(FRAME, 90, 200);
    assert.equal(pushAll(assembler, datagrams, 'camera', 0).length, 1);
    // 100 ports, each sending one lone chunk that never completes.
    for (let port = 0; port < 100; port++) assembler.push(datagrams[1]!, `junk:${port}`, 1 + port);
    assert.equal(assembler.senderCount, 4);
    assert.ok(assembler.senderStats('camera'), 'the camera that delivered a frame stays');
    assert.equal(assembler.stats.refusedDatagrams, 0);
    assert.equal(assembler.stats.sendersForgotten, 97);
    // A new real camera gets in, and its first frame comes out whole.
    assert.equal(pushAll(assembler, datagrams, 'second', 200).length, 1);
    assert.ok(assembler.senderStats('camera'));
  });

  test('options it cannot work with are refused up front, or push still never throws', () => {
    let assembler: FrameAssembler;
    try {
      assembler = new FrameAssembler({ maxFramesInFlight: 0 });
    } catch (error) {
      assert.ok(error instanceof UdpcamError && error.code === 'UDPCAM_ERR_INVALID_OPTION', String(error));
      return;
    }
    assert.doesNotThrow(() => pushAll(assembler, udpcamDatagrams(FRAME, 1, 200), 'cam', 0));
  });
});

describe('FrameAssembler: Python senders reusing image ids', () => {
  test('a frame reusing the last image id 40 ms later comes out, though its first chunks equal the last frame', () => {
    // Same size and quality, other pixels: the first few hundred bytes (JFIF, tables, SOF) match.
    const first = makeJpeg({ width: 32, height: 32, quality: 50, seed: 1 });
    const second = makeJpeg({ width: 32, height: 32, quality: 50, seed: 2 });
    const a = legacyDatagrams(first, 10, 100);
    const b = legacyDatagrams(second, 10, 100);
    assert.ok(a[0]!.equals(b[0]!), 'precondition: the S datagrams are equal');

    const assembler = new FrameAssembler();
    const out = [...pushAll(assembler, a, 'python', 0), ...pushAll(assembler, b, 'python', 40)];
    assert.deepEqual(
      out.map((frame) => frame.data.equals(first) || frame.data.equals(second)),
      [true, true],
    );
    assert.ok(out[1]!.data.equals(second));
  });

  test('a Python-framed frame reordered in transit (its empty E first) is dropped, never merged', () => {
    const first = makeJpeg({ width: 64, height: 48, quality: 80, seed: 1 });
    const second = makeJpeg({ width: 64, height: 48, quality: 80, seed: 2 });
    // Three chunks, the last one empty, for both frames: 2 * packetSize in [L, L + 112).
    const packetSize = Math.ceil(Math.max(first.length, second.length) / 2);
    const a = legacyDatagrams(first, 10, packetSize);
    const b = legacyDatagrams(second, 10, packetSize);
    assert.deepEqual(
      [a, b].map((datagrams) => datagrams.map((datagram) => datagram.length - 5)),
      [
        [packetSize, first.length - packetSize, 0],
        [packetSize, second.length - packetSize, 0],
      ],
      'precondition: S, C and an empty E',
    );
    assert.ok(!a[0]!.equals(b[0]!), 'precondition: the S datagrams differ');

    // The Python sender sends chunks in order; its frames are told apart by that order alone
    // (docs/protocol.md#legacy-limits), so a frame the network reordered cannot be trusted.
    const assembler = new FrameAssembler();
    assert.equal(pushAll(assembler, a, 'python', 0).length, 1);
    assert.deepEqual(pushAll(assembler, [b[2]!, b[0]!, b[1]!], 'python', 40), []);
    // (Its empty E equals the last frame's byte for byte: a repeat of the datagram before it.)
    // The next frame in order comes out and ends what was left of the reordered one.
    const out = pushAll(assembler, a, 'python', 80);
    assert.equal(out.length, 1);
    assert.ok(out[0]!.data.equals(first));
    assert.equal(assembler.senderStats('python')!.droppedByReason.superseded, 1);
  });

  test('a frame that pauses mid-way for longer than a frame interval still comes out (no clock ends it)', () => {
    const first = makeJpeg({ width: 64, height: 48, quality: 80, seed: 1 });
    const second = makeJpeg({ width: 64, height: 48, quality: 80, seed: 2 });
    const a = legacyDatagrams(first, 10, 200);
    const b = legacyDatagrams(second, 10, 200);
    const assembler = new FrameAssembler();
    const half = Math.floor(a.length / 2);
    assert.deepEqual(pushAll(assembler, a.slice(0, half), 'python', 0), []);
    // 1.5 s of silence mid-frame, then the rest, then the next frame reusing the id.
    const out = [
      ...pushAll(assembler, a.slice(half), 'python', 1500),
      ...pushAll(assembler, b, 'python', 1600),
    ];
    assert.deepEqual(
      out.map((frame) => frame.data),
      [first, second],
    );
    assert.equal(assembler.senderStats('python')!.framesDropped, 0);
  });

  test('a frame that lost its E is ended by the next frame, even with the same id and after a pause', () => {
    const first = makeJpeg({ width: 64, height: 48, quality: 80, seed: 1 });
    const second = makeJpeg({ width: 64, height: 48, quality: 80, seed: 2 });
    const a = legacyDatagrams(first, 10, 200);
    const b = legacyDatagrams(second, 10, 200);
    const assembler = new FrameAssembler();
    // A whole frame first, so the framing is known.
    assert.equal(pushAll(assembler, b, 'python', 0).length, 1);
    assert.deepEqual(pushAll(assembler, a.slice(0, -1), 'python', 100), []);
    const out = pushAll(assembler, b, 'python', 900);
    assert.equal(out.length, 1);
    assert.ok(out[0]!.data.equals(second));
    const stats = assembler.senderStats('python')!;
    assert.equal(stats.droppedByReason.superseded, 1);
    assert.equal(stats.droppedByReason.expired, 0);
  });
});

describe('FrameAssembler: udpcam senders faster than the id cycle', () => {
  // At 250 fps an id comes back every 400 ms, inside frameTimeoutMs (500 ms): a partial frame
  // that lost its S must not wait for the next frame with its id and be completed by that S.
  test('lost S chunks over many id wraps never stitch two frames together', () => {
    const assembler = new FrameAssembler();
    const cycle = new ImageIdCycle();
    const sent = new Set<string>();
    let emitted = 0;
    let whole = 0;
    for (let k = 0; k < 1200; k++) {
      const frame = uniqueFrame(POOL[k % POOL.length]!, k);
      sent.add(frame.toString('base64'));
      const datagrams = udpcamDatagrams(frame, cycle.next(), 300);
      // Every 37th frame loses its S; every 41st loses its E.
      const lose = k % 37 === 5 ? 0 : k % 41 === 7 ? datagrams.length - 1 : -1;
      if (lose < 0) whole++;
      for (const [i, datagram] of datagrams.entries()) {
        if (i === lose) continue;
        const out = assembler.push(datagram, 'fast', k * 4 + i * 0.01);
        if (out) {
          emitted++;
          assert.ok(sent.has(out.data.toString('base64')), `frame ${k}: emitted bytes are no sent frame`);
        }
      }
    }
    assert.equal(emitted, whole);
    const stats = assembler.senderStats('fast')!;
    assert.equal(stats.reusesImageIds, false);
    // Every frame that lost a chunk was dropped (expired as the window slid past it, or evicted
    // past 4 in flight), or is among the last few still in flight.
    assert.equal(stats.framesDropped + assembler.framesInFlight, 1200 - whole);
    assert.equal(stats.droppedByReason.superseded, 0);
    assert.ok(stats.droppedByReason.expired > 0);
  });

  // Overload (a full socket buffer) loses whole runs of frames again and again, so the sender
  // never shows 8 forward steps in a row; its ids still only move forward, and a partial frame
  // must not wait 100 frames for the next frame with its id to fill its gaps.
  test('a udpcam sender that keeps jumping ids still never gets two frames stitched together', () => {
    // Without the JPEG check, which catches many (not all) stitched frames by their structure.
    const assembler = new FrameAssembler({ checkJpeg: false });
    const cycle = new ImageIdCycle();
    const sent = new Set<string>();
    let emitted = 0;
    for (let k = 0; k < 1200; k++) {
      const frame = uniqueFrame(POOL[Math.floor(k / 100) % 2]!, k);
      sent.add(frame.toString('base64'));
      const datagrams = udpcamDatagrams(frame, cycle.next(), 300);
      if (k >= 20 && k % 17 < 11) continue; // runs of 11 whole frames lost, 6 sent
      // A frame loses its first half; the next frame with its id, 100 later, its second half.
      const half = datagrams.length >> 1;
      const lost = (i: number) => (k % 102 === 14 && i < half) || (k % 102 === 12 && i >= half);
      for (const [i, datagram] of datagrams.entries()) {
        if (k >= 20 && lost(i)) continue;
        const out = assembler.push(datagram, 'overloaded', k * 4 + i * 0.01);
        if (out) {
          emitted++;
          assert.ok(sent.has(out.data.toString('base64')), `frame ${k}: emitted bytes are no sent frame`);
        }
      }
    }
    assert.ok(emitted > 0);
    assert.equal(assembler.senderStats('overloaded')!.framing, 'udpcam');
  });

  // Ids cycle every 100 frames, so after a loss run two frames of one size and id can still meet:
  // the first loses its tail, the second (100 frames later) its head. The CRC in the metadata
  // is what tells that splice from a real frame.
  test('a frame stitched from two frames with one id and one shape is dropped by its CRC', () => {
    const base = POOL[6]!;
    const other = Buffer.from(base);
    const at = other.length - 10;
    other[at] = other[at]! ^ 0x55; // other picture bytes, same length
    const stitch = (first: Buffer, second: Buffer, sender: string): AssembledFrame[] => {
      const assembler = new FrameAssembler({ checkJpeg: false });
      const a = udpcamDatagrams(first, 7, 200);
      const b = udpcamDatagrams(second, 7, 200);
      assert.equal(a.length, b.length);
      const half = a.length >> 1;
      const out = pushAll(assembler, [...a.slice(0, half), ...b.slice(half)], sender, 0, 1);
      if (out.length === 0) assert.equal(assembler.senderStats(sender)!.droppedByReason.invalid, 1);
      return out;
    };
    // Without metadata (the original sender's frames) nothing can tell: the splice comes out.
    assert.equal(stitch(base, other, 'python-like').length, 1);
    // udpcam's stamped frames carry a CRC of their bytes: the splice is dropped as invalid.
    const first = withFrameMeta(base, { seq: 100, captureUs: 1 });
    const second = withFrameMeta(other, { seq: 200, captureUs: 1 });
    assert.equal(first.length, second.length);
    assert.deepEqual(stitch(first, second, 'udpcam'), []);
    // A whole frame passes its own check.
    assert.equal(stitch(first, first, 'udpcam').length, 1);
  });

  // A loss run of 100 frames (a stalled receiver at thousands of frames a second) hides the id's
  // cycle: the head of one frame meets the tail of the next frame with its id. udpcam's chunker
  // gives every frame near-equal chunks, longest first, so such a pair shows by its sizes.
  test('a udpcam sender: head and tail of two frames with the same id are dropped as invalid, not emitted', () => {
    const assembler = new FrameAssembler({ checkJpeg: false });
    const start = establishCyclingSender(assembler, 'cam');
    // Without the JPEG check, so only the sizes can tell: 10 chunks of 300 bytes, then 10 of 290.
    const head = udpcamDatagrams(Buffer.alloc(3000, 1), 10, 300);
    const tail = udpcamDatagrams(Buffer.alloc(2900, 2), 10, 300);
    const half = tail.length >> 1;
    assert.deepEqual(pushAll(assembler, head.slice(0, half), 'cam', start), []);
    assert.deepEqual(pushAll(assembler, tail.slice(half), 'cam', start + 1), [], 'the stitch is not emitted');
    const stats = assembler.senderStats('cam')!;
    assert.equal(stats.droppedByReason.invalid, 1);
    assert.equal(stats.framing, 'udpcam', 'one stitched frame does not make it a Python sender');
    assert.equal(pushAll(assembler, udpcamDatagrams(FRAME, 11, 200), 'cam', start + 2).length, 1);
  });

  test('a port that was a udpcam sender and now sends in the Python framing: its second whole frame is emitted', () => {
    const assembler = new FrameAssembler();
    const start = establishCyclingSender(assembler, 'cam');
    assert.deepEqual(pushAll(assembler, legacyDatagrams(FRAME, 42, 200), 'cam', start), []);
    assert.equal(assembler.senderStats('cam')!.droppedByReason.invalid, 1);
    const out = pushAll(assembler, legacyDatagrams(FRAME, 57, 200), 'cam', start + 1);
    assert.equal(out.length, 1);
    assert.ok(out[0]!.data.equals(FRAME));
    assert.equal(assembler.senderStats('cam')!.framing, 'legacy');
  });

  test('needsExpiry: true while a frame is partial or kept for duplicates, false once nothing is left', () => {
    const assembler = new FrameAssembler({ legacySilenceMs: 2000 });
    assert.equal(assembler.needsExpiry, false, 'a fresh assembler');
    // Its first frames came before it was known to cycle, so they are kept until expire() runs.
    const start = establishCyclingSender(assembler, 'cam') + 2000;
    assert.equal(assembler.needsExpiry, true);
    assembler.expire(start);
    assert.equal(assembler.needsExpiry, false, 'a cycling sender between frames: nothing to reclaim');
    const datagrams = udpcamDatagrams(FRAME, 10, 200);
    pushAll(assembler, datagrams.slice(0, -1), 'cam', start);
    assert.equal(assembler.needsExpiry, true, 'a partial frame');
    pushAll(assembler, datagrams.slice(-1), 'cam', start + 1);
    assert.equal(assembler.needsExpiry, false, 'its last chunk completes it');

    // A Python sender's frame is not kept: its repeats are told by the datagram just before them.
    assert.equal(pushAll(assembler, legacyDatagrams(FRAME, 42, 8000), 'python', start).length, 1);
    assert.equal(assembler.senderStats('python')!.framing, 'legacy');
    assert.equal(assembler.needsExpiry, false, 'a legacy sender between frames: nothing to reclaim');
    // A udpcam sender not yet known to cycle ids keeps a frame's bytes for late duplicates.
    assert.equal(pushAll(assembler, udpcamDatagrams(FRAME, 10, 200), 'new', start).length, 1);
    assert.equal(assembler.needsExpiry, true);
    assembler.expire(start + 5);
    assert.equal(assembler.needsExpiry, true, 'still within frameTimeoutMs');
    assembler.expire(start + 4000);
    assert.equal(assembler.needsExpiry, false);
  });

  test('a cycling sender keeps no frame bytes for late duplicates; they are still recognised', () => {
    const assembler = new FrameAssembler();
    const start = establishCyclingSender(assembler, 'cam');
    const datagrams = udpcamDatagrams(FRAME, 10, 200);
    assert.equal(pushAll(assembler, datagrams, 'cam', start).length, 1);
    assert.equal(pushAll(assembler, datagrams, 'cam', start + 5).length, 0);
    assert.equal(assembler.senderStats('cam')!.duplicateChunks, datagrams.length);
  });
});
