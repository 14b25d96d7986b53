/**
 * The receiver's NACK decisions (docs/protocol.md#nack), driven datagram by datagram with an
 * injected clock: ask as soon as a gap shows (not after a timeout), only for what parity cannot
 * make up, padded to what is asked, a bounded number of times, never a Python-framed sender, and
 * never more NACK bytes at a sender than a fraction of what came from it.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { chunkFrame, legacyChunkFrame, parityCount, parityDatagrams } from '@udpcam/protocol';
import { type NackRequest, NackTracker } from '#receiver/nack/nack-tracker.js';

const SENDER = '127.0.0.1:40000';
const PACKET = 1400;
const BYTES = 57_000; // 41 chunks of 1390..1391 bytes

/** Frame `id`'s datagrams as received (parity after the data when `fec` > 0). */
function frameDatagrams(id: number, fec = 0, bytes = BYTES): Buffer[] {
  const jpeg = Buffer.alloc(bytes, id + 1);
  const chunks = chunkFrame(jpeg, id, PACKET);
  const parity = fec > 0 ? parityDatagrams(chunks, id, bytes, parityCount(chunks.length, fec)) : [];
  return [...chunks, ...parity].map(([h, p]) => Buffer.concat([h, p]));
}

/** A tracker that trusts every sender's framing (as the assembler would after one whole frame). */
function tracker(options = {}) {
  return new NackTracker(() => true, options);
}

/** Feeds datagrams at time `now`, returning every request made. */
function feed(t: NackTracker, datagrams: Buffer[], now = 0): NackRequest[] {
  return datagrams.flatMap((d) => t.observe(d, SENDER, now) ?? []);
}

