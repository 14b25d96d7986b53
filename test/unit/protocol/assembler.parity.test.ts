/**
 * Properties of reassembly with parity (docs/protocol.md#parity): a frame is emitted, byte for
 * byte, at the very datagram that brings any k of its k + m datagrams in; with fewer it is never
 * emitted; the counters say exactly how many frames parity saved and how many chunks were lost.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  type AssembledFrame,
  chunkFrame,
  DatagramOpener,
  DatagramSealer,
  FrameAssembler,
  generateKey,
  ImageIdCycle,
  legacyChunkFrame,
  MAX_CHUNKS,
  MIN_PACKET_SIZE,
  PARITY_SHARD_OFFSET,
  parityDatagrams,
  StreamKey,
} from '@udpcam/protocol';
import fc from 'fast-check';
import { jpegPool, uniqueFrame } from '../../helpers/jpeg.js';
import { shuffle } from '../../helpers/random.js';
import { toDatagrams } from '../../helpers/wire.js';

const POOL = jpegPool();

/** A frame as udpcam sends it with parity: k data datagrams, then m parity datagrams. */
interface SentFrame {
  data: Buffer;
  imageId: number;
  k: number;
  /** Data datagrams (0..k-1), then parity (k..k+m-1). */
  datagrams: Buffer[];
}

function sendWithParity(
  frames: readonly Buffer[],
  firstId: number,
  packetSize: number,
  m: number,
): SentFrame[] {
  const cycle = new ImageIdCycle(firstId);
  return frames.map((data) => {
    const imageId = cycle.next();
    const chunks = chunkFrame(data, imageId, packetSize);
    const parity = parityDatagrams(chunks, imageId, data.length, m);
    return { data, imageId, k: chunks.length, datagrams: [...toDatagrams(chunks), ...toDatagrams(parity)] };
  });
}

interface Arrival {
  frame: number;
  /** Position among the frame's datagrams: < k data, >= k parity. */
  index: number;
  datagram: Buffer;
}

function pushAll(assembler: FrameAssembler, arrivals: readonly Arrival[], now: number) {
  const emittedAt: (number | undefined)[] = [];
  const emitted: AssembledFrame[] = [];
  arrivals.forEach((arrival, step) => {
    const frame = assembler.push(arrival.datagram, 'cam', now);
    if (frame) {
      emitted.push(frame);
      emittedAt.push(step);
    }
  });
  return { emitted, emittedAt };
}

/**
 * What the assembler must do, worked out from the arrivals alone: each frame is due at the arrival
 * that makes k distinct datagrams; it was recovered if fewer than k of those were data.
 */
function expectations(sent: readonly SentFrame[], arrivals: readonly Arrival[]) {
  const seen = sent.map(() => new Set<number>());
  const due = new Map<number, { step: number; recovered: boolean; dataBefore: number }>();
  arrivals.forEach((arrival, step) => {
    const frame = sent[arrival.frame]!;
    const set = seen[arrival.frame]!;
    if (due.has(arrival.frame)) return;
    set.add(arrival.index);
    if (set.size === frame.k) {
      const data = [...set].filter((index) => index < frame.k).length;
      due.set(arrival.frame, { step, recovered: data < frame.k, dataBefore: data });
    }
  });
  return { due, seen };
}

