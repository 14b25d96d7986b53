/**
 * The three AEAD backends (Node's OpenSSL through udpcam's addon, libsodium through sodium-native,
 * node:crypto) are one cipher: each passes RFC 8439's ChaCha20-Poly1305 test vector, they seal
 * identical bytes, open each other's datagrams, and produce the known protected datagram of
 * docs/protocol.md (computed apart, with Python's `cryptography`).
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, test } from 'node:test';
import {
  type AeadBackend,
  DatagramOpener,
  DatagramSealer,
  encodeHeader,
  loadOpensslAead,
  loadSodiumAead,
  nodeAead,
  preferredAead,
  REJECT_REASONS,
  StreamKey,
} from '@udpcam/protocol';
import { opensslAeadProblem } from '@udpcam/udp-native';
import { fromHex } from '../../../helpers/wire.js';

const openssl = loadOpensslAead();
const sodium = loadSodiumAead();

test('OpenSSL (npm ci builds the addon) and sodium-native (an optional dependency) load here; OpenSSL is preferred', () => {
  assert.ok(openssl, `the OpenSSL backend did not load: ${opensslAeadProblem()}`);
  assert.equal(openssl.name, 'openssl');
  assert.ok(sodium, 'sodium-native did not load');
  assert.equal(sodium.name, 'libsodium');
  const forced = { 'node-crypto': 'node:crypto', libsodium: 'libsodium' } as Record<string, string>;
  assert.equal(preferredAead().name, forced[process.env.UDPCAM_AEAD ?? ''] ?? 'openssl');
});

const backends: AeadBackend[] = [openssl, sodium, nodeAead].filter((b): b is AeadBackend => b !== undefined);

// RFC 8439 §2.8.2: the AEAD example.
const RFC_KEY = fromHex('808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f');
const RFC_NONCE = fromHex('07000000 4041424344454647');
const RFC_AAD = fromHex('50515253c0c1c2c3c4c5c6c7');
const RFC_PLAIN = Buffer.from(
  "Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the future, sunscreen would be it.",
);
const RFC_CIPHER = fromHex(`
  d3 1a 8d 34 64 8e 60 db 7b 86 af bc 53 ef 7e c2 a4 ad ed 51 29 6e 08 fe a9 e2 b5 a7 36 ee 62 d6
  3d be a4 5e 8c a9 67 12 82 fa fb 69 da 92 72 8b 1a 71 de 0a 9e 06 0b 29 05 d6 a5 b6 7e cd 3b 36
  92 dd bd 7f 2d 77 8b 8c 98 03 ae e3 28 09 1b 58 fa b3 24 e4 fa d6 75 94 55 85 80 8b 48 31 d7 bc
  3f f4 de f0 8e 4b 7a 9d e5 76 d2 65 86 ce c6 4b 61 16`);
const RFC_TAG = fromHex('1a e1 0b 59 4f 09 e2 6a 7e 90 2e cb d0 60 06 91');

const RFC_SEALED = Buffer.concat([RFC_CIPHER, RFC_TAG]);

for (const backend of backends) {
  describe(`ChaCha20-Poly1305 from ${backend.name}`, () => {
    test('RFC 8439 §2.8.2: seals to the published ciphertext and tag, and opens it', () => {
      const aead = backend.withKey(RFC_KEY);
      const sealed = Buffer.alloc(RFC_PLAIN.length + 16);
      aead.seal(RFC_NONCE, RFC_AAD, RFC_PLAIN, sealed);
      assert.deepEqual(sealed, RFC_SEALED);
      const plain = Buffer.alloc(RFC_PLAIN.length);
      assert.equal(aead.open(RFC_NONCE, RFC_AAD, RFC_SEALED, plain), true);
      assert.deepEqual(plain, RFC_PLAIN);
    });

    test('in place both ways, and a wrong tag, aad, nonce or ciphertext or a short one is refused', () => {
      const aead = backend.withKey(RFC_KEY);
      // As in a datagram: the plaintext, then room for the tag.
      const buffer = Buffer.concat([RFC_PLAIN, Buffer.alloc(16)]);
      const plainPart = buffer.subarray(0, RFC_PLAIN.length);
      aead.seal(RFC_NONCE, RFC_AAD, plainPart, buffer);
      assert.deepEqual(buffer, RFC_SEALED);
      const flip = (bytes: Buffer, at: number) => {
        const copy = Buffer.from(bytes);
        copy[at]! ^= 0x01;
        return copy;
      };
      const cases: [string, Buffer, Buffer, Buffer][] = [
        ['tag', RFC_NONCE, RFC_AAD, flip(RFC_SEALED, RFC_SEALED.length - 1)],
        ['aad', RFC_NONCE, flip(RFC_AAD, 0), RFC_SEALED],
        ['nonce', flip(RFC_NONCE, 11), RFC_AAD, RFC_SEALED],
        ['ciphertext', RFC_NONCE, RFC_AAD, flip(RFC_SEALED, 100)],
        ['one byte cut', RFC_NONCE, RFC_AAD, RFC_SEALED.subarray(1)],
        ['shorter than a tag', RFC_NONCE, RFC_AAD, RFC_TAG.subarray(1)],
      ];
      const stackTraceLimit = Error.stackTraceLimit;
      for (const [what, nonce, aad, sealed] of cases) {
        const plainOut = Buffer.alloc(Math.max(0, sealed.length - 16));
        assert.equal(aead.open(nonce, aad, Buffer.from(sealed), plainOut), false, what);
      }
      assert.equal(Error.stackTraceLimit, stackTraceLimit, 'refusing leaves Error.stackTraceLimit as it was');
      assert.equal(aead.open(RFC_NONCE, RFC_AAD, buffer, plainPart), true);
      assert.deepEqual(plainPart, RFC_PLAIN);
    });
  });
}

for (const backend of [openssl, sodium]) {
  if (backend === undefined) continue;
  test(`${backend.name}: lengths are checked before any byte is touched (a native call trusts them)`, () => {
    const aead = backend.withKey(RFC_KEY);
    const plain = Buffer.alloc(100);
    for (const out of [Buffer.alloc(115), Buffer.alloc(117), Buffer.alloc(0)]) {
      assert.throws(() => aead.seal(RFC_NONCE, RFC_AAD, plain, out), RangeError, `output of ${out.length}`);
    }
    assert.throws(() => aead.seal(RFC_NONCE.subarray(1), RFC_AAD, plain, Buffer.alloc(116)), RangeError);
    assert.throws(() => backend.withKey(RFC_KEY.subarray(1)), RangeError);
    const plainOut = Buffer.alloc(RFC_PLAIN.length);
    assert.equal(aead.open(RFC_NONCE, RFC_AAD, RFC_SEALED, plainOut.subarray(1)), false, 'output too short');
    assert.equal(aead.open(RFC_NONCE, RFC_AAD, RFC_SEALED, Buffer.alloc(RFC_PLAIN.length + 1)), false);
    assert.equal(aead.open(RFC_NONCE.subarray(1), RFC_AAD, RFC_SEALED, plainOut), false, 'short nonce');
    assert.equal(
      aead.open(RFC_NONCE, RFC_AAD, RFC_SEALED, plainOut),
      true,
      'and the right lengths still open',
    );
    assert.deepEqual(plainOut, RFC_PLAIN);
  });
}

describe('the backends agree', { skip: backends.length < 3 && 'a native backend did not load' }, () => {
  test('identical ciphertext and tag for any size, key, nonce and aad', () => {
    for (const size of [0, 1, 15, 16, 17, 63, 64, 65, 255, 1400, 8000, 65_000]) {
      const key = randomBytes(32);
      const nonce = randomBytes(12);
      const aad = randomBytes(size % 40);
      const plain = randomBytes(size);
      const outputs = backends.map((backend) => {
        const sealed = Buffer.alloc(size + 16);
        backend.withKey(key).seal(nonce, aad, plain, sealed);
        return sealed;
      });
      for (const output of outputs.slice(1)) assert.deepEqual(output, outputs[0], `size ${size}`);
    }
  });

  test('whole datagrams: all sealers write the same bytes and each opener opens the others’', () => {
    const key = new StreamKey(randomBytes(32));
    const sessionId = randomBytes(8);
    const sealers = backends.map((aead) => new DatagramSealer(key, { sessionId, aead }));
    for (let i = 0; i < 50; i++) {
      const header = encodeHeader(i === 0 ? 'S' : i === 49 ? 'E' : 'C', 7, i);
      const payload = randomBytes(i * 37);
      const wires = sealers.map((sealer) => Buffer.concat(sealer.seal(header, payload)));
      for (const wire of wires.slice(1)) assert.deepEqual(wire, wires[0], `datagram ${i}`);
      // Crossed: each backend opens the datagram the next one sealed (fresh openers: the
      // counters repeat across sealers, which one opener's replay window would refuse).
      backends.forEach((aead, b) => {
        const plain = new DatagramOpener([key], { aead }).open(Buffer.from(wires[(b + 1) % wires.length]!));
        assert.ok(Buffer.isBuffer(plain), `${aead.name}: ${REJECT_REASONS[-plain]}`);
        assert.deepEqual(plain, Buffer.concat([header, payload]));
      });
    }
  });

  test('a refused datagram leaves no plaintext behind (OpenSSL decrypts before it checks the tag)', () => {
    const aead = openssl!.withKey(RFC_KEY);
    const forged = Buffer.from(RFC_SEALED);
    forged[forged.length - 1]! ^= 0x80;
    const plainOut = forged.subarray(0, RFC_PLAIN.length);
    assert.equal(aead.open(RFC_NONCE, RFC_AAD, forged, plainOut), false);
    assert.ok(
      plainOut.every((byte) => byte === 0),
      'the output is zeroed',
    );
    // The context is fine for the next datagram.
    const plain = Buffer.alloc(RFC_PLAIN.length);
    assert.equal(aead.open(RFC_NONCE, RFC_AAD, RFC_SEALED, plain), true);
    assert.deepEqual(plain, RFC_PLAIN);
  });
});

// A protected datagram computed independently (Python `cryptography`: HKDF-SHA256 for the key id
// and session key, ChaCha20Poly1305 over the clear part): stream key 00..1f, session id a0..a7,
// counter 0x0102030405, header C4207, payload "udpcam protected datagram v2".
const KNOWN_DATAGRAM = fromHex(`
  63 34 32 30 37  02  a7 37 6b 0b  a0 a1 a2 a3 a4 a5 a6 a7  00 00 00 01 02 03 04 05
  85 00 2e 65 19 62 41 38 95 e8 83 e4 9f 83 c4 e0 85 16 f9 7d 21 27 7b 35 b7 67 38 34
  c4 5a 22 eb 9c a5 4c 49 8c cc e6 e4 4a 2f fd 82`);

for (const backend of backends) {
  test(`the known protected datagram, sealed and opened with ${backend.name}`, () => {
    const key = new StreamKey(Buffer.from(Array.from({ length: 32 }, (_, i) => i)));
    assert.equal(key.idHex, 'a7376b0b');
    const sealer = new DatagramSealer(key, {
      sessionId: fromHex('a0a1a2a3a4a5a6a7'),
      firstCounter: 0x01_0203_0405,
      aead: backend,
    });
    const header = encodeHeader('C', 42, 7);
    const payload = Buffer.from('udpcam protected datagram v2');
    assert.deepEqual(Buffer.concat(sealer.seal(header, payload)), KNOWN_DATAGRAM);
    const plain = new DatagramOpener([key], { aead: backend }).open(Buffer.from(KNOWN_DATAGRAM));
    assert.deepEqual(plain, Buffer.concat([header, payload]));
  });
}
