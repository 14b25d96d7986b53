/**
 * Property: for any frames, packet sizes, losses, duplicates and reorderings, the FrameAssembler
 * emits exactly the frames whose chunks all arrived, each byte-identical to what was sent.
 *
 * Scenarios are small records of numbers (which frames, which chunks are lost or doubled, a seed
 * for the order), so a failing case prints short and shrinks to a readable one.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  type AssembledFrame,
  chunkFrame,
  FrameAssembler,
  ImageIdCycle,
  LEGACY_SIZE_OVERHEAD,
  legacyChunkFrame,
  MAX_CHUNKS,
  MIN_PACKET_SIZE,
} from '@udpcam/protocol';
import fc from 'fast-check';
import { jpegPool, uniqueFrame } from '../../helpers/jpeg.js';
import { shuffle, Xorshift32 } from '../../helpers/random.js';
import { toDatagrams } from '../../helpers/wire.js';

const POOL = jpegPool();
const NUM_RUNS = 200;

const variants = new Map<string, Buffer>();
/** Frame `seq` made from pool JPEG `poolIndex`; bytes are unique per seq. Cached across runs. */
function frameBytes(poolIndex: number, seq: number): Buffer {
  const key = `${poolIndex}:${seq}`;
  let frame = variants.get(key);
  if (!frame) {
    frame = uniqueFrame(POOL[poolIndex]!, seq);
    variants.set(key, frame);
  }
  return frame;
}

/** A chunk of a frame: -1 is the last (the E), -2 the one before, n >= 0 is chunk n mod count. */
const chunkSelector = fc.oneof(fc.integer({ min: -2, max: -1 }), fc.nat(120));

function resolveChunk(selector: number, count: number): number {
  return selector < 0 ? Math.max(0, count + selector) : selector % count;
}

/** What the network does to one frame: chunks lost, chunks delivered twice. */
const frameFate = fc.record({
  lost: fc.array(chunkSelector, { maxLength: 3 }),
  doubled: fc.array(chunkSelector, { maxLength: 3 }),
});
type FrameFate = { lost: number[]; doubled: number[] };

/** A frame as sent: its bytes, its image id and its datagrams in chunk order. */
interface SentFrame {
  data: Buffer;
  imageId: number;
  datagrams: Buffer[];
  /** Whether a whole-JPEG S alone makes the frame (the Python sender's S + empty E, or a lone S). */
  startIsWhole: boolean;
}

/** One copy of a datagram as it reaches the assembler. */
interface Arrival {
  frame: number;
  chunkId: number;
  datagram: Buffer;
}

/** Every copy of every datagram that arrives, frame by frame in chunk order (not yet shuffled). */
function deliver(sent: readonly SentFrame[], fates: readonly FrameFate[]): Arrival[] {
  const arrivals: Arrival[] = [];
  sent.forEach((frame, k) => {
    const count = frame.datagrams.length;
    const fate = fates[k % fates.length] ?? { lost: [], doubled: [] };
    const lost = new Set(fate.lost.map((selector) => resolveChunk(selector, count)));
    const doubled = new Set(fate.doubled.map((selector) => resolveChunk(selector, count)));
    frame.datagrams.forEach((datagram, chunkId) => {
      if (lost.has(chunkId)) return;
      arrivals.push({ frame: k, chunkId, datagram });
      // A duplicate is another datagram with the same bytes, not the same Buffer.
      if (doubled.has(chunkId)) arrivals.push({ frame: k, chunkId, datagram: Buffer.from(datagram) });
    });
  });
  return arrivals;
}

/** The frames the assembler must emit: every chunk arrived (or a whole-JPEG S did). */
function completeFrames(sent: readonly SentFrame[], arrivals: readonly Arrival[]): number[] {
  const got = sent.map((frame) => new Array<boolean>(frame.datagrams.length).fill(false));
  for (const arrival of arrivals) got[arrival.frame]![arrival.chunkId] = true;
  return sent.flatMap((frame, k) =>
    got[k]!.every(Boolean) || (frame.startIsWhole && got[k]![0]) ? [k] : [],
  );
}

