/**
 * Per-datagram cost of protection, in this process: seal and open of one 1400-byte payload with
 * each way there is to do it — AES-256-GCM and ChaCha20-Poly1305 through node:crypto's cipher
 * objects (the first is version 1's), ChaCha20-Poly1305 through libsodium (sodium-native) into a
 * separate buffer, through libsodium and Node's OpenSSL (udpcam's addon) straight into the
 * datagram, the protocol's DatagramSealer / DatagramOpener with each backend, and the receiver's
 * opener in C (opener.c) — and refusing a bad tag.
 *
 * Interleaved A/B: every round runs every variant for `calls` calls, in an order rotated by one
 * each round, and takes its CPU time (process.cpuUsage, user + system) per call; the figure is
 * the median over rounds, with the quartiles, so drift and other load on the machine fall on all
 * variants alike.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { percentile } from '@udpcam/common';
import {
  type AeadBackend,
  type AeadName,
  createOpener,
  DatagramOpener,
  DatagramSealer,
  encodeHeader,
  loadOpensslAead,
  loadSodium,
  loadSodiumAead,
  NativeDatagramOpener,
  nodeAead,
  SECURE_CLEAR_BYTES,
  SECURE_TAG_BYTES,
  StreamKey,
} from '@udpcam/protocol';

/** One measured variant: CPU µs per call (median over rounds, and the quartiles). */
export interface MicroRow {
  variant: string;
  cipher: 'aes-256-gcm' | 'chacha20-poly1305';
  library: AeadName;
  us: number;
  q1: number;
  q3: number;
}

type Variant = Omit<MicroRow, 'us' | 'q1' | 'q3'> & { run: (i: number) => void };

/** Runs every variant `rounds` × `calls` times, interleaved (see the module comment). */
function measure(variants: readonly Variant[], rounds: number, calls: number): MicroRow[] {
  const samples = variants.map(() => [] as number[]);
  for (const variant of variants) for (let i = 0; i < Math.min(calls, 5_000); i++) variant.run(i);
  for (let round = 0; round < rounds; round++) {
    for (let k = 0; k < variants.length; k++) {
      const index = (k + round) % variants.length;
      const run = variants[index]!.run;
      const start = process.cpuUsage();
      for (let i = 0; i < calls; i++) run(i);
      const used = process.cpuUsage(start);
      samples[index]!.push((used.user + used.system) / calls);
    }
  }
  return variants.map(({ run: _, ...variant }, index) => {
    const sorted = samples[index]!.sort((a, b) => a - b);
    const at = (q: number) => percentile(sorted, q);
    return { ...variant, us: at(0.5), q1: at(0.25), q3: at(0.75) };
  });
}

