/**
 * opener.c against DatagramOpener, the reference: fed the same datagrams — from several sessions
 * and keys, reordered, replayed, bit-flipped, cut, lengthened — both give the same answer for each
 * (the same plain bytes, or the same reason) and the same counts.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  createOpener,
  DatagramOpener,
  DatagramSealer,
  encodeHeader,
  generateKey,
  NativeDatagramOpener,
  type Opener,
  StreamKey,
} from '@udpcam/protocol';
import { opensslAeadProblem } from '@udpcam/udp-native';
import fc from 'fast-check';

const keyA = new StreamKey(generateKey());
const keyB = new StreamKey(generateKey());
const keyC = new StreamKey(generateKey());

/** Datagrams of 4 sessions under A and B, and 1 under C (which the openers do not hold). */
function pool(): Buffer[] {
  const datagrams: Buffer[] = [];
  for (const key of [keyA, keyA, keyB, keyB, keyC]) {
    const sealer = new DatagramSealer(key);
    for (let i = 0; i < 24; i++) {
      const type = i === 0 ? 'S' : i === 23 ? 'E' : 'C';
      const payload = Buffer.alloc((i * 37) % 200, i);
      datagrams.push(Buffer.concat(sealer.seal(encodeHeader(type, i % 3, i), payload)));
    }
  }
  return datagrams;
}

const POOL = pool();

const step = fc.record({
  index: fc.nat(POOL.length - 1),
  change: fc.constantFrom('none', 'none', 'none', 'flip', 'cut', 'extend', 'plain', 'version'),
  at: fc.nat(2000),
});

function altered(original: Buffer, change: string, at: number): Buffer {
  const copy = Buffer.from(original);
  switch (change) {
    case 'flip':
      copy[at % copy.length]! ^= 1 << (at % 8);
      return copy;
    case 'cut':
      return copy.subarray(0, at % copy.length);
    case 'extend':
      return Buffer.concat([copy, Buffer.alloc(1 + (at % 3))]);
    case 'plain':
      copy[0]! &= ~0x20;
      return copy;
    case 'version':
      copy[5] = at % 256;
      return copy;
    default:
      return copy;
  }
}

function outcome(opener: Opener, datagram: Buffer): string {
  const result = opener.open(datagram);
  return typeof result === 'number' ? String(result) : result.toString('hex');
}

test('opener.c answers as DatagramOpener does, datagram by datagram, and counts the same', () => {
  assert.ok(
    createOpener([keyA]) instanceof NativeDatagramOpener,
    `no native opener: ${opensslAeadProblem()}`,
  );
  fc.assert(
    fc.property(fc.array(step, { maxLength: 300 }), fc.integer({ min: 1, max: 4 }), (steps, maxSessions) => {
      const reference = new DatagramOpener([keyA, keyB], { maxSessions });
      const native = createOpener([keyA, keyB], { maxSessions });
      for (const [n, { index, change, at }] of steps.entries()) {
        const datagram = altered(POOL[index]!, change, at);
        assert.equal(outcome(native, Buffer.from(datagram)), outcome(reference, datagram), `step ${n}`);
      }
      assert.deepEqual(native.stats, reference.stats);
      assert.equal(native.sessionCount, reference.sessionCount);
    }),
    { numRuns: 150 },
  );
});

test('opener.c refuses what it is not given right, with a message', () => {
  const opener = createOpener([keyA]);
  assert.ok(opener instanceof NativeDatagramOpener);
  assert.throws(() => opener.native.open('not bytes' as unknown as Uint8Array), TypeError);
  assert.throws(() => createOpener([keyA], { maxSessions: 0 }), { code: 'UDPCAM_ERR_INVALID_OPTION' });
});