/**
 * Maps each emitted frame to the sent frame it equals byte for byte — failing if there is none
 * (a merge of two frames, or one with a gap) — and checks its sender and image id.
 */
function identify(emitted: readonly AssembledFrame[], sent: readonly SentFrame[], sender: string): number[] {
  const byContent = new Map(sent.map((frame, k) => [frame.data.toString('latin1'), k]));
  return emitted.map((frame) => {
    const k = byContent.get(frame.data.toString('latin1'));
    assert.ok(
      k !== undefined,
      `emitted ${frame.data.length} bytes (id ${frame.imageId}) that match no sent frame`,
    );
    assert.equal(frame.sender, sender);
    assert.equal(frame.imageId, sent[k]!.imageId);
    return k;
  });
}

function sorted(values: readonly number[]): number[] {
  return [...values].sort((a, b) => a - b);
}

/** The packet size wanted, raised where needed so every frame fits in 100 chunks. */
function fittingPacketSize(wanted: number, frames: readonly Buffer[], overhead: number): number {
  const longest = Math.max(...frames.map((frame) => frame.length));
  return Math.max(wanted, MIN_PACKET_SIZE, Math.floor((longest + overhead) / MAX_CHUNKS) + 1);
}

/** udpcam's sender: ids from ImageIdCycle, near-equal chunks. */
function udpcamFrames(frames: readonly Buffer[], firstId: number, packetSize: number): SentFrame[] {
  const cycle = new ImageIdCycle(firstId);
  return frames.map((data) => {
    const imageId = cycle.next();
    return {
      data,
      imageId,
      datagrams: toDatagrams(chunkFrame(data, imageId, packetSize)),
      startIsWhole: false,
    };
  });
}

/** The Python sender: the given ids (repeating), exact packetSize slices. */
function legacyFrames(
  frames: readonly Buffer[],
  imageIds: readonly number[],
  packetSize: number,
): SentFrame[] {
  return frames.map((data, k) => {
    const imageId = imageIds[k % imageIds.length]!;
    const datagrams = toDatagrams(legacyChunkFrame(data, imageId, packetSize));
    return { data, imageId, datagrams, startIsWhole: data.length <= packetSize };
  });
}

/**
 * Arrival times for a sender that sends frame k at start + k * periodMs: each datagram is 0..3 ms
 * late, frames arrive in send order, and a frame's datagrams in any order (the order of their times).
 */
function timed(arrivals: readonly Arrival[], periodMs: number, start: number, seed: number) {
  const random = new Xorshift32(seed);
  const withTimes = arrivals.map((arrival) => ({
    arrival,
    at: start + arrival.frame * periodMs + (seed === 0 ? 0 : random.int(0, 3)),
    tie: seed === 0 ? 0 : random.next(),
  }));
  return withTimes.sort((a, b) => a.at - b.at || a.tie - b.tie);
}

/**
 * Arrival times for the Python sender, which sends one frame after another, chunks in order (the
 * network keeps a flow's order): datagram i arrives `pauses[i mod n]` ms after the one before it.
 * The pauses are arbitrary — mid-frame, between frames, longer than a frame interval — but below
 * the assembler's memory bound, legacySilenceMs.
 */
function paced(arrivals: readonly Arrival[], pauses: readonly number[], start: number) {
  let at = start;
  return arrivals.map((arrival, i) => {
    at += pauses.length === 0 ? 0 : pauses[i % pauses.length]!;
    return { arrival, at };
  });
}

/** Pauses between datagrams (ms): often none, sometimes long, never past legacySilenceMs. */
const pauses = fc.array(
  fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 40 }), fc.integer({ min: 0, max: 1999 })),
  { maxLength: 12 },
);

/**
 * Checks what the Python sender's framing allows: every emitted frame is a sent frame, or — the
 * one case its bytes cannot tell apart (docs/protocol.md#legacy-limits) — two frames sharing an
 * image id, neither arrived whole, each chunk taken from one of them in chunk-id order. Returns
 * the sent frames emitted.
 */
