/**
 * DatagramSealer → DatagramOpener: round trips, and every way a datagram can be altered, cut,
 * replayed or sent under another key is refused with its reason before reassembly. Each case runs
 * on both openers: DatagramOpener in JavaScript and the receiver's in C (opener.c).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  chunkFrame,
  createOpener,
  DatagramOpener,
  DatagramSealer,
  encodeHeader,
  FrameAssembler,
  generateKey,
  looksProtected,
  MIN_SECURE_DATAGRAM_BYTES,
  NativeDatagramOpener,
  nodeAead,
  type Opener,
  type OpenerOptions,
  REJECT_REASONS,
  REPLAY_WINDOW,
  SECURE_CLEAR_BYTES,
  SECURE_OVERHEAD_BYTES,
  SECURE_VERSION,
  StreamKey,
} from '@udpcam/protocol';
import { opensslAeadProblem } from '@udpcam/udp-native';
import { jpegPool } from '../../../helpers/jpeg.js';
import { fromHex } from '../../../helpers/wire.js';

const keyA = new StreamKey(generateKey());
const keyB = new StreamKey(generateKey());

/** The datagram as the socket sends it: the sealer's buffers concatenated. */
function sealed(sealer: DatagramSealer, header: Buffer, payload: Buffer): Buffer {
  return Buffer.concat(sealer.seal(header, payload));
}

const reason = (result: Buffer | number) => (typeof result === 'number' ? REJECT_REASONS[-result] : 'ok');

type MakeOpener = (keys: StreamKey[], options?: Partial<OpenerOptions>) => Opener;

/** opener.c's, never DatagramOpener in its place: the addon is built wherever the suite runs. */
const native: MakeOpener = (keys, options) => {
  const opener = createOpener(keys, options);
  assert.ok(opener instanceof NativeDatagramOpener, `no native opener: ${opensslAeadProblem()}`);
  return opener;
};

const OPENERS: [string, MakeOpener][] = [
  ['DatagramOpener', (keys, options) => new DatagramOpener(keys, options)],
  ['opener.c', native],
];

