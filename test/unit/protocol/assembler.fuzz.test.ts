/**
 * Fuzz: a FrameAssembler with small limits fed junk, near-valid and valid datagrams from many
 * senders. Whatever comes in, push never throws, the limits hold after every push, every frame
 * that comes out is a well-formed JPEG, and nothing is held once everything has expired.
 *
 * The long run is seeded (UDPCAM_FUZZ_SEED, UDPCAM_FUZZ_DATAGRAMS to explore further); the short
 * one is driven by fast-check so a failure shrinks to a few datagrams.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  type AssemblerOptions,
  type ChunkType,
  chunkFrame,
  DROP_REASONS,
  type DropReason,
  FrameAssembler,
  ImageIdCycle,
  isWellFormedJpeg,
  LEGACY_SIZE_OVERHEAD,
  legacyChunkFrame,
  MAX_CHUNKS,
  MIN_PACKET_SIZE,
  type SenderStats,
} from '@udpcam/protocol';
import fc from 'fast-check';
import { jpegPool, uniqueFrame } from '../../helpers/jpeg.js';
import { Xorshift32 } from '../../helpers/random.js';
import { anyHeader, fromHex, toDatagrams } from '../../helpers/wire.js';

/** Small limits, so that every one of them is hit many times. */
const LIMITS: Partial<AssemblerOptions> = {
  maxFrameBytes: 2500,
  maxFramesInFlight: 3,
  maxSenders: 6,
  maxBufferedBytes: 6000,
  frameTimeoutMs: 200,
  legacySilenceMs: 300,
  senderIdleMs: 1000,
};
const SENDERS = Array.from({ length: 12 }, (_, i) => `10.0.0.${i + 1}:5005`);

const SEED = Number(process.env.UDPCAM_FUZZ_SEED ?? 0x0dc0ffee);
const DATAGRAMS = Number(process.env.UDPCAM_FUZZ_DATAGRAMS ?? 200_000);

/** A few dozen distinct frames (0.6 to 3 kB; some over maxFrameBytes), made once. */
const FRAMES = Array.from({ length: 48 }, (_, seq) => uniqueFrame(jpegPool()[seq % jpegPool().length]!, seq));

/** Checks every bound after a push; `where` says which datagram, to reproduce a failure. */
class Watcher {
  readonly options: Readonly<AssemblerOptions>;
  emitted = 0;
  emittedExact = 0;
  peakBufferedBytes = 0;
  peakFramesInFlight = 0;
  /** Every sender's stats object seen, to total drops over senders since forgotten. */
  readonly #stats = new Set<Readonly<SenderStats>>();
  readonly #known = new Set(FRAMES.map((frame) => frame.toString('latin1')));

  constructor(readonly assembler: FrameAssembler) {
    this.options = assembler.options;
  }