describe('NackTracker', () => {
  test('no parity: a lost chunk is asked for at the next chunk, padded to one chunk, and a resend saves the frame', () => {
    const t = tracker();
    feed(t, frameDatagrams(0)); // a first whole frame: budget earned
    const frame = frameDatagrams(1);
    assert.deepEqual(feed(t, frame.slice(0, 5), 10), []);
    const asked = feed(t, [frame[6]!], 10);
    assert.deepEqual(
      asked.map((r) => [r.imageId, r.chunks, r.tailFrom]),
      [[1, [5], undefined]],
    );
    assert.equal(asked[0]!.padTo, frame[5]!.length + 1, 'one chunk, +1 byte: chunks differ by one at most');
    feed(t, frame.slice(7), 10);
    assert.equal(t.counters(SENDER)?.framesSaved, 0);
    feed(t, [frame[5]!], 11); // the resend
    assert.deepEqual(
      { ...t.counters(SENDER)!, savedDelayMsTotal: 0, savedDelayMsMax: 0 },
      {
        nacksSent: 1,
        retransmitsReceived: 1,
        framesSaved: 1,
        nacksWithheld: 0,
        savedDelayMsTotal: 0,
        savedDelayMsMax: 0,
      },
    );
    assert.equal(
      t.counters(SENDER)?.savedDelayMsMax,
      1,
      'from its last datagram before the NACK to the resend',
    );
  });

  test('a lost tail of three is asked for at once when the next frame begins (k guessed from the last frame)', () => {
    const t = tracker();
    feed(t, frameDatagrams(0));
    const frame = frameDatagrams(1);
    feed(t, frame.slice(0, 38), 5);
    const asked = feed(t, [frameDatagrams(2)[0]!], 20);
    assert.deepEqual(
      asked.map((r) => [r.imageId, r.chunks, r.tailFrom]),
      [
        [1, [38], undefined],
        [1, [39], undefined],
        [1, [], 40],
      ],
    );
  });

  test('a lost E is asked for as the tail when the next frame begins', () => {
    const t = tracker();
    feed(t, frameDatagrams(0));
    const frame = frameDatagrams(1);
    assert.deepEqual(feed(t, frame.slice(0, 40), 5), []);
    const asked = feed(t, [frameDatagrams(2)[0]!], 20);
    assert.deepEqual(
      asked.map((r) => [r.imageId, r.chunks, r.tailFrom]),
      [[1, [], 40]],
    );
  });

  test('with parity: nothing is asked while parity can still make up the loss, then only k − held', () => {
    const t = tracker();
    feed(t, frameDatagrams(0, 0.1));
    const frame = frameDatagrams(1, 0.1); // 41 data + 4 parity
    // 3 data lost: the 4 parity rebuild it, no NACK at all.
    assert.deepEqual(
      feed(
        t,
        frame.filter((_, i) => ![3, 9, 20].includes(i)),
        0,
      ),
      [],
    );
    assert.equal(t.counters(SENDER)?.nacksSent, 0);
    // 6 data lost, all parity arrives: the last parity shows the frame is short by 2.
    const next = frameDatagrams(2, 0.1);
    const asked = feed(
      t,
      next.filter((_, i) => ![1, 2, 3, 4, 5, 6].includes(i)),
      1,
    );
    assert.deepEqual(
      asked.map((r) => [r.imageId, r.chunks]),
      [
        [2, [1]],
        [2, [2]],
      ],
    );
  });

  test('retries: at most 1 + maxRetries rounds, each retryMs after the last, and only while the frame is young', () => {
    const t = tracker({ retryMs: 5, maxRetries: 2, maxAgeMs: 1000 });
    feed(t, frameDatagrams(0));
    const frame = frameDatagrams(1);
    feed(
      t,
      frame.filter((_, i) => i !== 7),
      0,
    ); // asked at chunk 8
    const rounds: number[] = [];
    // The next frame's datagrams keep coming (then its late duplicates); it lost nothing.
    const next = frameDatagrams(2);
    for (let ms = 1; ms <= 60; ms++) {
      const asked = feed(t, [next[ms % next.length]!], ms).filter((r) => r.imageId === 1);
      if (asked.length > 0) rounds.push(ms);
    }
    // The next frame's start asks for everything (round 1), then two retries 5 ms apart.
    assert.deepEqual(rounds, [1, 6, 11]);
  });

  test('a late datagram of a frame no longer tracked is never asked about', () => {
    const t = tracker();
    for (let id = 0; id < 15; id++) feed(t, frameDatagrams(id), id);
    // Chunk 3 of frame 1, 14 frames late, then frame 15 begins: nothing is asked for frame 1.
    const asked = feed(t, [frameDatagrams(1)[3]!, frameDatagrams(15)[0]!], 20);
    assert.deepEqual(asked, []);
  });

  test('the Python framing (an E 113+ bytes shorter) is never asked', () => {
    const t = new NackTracker(() => false);
    for (let id = 10; id < 20; id++) {
      const datagrams = legacyChunkFrame(Buffer.alloc(30_000, id), id, 8000).map(([h, p]) =>
        Buffer.concat([h, p]),
      );
      assert.deepEqual(feed(t, datagrams.slice(1), id), []);
    }
    assert.equal(t.counters(SENDER)?.nacksSent, 0);
  });

  test('udpcam framing is learnt from one E near-equal to its chunks, before any whole frame', () => {
    const t = new NackTracker(() => false); // the assembler has seen no whole frame yet
    const first = frameDatagrams(0);
    feed(
      t,
      first.filter((_, i) => i !== 2),
    );
    const asked = feed(t, frameDatagrams(1).slice(0, 1), 1);
    assert.deepEqual(
      asked.map((r) => [r.imageId, r.chunks]),
      [[0, [2]]],
    );
  });

  test('NACK bytes at a sender stay within fraction × bytes from it + capacity (a spoofed chunk 99 gets nothing big)', () => {
    const t = tracker({ fraction: 0.25, capacityBytes: 4000 });
    // One 1400-byte datagram claiming to be chunk 99 of a frame: 99 chunks missing below it.
    const lone = Buffer.concat(chunkFrame(Buffer.alloc(140_000, 1), 3, PACKET)[99]!);
    const asked = feed(t, [lone, frameDatagrams(4)[0]!]);
    const bytes = asked.reduce((sum, r) => sum + r.padTo, 0);
    assert.ok(bytes <= 0.25 * (lone.length + frameDatagrams(4)[0]!.length), `${bytes} NACK bytes`);
    assert.ok(t.counters(SENDER)!.nacksWithheld > 0);
  });

  test('a sender that never answers is left alone after 16 NACKs over a second, then probed once per deafMs', () => {
    const t = tracker({ deafAfter: 16, deafAfterMs: 1000, deafMs: 5000, maxRetries: 0 });
    const times: number[] = [];
    const at = (f: number, ms: number) => {
      const frame = frameDatagrams(f % 100);
      const asked = feed(
        t,
        frame.filter((_, i) => i !== 4),
        ms,
      );
      times.push(...asked.map(() => ms));
    };
    // 40 NACKs within 100 ms (a stalled receiver's backlog): not deaf yet, every one is sent.
    for (let f = 0; f < 20; f++) at(f, f * 5);
    assert.equal(times.length, 39);
    // Still nothing back a second later: deaf from there on.
    for (let f = 20; f < 60; f++) at(f, 100 + (f - 20) * 50);
    const lastBefore = times.filter((ms) => ms < 6000).at(-1)!;
    assert.ok(lastBefore >= 1000 && lastBefore <= 1050, `last NACK at ${lastBefore} ms`);
    const sent = times.length;
    at(60, lastBefore + 5000); // one probe after deafMs
    assert.equal(times.length, sent + 1);
    at(61, lastBefore + 5050);
    assert.equal(times.length, sent + 1, 'and deaf again');
  });
});