describe('FrameAssembler with parity', () => {
  test('any k of k + m datagrams, in any order: the frame comes out at once, byte-identical; fewer: never (property)', () => {
    const scenario = fc.record({
      frames: fc.array(fc.nat(POOL.length - 1), { minLength: 1, maxLength: 6 }),
      firstId: fc.nat(99),
      packetSize: fc.integer({ min: MIN_PACKET_SIZE, max: 400 }),
      m: fc.integer({ min: 1, max: 6 }),
      // Per frame: how many datagrams are lost (0..m+2) and a seed choosing which.
      losses: fc.array(fc.record({ count: fc.nat(8), seed: fc.nat() }), { minLength: 6, maxLength: 6 }),
      doubled: fc.array(fc.nat(200), { maxLength: 4 }),
      orderSeed: fc.nat(),
    });
    fc.assert(
      fc.property(scenario, (run) => {
        const frames = run.frames.map((poolIndex, k) => uniqueFrame(POOL[poolIndex]!, k));
        const longest = Math.max(...frames.map((frame) => frame.length));
        const packetSize = Math.max(run.packetSize, Math.ceil(longest / MAX_CHUNKS));
        const sent = sendWithParity(frames, run.firstId, packetSize, run.m);
        const arrivals: Arrival[] = [];
        sent.forEach((frame, f) => {
          const loss = run.losses[f]!;
          const lost = new Set(shuffle([...frame.datagrams.keys()], loss.seed + 1).slice(0, loss.count));
          frame.datagrams.forEach((datagram, index) => {
            if (!lost.has(index)) arrivals.push({ frame: f, index, datagram });
          });
        });
        for (const pick of run.doubled) {
          const copy = arrivals[pick % arrivals.length];
          if (copy) arrivals.push({ ...copy, datagram: Buffer.from(copy.datagram) });
        }
        shuffle(arrivals, run.orderSeed);

        const assembler = new FrameAssembler({ maxFramesInFlight: 8 });
        const { emitted, emittedAt } = pushAll(assembler, arrivals, 1000);
        const { due, seen } = expectations(sent, arrivals);

        // Exactly the frames with k distinct datagrams, each at the arrival that made k.
        const byContent = new Map(sent.map((frame, f) => [frame.data.toString('latin1'), f]));
        const got = emitted.map((frame, i) => {
          const f = byContent.get(frame.data.toString('latin1'));
          assert.ok(f !== undefined, `emitted ${frame.data.length} bytes that match no sent frame`);
          assert.equal(frame.imageId, sent[f]!.imageId);
          assert.equal(emittedAt[i], due.get(f)!.step, `frame ${f} came out at the datagram that made k`);
          return f;
        });
        assert.deepEqual(
          got.sort((a, b) => a - b),
          [...due.keys()].sort((a, b) => a - b),
        );

        const stats = assembler.senderStats('cam');
        if (stats === undefined) return assert.equal(arrivals.length, 0);
        const recovered = [...due.values()].filter((d) => d.recovered);
        assert.equal(stats.framesRecovered, recovered.length);
        assert.equal(stats.framesComplete, due.size);
        assert.equal(stats.parityInvalid, 0);
        assert.equal(stats.parityReceived, arrivals.filter((a) => a.index >= sent[a.frame]!.k).length);
        // Lost chunks: the data chunks parity rebuilt, then those of frames that expire, once
        // their chunk count was known (from a parity datagram or the E).
        let lost = 0;
        for (const [f, d] of due) if (d.recovered) lost += sent[f]!.k - d.dataBefore;
        assembler.expire(1000 + 60_000);
        sent.forEach((frame, f) => {
          if (due.has(f)) return;
          const indexes = [...seen[f]!];
          const data = indexes.filter((index) => index < frame.k).length;
          const known = indexes.some((index) => index >= frame.k - 1);
          if (known) lost += frame.k - data;
        });
        assert.equal(stats.datagramsLost, lost);
        assert.equal(assembler.framesInFlight, 0);
        assert.equal(assembler.bufferedBytes, 0);
      }),
      { numRuns: 200 },
    );
  });

  test('a burst of m consecutive datagrams anywhere in a frame is recovered', () => {
    const frame = uniqueFrame(POOL[POOL.length - 1]!, 7);
    const packetSize = Math.ceil(frame.length / 41);
    const [sent] = sendWithParity([frame], 5, packetSize, 4);
    for (let start = 0; start + 4 <= sent!.datagrams.length; start++) {
      const assembler = new FrameAssembler();
      let out: AssembledFrame | undefined;
      sent!.datagrams.forEach((datagram, index) => {
        if (index >= start && index < start + 4) return;
        out = assembler.push(datagram, 'cam', 0) ?? out;
      });
      assert.ok(out, `burst at ${start}`);
      assert.deepEqual(out.data, frame);
    }
  });

  test('parity that contradicts the frame being collected starts a new one instead of joining it', () => {
    const [a, b] = [uniqueFrame(POOL[0]!, 1), uniqueFrame(POOL[1]!, 2)];
    const [sentA] = sendWithParity([a], 10, 64, 2);
    const [sentB] = sendWithParity([b], 10, 64, 2); // same image id, another frame
    const assembler = new FrameAssembler();
    // A's data minus one chunk, then B's parity: it must not be used to "rebuild" A.
    for (const datagram of sentA!.datagrams.slice(1, sentA!.k))
      assert.equal(assembler.push(datagram, 'cam', 0), undefined);
    for (const datagram of sentB!.datagrams.slice(sentB!.k)) assembler.push(datagram, 'cam', 0);
    const stats = assembler.senderStats('cam')!;
    assert.equal(stats.framesComplete, 0);
    assert.equal(stats.droppedByReason.superseded, 1);
  });

  test('a late parity datagram of a frame already out is absorbed, not a new frame', () => {
    const [sent] = sendWithParity([uniqueFrame(POOL[0]!, 3)], 0, 200, 3);
    const assembler = new FrameAssembler();
    const out = sent!.datagrams.map((datagram) => assembler.push(datagram, 'cam', 0)).filter(Boolean);
    assert.equal(out.length, 1);
    assert.equal(assembler.framesInFlight, 0);
    assert.equal(assembler.senderStats('cam')!.parityReceived, 3);
  });

  test('parity arriving after a stall longer than the tombstone is still absorbed, not a phantom frame', () => {
    // A new sender is not known to cycle ids yet: its tombstones last chunkGapMs (10 ms).
    const [sent] = sendWithParity([uniqueFrame(POOL[0]!, 8)], 0, 200, 3);
    const assembler = new FrameAssembler();
    const data = sent!.datagrams.slice(0, sent!.k);
    assert.ok(data.map((datagram) => assembler.push(datagram, 'cam', 0)).some(Boolean));
    assembler.expire(30); // the receiver's timer ran during the stall
    for (const parity of sent!.datagrams.slice(sent!.k))
      assert.equal(assembler.push(parity, 'cam', 40), undefined);
    assert.equal(assembler.framesInFlight, 0);
    assembler.expire(10_000);
    const stats = assembler.senderStats('cam')!;
    assert.deepEqual([stats.framesDropped, stats.datagramsLost, stats.parityReceived], [0, 0, 3]);
  });

  test('isLateParity: only parity of a sender with parity, for its frame completed within frameTimeoutMs', () => {
    const [a, b] = sendWithParity([uniqueFrame(POOL[0]!, 5), uniqueFrame(POOL[1]!, 6)], 0, 200, 3);
    const assembler = new FrameAssembler({ frameTimeoutMs: 500 });
    for (const datagram of a!.datagrams.slice(0, a!.k)) assembler.push(datagram, 'cam', 1000);
    assert.equal(assembler.isLateParity('cam', a!.imageId, 1000), false, 'no parity seen from it yet');
    assembler.push(a!.datagrams[a!.k]!, 'cam', 1000); // its first parity: absorbed
    assert.equal(assembler.isLateParity('cam', a!.imageId, 1000), true, 'complete, fresh');
    assert.equal(assembler.isLateParity('cam', a!.imageId, 1500), true);
    assert.equal(assembler.isLateParity('cam', a!.imageId, 1501), false, 'after frameTimeoutMs');
    assert.equal(assembler.isLateParity('other', a!.imageId, 1000), false, 'another sender');
    for (const datagram of b!.datagrams.slice(0, b!.k - 1)) assembler.push(datagram, 'cam', 1000);
    assert.equal(assembler.isLateParity('cam', b!.imageId, 1000), false, 'an incomplete frame');
    assert.equal(assembler.isLateParity('cam', 42, 1000), false, 'a frame never seen');
  });

  test('a parity datagram with an unusable sub-header is counted and ignored', () => {
    const [sent] = sendWithParity([uniqueFrame(POOL[0]!, 4)], 0, 200, 1);
    const broken = Buffer.from(sent!.datagrams[sent!.k]!);
    broken[PARITY_SHARD_OFFSET - 8] = 9; // version
    const assembler = new FrameAssembler();
    assert.equal(assembler.push(broken, 'cam', 0), undefined);
    assert.equal(assembler.senderStats('cam')!.parityInvalid, 1);
    assert.equal(assembler.framesInFlight, 0);
  });

  test('sealed with a stream key (issue 15), parity datagrams open like chunks and still rebuild', () => {
    const key = new StreamKey(generateKey());
    const sealer = new DatagramSealer(key);
    const opener = new DatagramOpener([key]);
    const imageId = 7;
    const data = uniqueFrame(POOL[1]!, 9);
    const chunks = chunkFrame(data, imageId, 300);
    const assembler = new FrameAssembler();
    const frames: AssembledFrame[] = [];
    // Chunk 1 is lost on the way; the 2 parity datagrams go sealed like the rest.
    for (const [index, [header, payload]] of [
      ...chunks,
      ...parityDatagrams(chunks, imageId, data.length, 2),
    ].entries()) {
      const sealed = Buffer.concat(sealer.seal(header, payload));
      assert.equal(sealed[0], header[0]! | 0x20, 'lower-case type on the wire');
      if (index === 1) continue;
      const opened = opener.open(sealed);
      assert.ok(typeof opened !== 'number', `datagram ${index} opens`);
      const frame = assembler.push(opened, 'cam', 0);
      if (frame) frames.push(frame);
    }
    assert.equal(frames.length, 1);
    assert.deepEqual(frames[0]!.data, data);
    assert.equal(assembler.senderStats('cam')!.framesRecovered, 1);
  });

  test('a Python sender beside a udpcam sender with parity: both come out whole', () => {
    const python = toDatagrams(legacyChunkFrame(uniqueFrame(POOL[0]!, 5), 42, 300));
    const [withParity] = sendWithParity([uniqueFrame(POOL[1]!, 6)], 42, 300, 2);
    const assembler = new FrameAssembler();
    const out: AssembledFrame[] = [];
    // Interleaved; the udpcam frame loses its chunk 1, parity rebuilds it.
    const udpcam = withParity!.datagrams.filter((_, index) => index !== 1);
    for (let i = 0; i < Math.max(python.length, udpcam.length); i++) {
      const p = python[i] && assembler.push(python[i]!, 'python', 0);
      const u = udpcam[i] && assembler.push(udpcam[i]!, 'udpcam', 0);
      for (const frame of [p, u]) if (frame) out.push(frame);
    }
    assert.deepEqual(out.map((frame) => frame.sender).sort(), ['python', 'udpcam']);
    assert.deepEqual(out.find((frame) => frame.sender === 'udpcam')!.data, withParity!.data);
    assert.equal(assembler.senderStats('udpcam')!.framesRecovered, 1);
  });
});