  push(datagram: Buffer, sender: string, now: number, where: string): void {
    let frame: ReturnType<FrameAssembler['push']>;
    try {
      frame = this.assembler.push(datagram, sender, now);
    } catch (error) {
      assert.fail(`${where}: push threw ${String(error)} for ${datagram.toString('hex')} from ${sender}`);
    }
    const { assembler, options } = this;
    if (assembler.bufferedBytes > options.maxBufferedBytes) {
      assert.fail(`${where}: bufferedBytes ${assembler.bufferedBytes} > ${options.maxBufferedBytes}`);
    }
    if (assembler.framesInFlight > options.maxSenders * options.maxFramesInFlight) {
      assert.fail(`${where}: framesInFlight ${assembler.framesInFlight}`);
    }
    if (assembler.senderCount > options.maxSenders)
      assert.fail(`${where}: senderCount ${assembler.senderCount}`);
    const stats = assembler.senderStats(sender);
    if (stats) this.#stats.add(stats);
    if (assembler.bufferedBytes < 0) assert.fail(`${where}: bufferedBytes ${assembler.bufferedBytes} < 0`);
    this.peakBufferedBytes = Math.max(this.peakBufferedBytes, assembler.bufferedBytes);
    this.peakFramesInFlight = Math.max(this.peakFramesInFlight, assembler.framesInFlight);
    if (frame) {
      this.emitted++;
      if (!isWellFormedJpeg(frame.data)) assert.fail(`${where}: emitted a frame that is not a JPEG`);
      assert.ok(frame.data.length <= options.maxFrameBytes, `${where}: emitted ${frame.data.length} bytes`);
      assert.equal(frame.sender, sender, where);
      if (this.#known.has(frame.data.toString('latin1'))) this.emittedExact++;
    }
  }

  /** Drops by reason, summed over every sender seen (forgotten ones at the time they were last seen). */
  droppedByReason(): Record<DropReason, number> {
    const total = Object.fromEntries(DROP_REASONS.map((reason) => [reason, 0])) as Record<DropReason, number>;
    for (const stats of this.#stats)
      for (const reason of DROP_REASONS) total[reason] += stats.droppedByReason[reason];
    return total;
  }

  /** Expires everything and checks nothing is held any more. */
  drain(now: number): void {
    this.assembler.expire(now + 10 * (this.options.frameTimeoutMs + this.options.legacySilenceMs));
    assert.equal(this.assembler.bufferedBytes, 0);
    assert.equal(this.assembler.framesInFlight, 0);
  }
}

/** A sender that streams real frames, udpcam's or the Python sender's way, slightly out of order. */
class Stream {
  readonly #queue: Buffer[] = [];
  readonly #cycle: ImageIdCycle;

  constructor(
    readonly legacy: boolean,
    readonly random: Xorshift32,
  ) {
    this.#cycle = new ImageIdCycle(random.int(0, 99));
  }

  next(): Buffer {
    if (this.#queue.length === 0) this.#queue.push(...this.#frame());
    // Swap with the next datagram now and then.
    if (this.#queue.length > 1 && this.random.chance(0.1)) {
      [this.#queue[0], this.#queue[1]] = [this.#queue[1]!, this.#queue[0]!];
    }
    return this.#queue.shift()!;
  }

  #frame(): Buffer[] {
    const frame = this.random.pick(FRAMES);
    const overhead = this.legacy ? LEGACY_SIZE_OVERHEAD : 0;
    const smallest = Math.max(MIN_PACKET_SIZE, Math.floor((frame.length + overhead) / MAX_CHUNKS) + 1);
    const packetSize = Math.max(
      smallest,
      this.random.chance(0.5) ? this.random.int(16, 300) : this.random.int(16, 3200),
    );
    return this.legacy
      ? toDatagrams(legacyChunkFrame(frame, this.random.int(10, 13), packetSize))
      : toDatagrams(chunkFrame(frame, this.#cycle.next(), packetSize));
  }
}

const TYPES: readonly ChunkType[] = ['S', 'C', 'E'];

/** Datagrams of every kind, from a seeded generator. */
function randomDatagram(random: Xorshift32, stream: Stream): Buffer {
  const kind = random.int(0, 99);
  if (kind < 10) return random.bytes(random.int(0, 40));
  if (kind < 30) {
    // A well-formed header (or an S not numbered 00) and a random payload, sometimes JPEG-ish.
    const type = random.pick(TYPES);
    const chunkId = type === 'S' && random.chance(0.8) ? 0 : random.int(random.chance(0.9) ? 1 : 0, 99);
    const body = random.bytes(random.int(0, 400));
    if (random.chance(0.3)) body.set(fromHex('ff d8').subarray(0, Math.min(2, body.length)));
    return Buffer.concat([anyHeader(type, random.int(0, 99), chunkId), body]);
  }
  if (kind < 45) {
    // A real chunk, damaged.
    const datagram = Buffer.from(stream.next());
    switch (random.int(0, 4)) {
      case 0:
        if (datagram.length > 0) {
          const at = random.int(0, datagram.length - 1);
          datagram[at] = datagram[at]! ^ (1 << random.int(0, 7));
        }
        return datagram;
      case 1:
        return datagram.subarray(0, random.int(0, datagram.length));
      case 2:
        return Buffer.concat([datagram, random.bytes(random.int(1, 50))]);
      case 3:
        datagram[random.int(1, 4)] = 0x30 + random.int(0, 9);
        return datagram;
      default:
        datagram[0] = random.pick(TYPES).charCodeAt(0);
        return datagram;
    }
  }
  return stream.next();
}

describe('FrameAssembler fuzz', () => {
  test(`random, damaged and real datagrams from ${SENDERS.length} senders (seed ${SEED})`, () => {
    const random = new Xorshift32(SEED);
    const watcher = new Watcher(new FrameAssembler(LIMITS));
    const streams = SENDERS.map((_, i) => new Stream(i % 3 === 0, new Xorshift32(SEED + i + 1)));
    let now = 0;
    let pushed = 0;
    for (; pushed < DATAGRAMS; pushed++) {
      // Mostly a few senders at a time, so that frames get to complete between the others.
      const active = Math.floor(pushed / 5000) % SENDERS.length;
      const index = random.chance(0.8)
        ? (active + random.int(0, 2)) % SENDERS.length
        : random.int(0, SENDERS.length - 1);
      now += random.chance(0.05) ? random.int(1, 40) : random.int(0, 1);
      const datagram = randomDatagram(random, streams[index]!);
      watcher.push(datagram, SENDERS[index]!, now, `seed ${SEED}, datagram ${pushed}`);
      if (random.chance(0.01)) watcher.assembler.expire(now);
    }
    watcher.drain(now);

    // The run reached the states it is meant to test.
    const { assembler } = watcher;
    assert.equal(
      pushed,
      DATAGRAMS,
      'every datagram of the seeded run was pushed (no time budget: the same work on every machine)',
    );
    assert.ok(watcher.emittedExact > 0, `no real frame came out (${watcher.emitted} frames in all)`);
    assert.ok(
      watcher.peakBufferedBytes > LIMITS.maxBufferedBytes! / 2,
      `peak ${watcher.peakBufferedBytes} bytes`,
    );
    assert.ok(
      watcher.peakFramesInFlight > LIMITS.maxFramesInFlight!,
      `peak ${watcher.peakFramesInFlight} frames`,
    );
    assert.ok(assembler.stats.refusedDatagrams > 0, 'maxSenders never refused anyone');
    assert.ok(assembler.stats.sendersForgotten > 0, 'no idle sender was forgotten');
    const dropped = watcher.droppedByReason();
    for (const reason of DROP_REASONS) assert.ok(dropped[reason] > 0, `no frame dropped as ${reason}`);
  });

  test('short runs that shrink on failure (property)', () => {
    const datagram = fc.oneof(
      fc.uint8Array({ maxLength: 24 }).map((bytes) => Buffer.from(bytes)),
      fc
        .record({
          type: fc.constantFrom<ChunkType>(...TYPES),
          imageId: fc.nat(99),
          chunkId: fc.nat(99),
          body: fc.uint8Array({ maxLength: 64 }),
        })
        .map(({ type, imageId, chunkId, body }) => Buffer.concat([anyHeader(type, imageId, chunkId), body])),
      // Real chunks, whole or damaged, of a frame from a small set.
      fc
        .record({
          frame: fc.nat(FRAMES.length - 1),
          legacy: fc.boolean(),
          imageId: fc.integer({ min: 10, max: 11 }),
          packetSize: fc.integer({ min: 300, max: 3000 }),
          chunk: fc.nat(),
          flip: fc.option(fc.nat(), { freq: 4 }),
        })
        .map(({ frame, legacy, imageId, packetSize, chunk, flip }) => {
          const data = FRAMES[frame]!;
          const chunks = legacy
            ? legacyChunkFrame(data, imageId, packetSize)
            : chunkFrame(data, imageId, Math.max(packetSize, Math.ceil(data.length / MAX_CHUNKS)));
          const bytes = Buffer.concat(chunks[chunk % chunks.length]!);
          if (flip !== null && bytes.length > 0)
            bytes[flip % bytes.length] = bytes[flip % bytes.length]! ^ 0x10;
          return bytes;
        }),
    );
    const event = fc.record({ datagram, sender: fc.nat(3), advanceMs: fc.nat(30) });
    fc.assert(
      fc.property(fc.array(event, { maxLength: 300 }), (events) => {
        const watcher = new Watcher(
          new FrameAssembler({ ...LIMITS, maxSenders: 2, maxFramesInFlight: 2, maxBufferedBytes: 3000 }),
        );
        let now = 0;
        events.forEach(({ datagram, sender, advanceMs }, i) => {
          now += advanceMs;
          watcher.push(datagram, `s${sender}`, now, `event ${i}`);
        });
        watcher.drain(now);
      }),
      { numRuns: 200 },
    );
  });
});