for (const [name, makeOpener] of OPENERS)
  describe(`seal and open (${name})`, () => {
    test('round trip: the opener returns exactly the plain datagram', () => {
      const sealer = new DatagramSealer(keyA);
      const opener = makeOpener([keyA]);
      const header = encodeHeader('C', 42, 7);
      for (const size of [0, 1, 15, 16, 17, 1400, 8000]) {
        const payload = Buffer.from(Array.from({ length: size }, (_, i) => (i * 31 + size) & 0xff));
        const wire = sealed(sealer, header, payload);
        assert.equal(wire.length, 5 + size + SECURE_OVERHEAD_BYTES);
        assert.equal(wire[0], 0x63, "type goes on the wire in lower case ('c')");
        assert.deepEqual(wire.subarray(1, 5), header.subarray(1, 5));
        assert.ok(looksProtected(wire));
        if (size >= 16) assert.equal(wire.indexOf(payload.subarray(0, 16)), -1, 'payload not in clear');
        const plain = opener.open(wire);
        assert.ok(Buffer.isBuffer(plain), `size ${size}: ${reason(plain)}`);
        assert.deepEqual(plain, Buffer.concat([header, payload]));
      }
      assert.equal(opener.stats.opened, 7);
      assert.equal(opener.stats.sessions, 1);
    });

    test('a whole frame sealed, opened and reassembled comes out byte-identical', () => {
      const jpeg = jpegPool().at(-1);
      const sealer = new DatagramSealer(keyA);
      const opener = makeOpener([keyA]);
      const assembler = new FrameAssembler();
      let frame: Buffer | undefined;
      for (const [header, payload] of chunkFrame(jpeg!, 3, 300)) {
        const plain = opener.open(sealed(sealer, header, payload));
        assert.ok(Buffer.isBuffer(plain));
        frame = assembler.push(plain, 'cam', 0)?.data ?? frame;
      }
      assert.deepEqual(frame, jpeg);
    });

    test('sealFrame: the same bytes as seal() one by one, in one buffer reused by the next frame', () => {
      const sessionId = Buffer.from('0123456789abcdef', 'hex');
      // OpenSSL's one call per frame (aead.c's sealFrame) against node:crypto one datagram at a time.
      const byFrame = new DatagramSealer(keyA, { sessionId });
      assert.equal(byFrame.backend.name, 'openssl', `no OpenSSL backend: ${opensslAeadProblem()}`);
      const byDatagram = new DatagramSealer(keyA, { sessionId, aead: nodeAead });
      const opener = makeOpener([keyA]);
      const jpegs = jpegPool().slice(-3);
      let previous: Buffer[] = [];
      for (const [n, jpeg] of jpegs.entries()) {
        const chunks = chunkFrame(jpeg, n, 700);
        const wire = byFrame.sealFrame(chunks);
        assert.deepEqual(
          wire.map((datagram) => Buffer.from(datagram)),
          chunks.map(([header, payload]) => sealed(byDatagram, header, payload)),
          `frame ${n}: byte-identical, counters in order`,
        );
        // One buffer, reused: this frame's datagrams lie where the last frame's did.
        assert.ok(wire.every((datagram) => datagram.buffer === wire[0]!.buffer));
        if (previous.length > 0 && previous[0]!.buffer.byteLength >= wire.length * 700) {
          assert.equal(wire[0]!.buffer, previous[0]!.buffer);
        }
        const assembler = new FrameAssembler();
        let frame: Buffer | undefined;
        for (const datagram of wire) {
          const plain = opener.open(Buffer.from(datagram));
          assert.ok(Buffer.isBuffer(plain), reason(plain));
          frame = assembler.push(plain, 'cam', 0)?.data ?? frame;
        }
        assert.deepEqual(frame, jpeg);
        previous = wire;
      }
      // seal() (resends) never hands out memory of the reused buffer.
      const resend = byFrame.seal(encodeHeader('C', 1, 1), Buffer.alloc(10))[0]!;
      assert.notEqual(resend.buffer, previous[0]!.buffer);
    });

    test('every single bit flip of header, security header, body and tag is refused', () => {
      const sealer = new DatagramSealer(keyA);
      const opener = makeOpener([keyA]);
      const original = sealed(sealer, encodeHeader('S', 5, 0), Buffer.from('a small payload!'));
      const reasons = new Map<string, number>();
      for (let bit = 0; bit < original.length * 8; bit++) {
        const copy = Buffer.from(original);
        copy[bit >> 3]! ^= 1 << (bit & 7);
        const result = opener.open(copy);
        assert.equal(typeof result, 'number', `bit ${bit} (byte ${bit >> 3}) was accepted`);
        reasons.set(reason(result)!, (reasons.get(reason(result)!) ?? 0) + 1);
      }
      // Bits of the key id give unknownKey, of the type byte unprotected/malformed, the rest badTag.
      assert.equal(reasons.get('unknownKey'), 32);
      assert.ok((reasons.get('badTag') ?? 0) > original.length * 8 - 32 - 8 - 8 - 64);
      assert.equal(opener.stats.opened, 0);
      // The untouched datagram still opens: no flip moved the window.
      assert.ok(Buffer.isBuffer(opener.open(original)));
    });

    test('truncated and extended datagrams are refused', () => {
      const sealer = new DatagramSealer(keyA);
      const opener = makeOpener([keyA]);
      const original = sealed(sealer, encodeHeader('E', 9, 3), Buffer.alloc(100, 7));
      for (let length = 0; length < original.length; length++) {
        const result = opener.open(Buffer.from(original.subarray(0, length)));
        assert.equal(typeof result, 'number', `cut to ${length} bytes was accepted`);
        assert.equal(reason(result), length < MIN_SECURE_DATAGRAM_BYTES ? 'malformed' : 'badTag');
      }
      assert.equal(reason(opener.open(Buffer.concat([original, Buffer.from([0])]))), 'badTag');
      assert.equal(reason(opener.open(Buffer.alloc(0))), 'malformed');
    });

    test('plain datagrams are refused as unprotected, garbage as malformed', () => {
      const opener = makeOpener([keyA]);
      assert.equal(reason(opener.open(fromHex('53 30 31 30 30 ff d8 ff d9'))), 'unprotected');
      assert.equal(reason(opener.open(fromHex('00 01 02 03 04 05'))), 'malformed');
      const sealer = new DatagramSealer(keyA);
      // Version 1 (the same layout under AES-256-GCM) and any other version are not opened.
      for (const version of [0, 1, SECURE_VERSION + 1, 0x53]) {
        const wrongVersion = sealed(sealer, encodeHeader('S', 0, 0), Buffer.alloc(10));
        wrongVersion[5] = version;
        assert.equal(reason(opener.open(wrongVersion)), 'malformed', `version ${version}`);
      }
    });

    test('a replayed datagram is refused; reordering inside the window is not', () => {
      const sealer = new DatagramSealer(keyA);
      const opener = makeOpener([keyA]);
      const header = encodeHeader('C', 1, 1);
      const wires = Array.from({ length: 40 }, (_, i) => sealed(sealer, header, Buffer.from([i])));
      const order = [0, 5, 3, 4, 1, 2, 10, 6, 9, 8, 7, ...Array.from({ length: 29 }, (_, i) => 39 - i)];
      for (const index of order) {
        const copy = Buffer.from(wires[index]!);
        assert.ok(Buffer.isBuffer(opener.open(copy)), `datagram ${index} in order ${order}`);
      }
      for (const index of order) assert.equal(reason(opener.open(Buffer.from(wires[index]!))), 'replay');
      assert.equal(opener.stats.rejectedByReason.replay, 40);
    });

    test('a datagram older than the replay window is refused even if never seen', () => {
      const sealer = new DatagramSealer(keyA);
      const opener = makeOpener([keyA]);
      const header = encodeHeader('C', 1, 1);
      const first = sealed(sealer, header, Buffer.alloc(4));
      const edge = sealed(sealer, header, Buffer.alloc(4)); // counter 1
      for (let i = 2; i < REPLAY_WINDOW; i++) sealer.seal(header, Buffer.alloc(4));
      const newest = sealed(sealer, header, Buffer.alloc(4)); // counter REPLAY_WINDOW
      assert.ok(Buffer.isBuffer(opener.open(newest)));
      assert.equal(reason(opener.open(first)), 'replay', 'counter 0 is REPLAY_WINDOW behind');
      assert.ok(Buffer.isBuffer(opener.open(edge)), 'counter 1 is the oldest inside the window');
    });

    test('rotation: a receiver holding old and new keys opens both; one holding only the new refuses the old', () => {
      const oldSender = new DatagramSealer(keyA);
      const newSender = new DatagramSealer(keyB);
      const both = makeOpener([keyA, keyB]);
      const onlyNew = makeOpener([keyB]);
      const header = encodeHeader('S', 0, 0);
      for (let i = 0; i < 5; i++) {
        const a = sealed(oldSender, header, Buffer.from([i]));
        const b = sealed(newSender, header, Buffer.from([i]));
        assert.ok(Buffer.isBuffer(both.open(Buffer.from(a))));
        assert.ok(Buffer.isBuffer(both.open(Buffer.from(b))));
        assert.equal(reason(onlyNew.open(a)), 'unknownKey');
        assert.ok(Buffer.isBuffer(onlyNew.open(b)));
      }
      assert.equal(both.stats.sessions, 2);
    });

    test('a datagram sealed with another key under a forged key id fails its tag', () => {
      const forger = new DatagramSealer(keyB);
      const opener = makeOpener([keyA]);
      const wire = sealed(forger, encodeHeader('S', 0, 0), Buffer.alloc(50));
      wire.writeUInt32BE(keyA.id, 6);
      assert.equal(reason(opener.open(wire)), 'badTag');
      assert.equal(opener.sessionCount, 0, 'a forged session takes no memory');
    });

    test('two sessions of one key never share a (subkey, nonce) pair and are replay-checked apart', () => {
      const first = new DatagramSealer(keyA);
      const second = new DatagramSealer(keyA);
      assert.notDeepEqual(first.sessionId, second.sessionId);
      const header = encodeHeader('C', 0, 1);
      const payload = Buffer.alloc(64); // equal plaintexts: equal ciphertexts would betray nonce reuse
      const a = sealed(first, header, payload);
      const b = sealed(second, header, payload);
      assert.deepEqual(a.subarray(18, 26), b.subarray(18, 26), 'both start at counter 0');
      assert.notDeepEqual(a.subarray(SECURE_CLEAR_BYTES), b.subarray(SECURE_CLEAR_BYTES));
      const opener = makeOpener([keyA]);
      assert.ok(Buffer.isBuffer(opener.open(a)));
      assert.ok(Buffer.isBuffer(opener.open(b)), 'counter 0 of another session is no replay');
      // A session id moved onto another session's datagram breaks the tag.
      const swapped = sealed(first, header, payload);
      sealed(second, header, payload).copy(swapped, 10, 10, 18);
      assert.equal(reason(opener.open(swapped)), 'badTag');
    });

    test('a restarted sender with a fixed session id would repeat nonces: session ids are random', () => {
      const ids = new Set<string>();
      for (let i = 0; i < 1000; i++) ids.add(new DatagramSealer(keyA).sessionId.toString('hex'));
      assert.equal(ids.size, 1000);
    });

    test('the sealer refuses to go past the last counter', () => {
      const sealer = new DatagramSealer(keyA, { firstCounter: Number.MAX_SAFE_INTEGER });
      const opener = makeOpener([keyA]);
      assert.ok(Buffer.isBuffer(opener.open(sealed(sealer, encodeHeader('S', 0, 0), Buffer.alloc(1)))));
      assert.throws(() => sealer.seal(encodeHeader('S', 0, 0), Buffer.alloc(1)), { code: 'UDPCAM_ERR_KEY' });
      // A frame sealed in one call may end on the last counter, and not go past it.
      const chunks = chunkFrame(Buffer.alloc(60, 1), 0, 20);
      const framed = new DatagramSealer(keyA, { firstCounter: Number.MAX_SAFE_INTEGER - 2 });
      for (const datagram of framed.sealFrame(chunks))
        assert.ok(Buffer.isBuffer(opener.open(Buffer.from(datagram))));
      const over = new DatagramSealer(keyA, { firstCounter: Number.MAX_SAFE_INTEGER - 1 });
      assert.throws(() => over.sealFrame(chunks), { code: 'UDPCAM_ERR_KEY' });
    });

    test('sessions are bounded: the least recently heard is forgotten', () => {
      const opener = makeOpener([keyA], { maxSessions: 3 });
      const header = encodeHeader('S', 0, 0);
      for (let i = 0; i < 10; i++) opener.open(sealed(new DatagramSealer(keyA), header, Buffer.alloc(1)));
      assert.equal(opener.sessionCount, 3);
      assert.equal(opener.stats.sessionsEvicted, 7);
    });

    test('an opener takes one or two distinct keys', () => {
      assert.throws(() => makeOpener([]), { code: 'UDPCAM_ERR_KEY' });
      assert.throws(() => makeOpener([keyA, keyB, new StreamKey(generateKey())]), {
        code: 'UDPCAM_ERR_KEY',
      });
      assert.throws(() => makeOpener([keyA, keyA]), { code: 'UDPCAM_ERR_KEY' });
    });
  });