function identifyLegacy(
  emitted: readonly AssembledFrame[],
  sent: readonly SentFrame[],
  whole: ReadonlySet<number>,
  sender: string,
): number[] {
  const byContent = new Map(sent.map((frame, k) => [frame.data.toString('latin1'), k]));
  const got: number[] = [];
  for (const frame of emitted) {
    assert.equal(frame.sender, sender);
    const k = byContent.get(frame.data.toString('latin1'));
    if (k !== undefined && whole.has(k)) {
      assert.equal(frame.imageId, sent[k]!.imageId);
      got.push(k);
      continue;
    }
    // (A splice may even equal one of its two frames byte for byte, when the chunks taken agree.)
    const spliced = sent.some((a, i) =>
      sent.some(
        (b, j) =>
          i < j &&
          !whole.has(i) &&
          !whole.has(j) &&
          a.imageId === frame.imageId &&
          b.imageId === frame.imageId &&
          isSplice(frame, a, b),
      ),
    );
    assert.ok(spliced, `emitted ${frame.data.length} bytes (id ${frame.imageId}) that match no sent frame`);
  }
  return got;
}

/** Whether the frame's chunks, in chunk-id order, are each a's or b's chunk of that id. */
function isSplice(frame: AssembledFrame, a: SentFrame, b: SentFrame): boolean {
  // Offsets into the frame reachable after each chunk (the two frames' chunks may differ in size).
  let offsets = new Set([0]);
  for (let chunkId = 0; chunkId < frame.chunks; chunkId++) {
    const next = new Set<number>();
    for (const offset of offsets) {
      for (const source of [a, b]) {
        const payload = source.datagrams[chunkId]?.subarray(5);
        if (payload?.equals(frame.data.subarray(offset, offset + payload.length)))
          next.add(offset + payload.length);
      }
    }
    offsets = next;
  }
  return offsets.has(frame.data.length);
}

/** Packet sizes: any, or one near a frame's length to make lone S frames and S + empty E frames. */
const legacyPacketSize = fc.oneof(
  fc.record({ any: fc.integer({ min: MIN_PACKET_SIZE, max: 2000 }) }),
  fc.record({ nearFrame: fc.nat(), delta: fc.integer({ min: -130, max: 130 }) }),
);
type LegacyPacketSize = { any: number } | { nearFrame: number; delta: number };

function resolveLegacyPacketSize(choice: LegacyPacketSize, frames: readonly Buffer[]): number {
  const wanted =
    'any' in choice ? choice.any : frames[choice.nearFrame % frames.length]!.length + choice.delta;
  return fittingPacketSize(wanted, frames, LEGACY_SIZE_OVERHEAD);
}

const poolIndexes = (maxLength: number) => fc.array(fc.nat(POOL.length - 1), { minLength: 1, maxLength });