/** Per-datagram seal and open figures for `payloadBytes`-byte payloads. */
export function perDatagramFigures(rounds: number, calls: number, payloadBytes: number) {
  const payload = randomBytes(payloadBytes);
  const aad = randomBytes(SECURE_CLEAR_BYTES);
  const key = randomBytes(32);
  const nonce = Buffer.alloc(12);
  const options = { authTagLength: SECURE_TAG_BYTES };
  const sodium = loadSodium();
  const natives = [loadOpensslAead(), loadSodiumAead()].filter((b): b is AeadBackend => b !== undefined);
  const backends: AeadBackend[] = [...natives, nodeAead];

  // node:crypto, one cipher object per datagram (the typings split the two AEADs' overloads).
  type Gcm = ReturnType<typeof createCipheriv> & { setAAD(b: Buffer): void; getAuthTag(): Buffer };
  type Ungcm = ReturnType<typeof createDecipheriv> & { setAAD(b: Buffer): void; setAuthTag(b: Buffer): void };
  const make = createCipheriv as unknown as (c: string, k: Buffer, n: Buffer, o: object) => Gcm;
  const unmake = createDecipheriv as unknown as (c: string, k: Buffer, n: Buffer, o: object) => Ungcm;
  const nodeSeal = (cipher: string) => (i: number) => {
    nonce.writeUInt32BE(i, 8);
    const c = make(cipher, key, nonce, options);
    c.setAAD(aad);
    const body = c.update(payload);
    c.final();
    return [body, c.getAuthTag()] as const;
  };
  const nodeOpen = (cipher: string, body: Buffer, tag: Buffer) => () => {
    const d = unmake(cipher, key, nonce, options);
    d.setAAD(aad);
    d.setAuthTag(tag);
    d.update(body);
    try {
      d.final();
    } catch {}
  };
  const sealedBy = (cipher: string) => {
    const [body, tag] = nodeSeal(cipher)(7);
    const bad = Buffer.from(tag);
    bad[0]! ^= 1;
    return { body, tag, bad };
  };
  const gcm = sealedBy('aes-256-gcm');
  const chacha = sealedBy('chacha20-poly1305');

  const combined = Buffer.alloc(payloadBytes + SECURE_TAG_BYTES);
  const datagram = Buffer.alloc(SECURE_CLEAR_BYTES + payloadBytes + SECURE_TAG_BYTES);
  aad.copy(datagram);
  const chachaCombined = Buffer.concat([chacha.body, chacha.tag]);
  const plainOut = Buffer.alloc(payloadBytes);

  // The module: one sealer per backend; openers get a ring of datagrams sealed ahead (a fresh
  // opener per round, so counters are never replays) and open each from a scratch copy.
  const streamKey = new StreamKey(key);
  const header = encodeHeader('C', 1, 1);
  const sealers = backends.map((aead) => new DatagramSealer(streamKey, { aead }));
  const ringSealer = new DatagramSealer(streamKey);
  const ring = Array.from({ length: calls }, () => Buffer.concat(ringSealer.seal(header, payload)));
  const forged = Buffer.from(ring[0]!);
  forged[forged.length - 1]! ^= 1;
  const scratch = Buffer.alloc(ring[0]!.length);

  const seal: Variant[] = [
    {
      variant: 'cipher object (v1)',
      cipher: 'aes-256-gcm',
      library: 'node:crypto',
      run: nodeSeal('aes-256-gcm'),
    },
    {
      variant: 'cipher object',
      cipher: 'chacha20-poly1305',
      library: 'node:crypto',
      run: nodeSeal('chacha20-poly1305'),
    },
  ];
  const open: Variant[] = [
    {
      variant: 'cipher object (v1)',
      cipher: 'aes-256-gcm',
      library: 'node:crypto',
      run: nodeOpen('aes-256-gcm', gcm.body, gcm.tag),
    },
    {
      variant: 'cipher object, bad tag (v1)',
      cipher: 'aes-256-gcm',
      library: 'node:crypto',
      run: nodeOpen('aes-256-gcm', gcm.body, gcm.bad),
    },
    {
      variant: 'cipher object',
      cipher: 'chacha20-poly1305',
      library: 'node:crypto',
      run: nodeOpen('chacha20-poly1305', chacha.body, chacha.tag),
    },
  ];
  if (sodium) {
    seal.push({
      variant: 'encrypt, into a buffer of its own',
      cipher: 'chacha20-poly1305',
      library: 'libsodium',
      run: (i) => {
        nonce.writeUInt32BE(i, 8);
        sodium.crypto_aead_chacha20poly1305_ietf_encrypt(combined, payload, aad, null, nonce, key);
      },
    });
    open.push({
      variant: 'decrypt, into a buffer of its own',
      cipher: 'chacha20-poly1305',
      library: 'libsodium',
      run: () => {
        nonce.writeUInt32BE(7, 8);
        sodium.crypto_aead_chacha20poly1305_ietf_decrypt(plainOut, null, chachaCombined, aad, nonce, key);
      },
    });
  }
  for (const native of natives) {
    const aead = native.withKey(key);
    const chachaSealed = Buffer.concat([chacha.body, chacha.bad]);
    seal.push({
      variant: 'encrypt, straight into the datagram (as DatagramSealer)',
      cipher: 'chacha20-poly1305',
      library: native.name,
      run: (i) => {
        nonce.writeUInt32BE(i, 8);
        aead.seal(
          nonce,
          datagram.subarray(0, SECURE_CLEAR_BYTES),
          payload,
          datagram.subarray(SECURE_CLEAR_BYTES),
        );
      },
    });
    open.push({
      variant: 'decrypt, bad tag',
      cipher: 'chacha20-poly1305',
      library: native.name,
      run: () => {
        nonce.writeUInt32BE(7, 8);
        aead.open(nonce, aad, chachaSealed, plainOut);
      },
    });
  }
  for (const [index, sealer] of sealers.entries()) {
    seal.push({
      variant: 'DatagramSealer.seal',
      cipher: 'chacha20-poly1305',
      library: backends[index]!.name,
      run: () => sealer.seal(header, payload),
    });
  }
  for (const backend of backends) {
    let opener = new DatagramOpener([streamKey], { aead: backend });
    open.push({
      variant: 'DatagramOpener.open (with a 1442-byte copy)',
      cipher: 'chacha20-poly1305',
      library: backend.name,
      run: (i) => {
        if (i === 0) opener = new DatagramOpener([streamKey], { aead: backend });
        ring[i]!.copy(scratch);
        if (typeof opener.open(scratch) === 'number') throw new Error('bench datagram refused');
      },
    });
    open.push({
      variant: 'DatagramOpener.open, bad tag',
      cipher: 'chacha20-poly1305',
      library: backend.name,
      run: (i) => {
        if (i === 0) {
          opener = new DatagramOpener([streamKey], { aead: backend });
          opener.open(Buffer.from(ring[1]!)); // the session exists: only the tag fails
        }
        forged.copy(scratch);
        opener.open(scratch);
      },
    });
  }
  // The receiver's opener in C (opener.c), called here once per datagram; a batched receiver
  // calls it from C with no JavaScript at all in between.
  if (createOpener([streamKey]) instanceof NativeDatagramOpener) {
    let opener = createOpener([streamKey]);
    open.push({
      variant: 'opener.c, one call per datagram (with a 1442-byte copy)',
      cipher: 'chacha20-poly1305',
      library: 'openssl',
      run: (i) => {
        if (i === 0) opener = createOpener([streamKey]);
        ring[i]!.copy(scratch);
        if (typeof opener.open(scratch) === 'number') throw new Error('bench datagram refused');
      },
    });
    open.push({
      variant: 'opener.c, bad tag',
      cipher: 'chacha20-poly1305',
      library: 'openssl',
      run: (i) => {
        if (i === 0) {
          opener = createOpener([streamKey]);
          opener.open(Buffer.from(ring[1]!));
        }
        forged.copy(scratch);
        opener.open(scratch);
      },
    });
  }
  return {
    method: 'interleaved rounds, CPU µs per call (process.cpuUsage), median and quartiles over rounds',
    rounds,
    callsPerRound: calls,
    payloadBytes,
    seal: measure(seal, rounds, calls),
    open: measure(open, rounds, calls),
  };
}