describe('FrameAssembler properties', () => {
  test('udpcam framing: exactly the whole frames come out, whatever the loss, duplication and order', () => {
    const maxFrames = 8;
    const scenario = fc.record({
      frames: poolIndexes(maxFrames),
      firstId: fc.nat(99),
      packetSize: fc.integer({ min: MIN_PACKET_SIZE, max: 2000 }),
      fates: fc.array(frameFate, { maxLength: maxFrames }),
      orderSeed: fc.nat(),
    });

    fc.assert(
      fc.property(scenario, (run) => {
        const frames = run.frames.map((poolIndex, k) => frameBytes(poolIndex, k));
        const sent = udpcamFrames(frames, run.firstId, fittingPacketSize(run.packetSize, frames, 0));
        // Any order of all datagrams of all frames: the ids are distinct within the run.
        const arrivals = shuffle(deliver(sent, run.fates), run.orderSeed);

        const assembler = new FrameAssembler({ maxFramesInFlight: maxFrames });
        const now = 1000;
        const emitted: AssembledFrame[] = [];
        for (const arrival of arrivals) {
          const frame = assembler.push(arrival.datagram, 'cam', now);
          if (frame) emitted.push(frame);
        }

        const expected = completeFrames(sent, arrivals);
        assert.deepEqual(sorted(identify(emitted, sent, 'cam')), expected);

        const stats = assembler.senderStats('cam');
        assert.equal(stats?.datagrams ?? 0, arrivals.length);
        if (!stats) return;
        assert.equal(
          stats.chunks + stats.duplicateChunks,
          arrivals.length,
          'each datagram is a chunk or a duplicate',
        );
        assert.equal(stats.framesComplete, expected.length);
        assert.equal(stats.framesDropped, 0);

        // What is left are the partial frames, and they all expire.
        const partial = new Set(arrivals.map((arrival) => arrival.frame)).size - expected.length;
        assert.equal(assembler.framesInFlight, partial);
        assembler.expire(now + 60_000);
        assert.equal(assembler.framesInFlight, 0);
        assert.equal(assembler.bufferedBytes, 0);
        assert.equal(stats.droppedByReason.expired, partial);
      }),
      { numRuns: NUM_RUNS },
    );
  });

  test('legacy framing with repeated image ids and any pauses: whole frames come out, merges only where undecidable', () => {
    const scenario = fc.record({
      frames: poolIndexes(10),
      // A tiny id range, so consecutive frames often share an id.
      imageIds: fc.array(fc.integer({ min: 10, max: 12 }), { minLength: 1, maxLength: 10 }),
      pauses,
      packetSize: legacyPacketSize,
      fates: fc.array(frameFate, { maxLength: 10 }),
    });

    fc.assert(
      fc.property(scenario, (run) => {
        const frames = run.frames.map((poolIndex, k) => frameBytes(poolIndex, k));
        const packetSize = resolveLegacyPacketSize(run.packetSize, frames);
        const sent = legacyFrames(frames, run.imageIds, packetSize);
        const arrivals = deliver(sent, run.fates);
        const whole = new Set(completeFrames(sent, arrivals));

        const assembler = new FrameAssembler();
        const emitted: AssembledFrame[] = [];
        // Whole frames that began after the first frame came out, when the framing was known.
        const wholeOnceKnown = new Set<number>();
        const begun = new Set<number>();
        let lastAt = 0;
        for (const { arrival, at } of paced(arrivals, run.pauses, 0)) {
          if (!begun.has(arrival.frame) && emitted.length > 0 && whole.has(arrival.frame)) {
            wholeOnceKnown.add(arrival.frame);
          }
          begun.add(arrival.frame);
          const frame = assembler.push(arrival.datagram, 'python', at);
          if (frame) emitted.push(frame);
          lastAt = at;
        }

        const gotList = identifyLegacy(emitted, sent, whole, 'python');
        const got = new Set(gotList);
        assert.equal(got.size, gotList.length, 'no frame comes out twice');
        for (const k of got) assert.ok(whole.has(k), `frame ${k} came out without all its chunks`);
        for (const k of wholeOnceKnown) assert.ok(got.has(k), `frame ${k} arrived whole but was lost`);

        assembler.expire(lastAt + 60_000);
        assert.equal(assembler.framesInFlight, 0);
        assert.equal(assembler.bufferedBytes, 0);
      }),
      { numRuns: NUM_RUNS },
    );
  });

  test('legacy framing without loss, any ids and any pauses: every frame comes out from the first, none dropped', () => {
    const scenario = fc.record({
      frames: poolIndexes(12),
      imageIds: fc.array(fc.integer({ min: 10, max: 99 }), { minLength: 1, maxLength: 12 }),
      sameIds: fc.boolean(),
      pauses,
      packetSize: legacyPacketSize,
      doubled: fc.array(
        fc.record({ lost: fc.constant<number[]>([]), doubled: fc.array(chunkSelector, { maxLength: 2 }) }),
        { maxLength: 12 },
      ),
    });

    fc.assert(
      fc.property(scenario, (run) => {
        const frames = run.frames.map((poolIndex, k) => frameBytes(poolIndex, k));
        const packetSize = resolveLegacyPacketSize(run.packetSize, frames);
        // The same id for every frame is the hardest case: nothing but the sequence tells frames apart.
        const sent = legacyFrames(frames, run.sameIds ? [run.imageIds[0]!] : run.imageIds, packetSize);
        const arrivals = deliver(sent, run.doubled);

        const assembler = new FrameAssembler();
        const emitted: AssembledFrame[] = [];
        for (const { arrival, at } of paced(arrivals, run.pauses, 0)) {
          const frame = assembler.push(arrival.datagram, 'python', at);
          if (frame) emitted.push(frame);
        }
        assert.deepEqual(
          identify(emitted, sent, 'python'),
          sent.map((_, k) => k),
        );
        const stats = assembler.senderStats('python')!;
        assert.equal(stats.framesDropped, 0);
        assert.equal(stats.framing, 'legacy');
        assert.equal(stats.chunks + stats.duplicateChunks, arrivals.length);
        assert.equal(assembler.framesInFlight, 0);
      }),
      { numRuns: NUM_RUNS },
    );
  });

  test('two senders, one udpcam and one Python, interleaved: each comes out as if alone', () => {
    const scenario = fc.record({
      python: fc.record({
        frames: poolIndexes(8),
        // Distinct ids here: id reuse is the property above, this one is about mixing senders.
        imageIds: fc.uniqueArray(fc.integer({ min: 10, max: 99 }), { minLength: 8, maxLength: 8 }),
        pauses,
        packetSize: legacyPacketSize,
        fates: fc.array(frameFate, { maxLength: 8 }),
      }),
      udpcam: fc.record({
        frames: poolIndexes(8),
        firstId: fc.nat(99),
        periodMs: fc.integer({ min: 5, max: 60 }),
        startMs: fc.nat(50),
        packetSize: fc.integer({ min: MIN_PACKET_SIZE, max: 2000 }),
        fates: fc.array(frameFate, { maxLength: 8 }),
        orderSeed: fc.nat(),
      }),
      pythonFirstOnTies: fc.boolean(),
    });

    fc.assert(
      fc.property(scenario, ({ python, udpcam, pythonFirstOnTies }) => {
        const pythonData = python.frames.map((poolIndex, k) => frameBytes(poolIndex, k));
        const pythonSent = legacyFrames(
          pythonData,
          python.imageIds,
          resolveLegacyPacketSize(python.packetSize, pythonData),
        );
        const udpcamData = udpcam.frames.map((poolIndex, k) => frameBytes(poolIndex, 100 + k));
        const udpcamSent = udpcamFrames(
          udpcamData,
          udpcam.firstId,
          fittingPacketSize(udpcam.packetSize, udpcamData, 0),
        );
        const pythonArrivals = deliver(pythonSent, python.fates);
        const udpcamArrivals = deliver(udpcamSent, udpcam.fates);

        const events = [
          ...paced(pythonArrivals, python.pauses, 0).map((e) => ({
            ...e,
            sender: 'python',
          })),
          ...timed(udpcamArrivals, udpcam.periodMs, udpcam.startMs, udpcam.orderSeed).map((e) => ({
            ...e,
            sender: 'udpcam',
          })),
        ];
        // A stable sort by time keeps each sender's own order; ties between senders go either way.
        events.sort(
          (a, b) =>
            a.at - b.at ||
            (a.sender === b.sender ? 0 : (a.sender === 'python') === pythonFirstOnTies ? -1 : 1),
        );

        const assembler = new FrameAssembler();
        const emitted = { python: [] as AssembledFrame[], udpcam: [] as AssembledFrame[] };
        for (const { arrival, at, sender } of events) {
          const frame = assembler.push(arrival.datagram, sender, at);
          if (frame) emitted[sender as keyof typeof emitted].push(frame);
        }

        assert.deepEqual(
          sorted(identify(emitted.python, pythonSent, 'python')),
          completeFrames(pythonSent, pythonArrivals),
        );
        assert.deepEqual(
          sorted(identify(emitted.udpcam, udpcamSent, 'udpcam')),
          completeFrames(udpcamSent, udpcamArrivals),
        );
        assert.equal(assembler.senderStats('python')?.datagrams ?? 0, pythonArrivals.length);
        assert.equal(assembler.senderStats('udpcam')?.datagrams ?? 0, udpcamArrivals.length);
      }),
      { numRuns: NUM_RUNS },
    );
  });
});
