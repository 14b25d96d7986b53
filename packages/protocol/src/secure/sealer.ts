/**
 * The sending side of protection: seals each plain datagram [header, payload] into the protected
 * layout (layout.ts) — clear part, ciphertext and tag written straight into one buffer cut from a
 * slab — and returns it for one `dgram.send`. The payload is read once, by the cipher.
 */
import { randomBytes } from 'node:crypto';
import { UdpcamError } from '../errors.js';
import { type Aead, type AeadBackend, preferredAead } from './aead.js';
import type { StreamKey } from './key.js';
import {
  CASE_BIT,
  MAX_COUNTER,
  NONCE_BYTES,
  SECURE_CLEAR_BYTES,
  SECURE_COUNTER_OFFSET,
  SECURE_KEY_ID_OFFSET,
  SECURE_SESSION_OFFSET,
  SECURE_TAG_BYTES,
  SECURE_VERSION,
  SECURE_VERSION_OFFSET,
  SESSION_ID_BYTES,
} from './layout.js';
import { sessionAead } from './session-key.js';

/** Options of a DatagramSealer. */
export interface SealerOptions {
  /** The session id (8 bytes); default: random. Fixed only by tests. */
  sessionId?: Uint8Array;
  /** First counter value; default 0. Tests use it to reach the limit. */
  firstCounter?: number;
  /** The AEAD implementation; default preferredAead() (libsodium if it loads, else node:crypto). */
  aead?: AeadBackend;
}

/**
 * Datagrams are cut from slabs of this many bytes: one allocation per ~45 datagrams of 1400 bytes
 * (below glibc's default mmap threshold of 128 KiB, so a slab is heap memory, not a fresh mapping).
 */
const SLAB_BYTES = 64 * 1024;
/** A datagram larger than this gets a buffer of its own, so a slab never wastes more than this. */
const MAX_SLAB_CUT = SLAB_BYTES / 8;

/** Seals datagrams for one sender session: one session id, a counter that only goes up. */
export class DatagramSealer {
  /** This session's id (random, 8 bytes). */
  readonly sessionId: Buffer;
  /** The AEAD implementation in use. */
  readonly backend: AeadBackend;
  readonly #keyId: number;
  readonly #aead: Aead;
  readonly #nonce = Buffer.alloc(NONCE_BYTES);
  #counter: number;
  /** Allocated at the first datagram (a sealer that never sends takes no slab). */
  #slab = Buffer.alloc(0);
  #slabUsed = 0;
  /** sealFrame's buffer, reused from frame to frame; grown when a frame needs more. */
  #frame = Buffer.alloc(0);
  /** Bytes 5..17 of every datagram of this session: version, key id, session id. */
  readonly #clear = Buffer.alloc(SECURE_COUNTER_OFFSET - SECURE_VERSION_OFFSET);

  constructor(key: StreamKey, options: SealerOptions = {}) {
    this.sessionId = Buffer.from(options.sessionId ?? randomBytes(SESSION_ID_BYTES));
    if (this.sessionId.length !== SESSION_ID_BYTES) {
      throw new UdpcamError('UDPCAM_ERR_KEY', `a session id is ${SESSION_ID_BYTES} bytes`);
    }
    this.#keyId = key.id;
    this.backend = options.aead ?? preferredAead();
    this.#aead = sessionAead(key, this.sessionId, this.backend);
    this.#counter = options.firstCounter ?? 0;
    this.#clear[0] = SECURE_VERSION;
    this.#clear.writeUInt32BE(this.#keyId, SECURE_KEY_ID_OFFSET - SECURE_VERSION_OFFSET);
    this.sessionId.copy(this.#clear, SECURE_SESSION_OFFSET - SECURE_VERSION_OFFSET);
  }

  /** Counter the next datagram gets (= datagrams sealed so far, from 0). */
  get counter(): number {
    return this.#counter;
  }

  /**
   * Seals one datagram: `header` is its 5-byte plain header, `payload` its bytes. Returns the
   * buffers to send as one datagram (one buffer: the whole protected datagram, never rewritten
   * afterwards, so it may be handed to the socket). Throws UDPCAM_ERR_KEY when the counter is
   * exhausted.
   */
  seal(header: Uint8Array, payload: Uint8Array): Buffer[] {
    const datagram = this.#cut(SECURE_CLEAR_BYTES + payload.length + SECURE_TAG_BYTES);
    this.#sealInto(datagram, header, payload);
    return [datagram];
  }

  /**
   * Seals a frame's datagrams, in order, into one buffer this sealer reuses at its next call: the
   * caller must be done with the datagrams by then (the kernel has copied them: the Transmitter
   * sends one frame at a time, and a frame's sends have all completed before the next frame's
   * begin). A new buffer per frame would be ~64 kB of external memory per 720p frame, which made
   * V8 run twice the major GCs of an unprotected sender. Throws UDPCAM_ERR_KEY when the counter
   * is exhausted (the datagrams sealed before that are lost with the frame).
   */
  sealFrame(datagrams: readonly (readonly [Uint8Array, Uint8Array])[]): Buffer[] {
    let bytes = 0;
    for (const [, payload] of datagrams) bytes += SECURE_CLEAR_BYTES + payload.length + SECURE_TAG_BYTES;
    if (this.#frame.length < bytes)
      this.#frame = Buffer.allocUnsafeSlow(Math.max(bytes, this.#frame.length * 2));
    const count = datagrams.length;
    // OpenSSL's backend seals the whole frame in one call (the same bytes: the tests compare).
    // (MAX_COUNTER − count is exact in a double; the counter + count may not be.)
    const native = this.#aead.sealFrame !== undefined && this.#counter <= MAX_COUNTER - (count - 1);
    if (native) {
      this.#aead.sealFrame!(this.#clear, this.#counter, datagrams, this.#frame);
      this.#counter += count;
    }
    const wire = new Array<Buffer>(count);
    let offset = 0;
    for (let i = 0; i < count; i++) {
      const [header, payload] = datagrams[i]!;
      const length = SECURE_CLEAR_BYTES + payload.length + SECURE_TAG_BYTES;
      const datagram = this.#frame.subarray(offset, offset + length);
      if (!native) this.#sealInto(datagram, header, payload);
      wire[i] = datagram;
      offset += length;
    }
    return wire;
  }

  /** Writes the protected datagram of `header` and `payload` into `datagram` (exactly its size). */
  #sealInto(datagram: Buffer, header: Uint8Array, payload: Uint8Array): void {
    const counter = this.#counter;
    if (counter > MAX_COUNTER) {
      throw new UdpcamError('UDPCAM_ERR_KEY', 'this sender session used every nonce: restart the sender');
    }
    this.#counter = counter + 1;
    datagram[0] = header[0]! | CASE_BIT;
    datagram[1] = header[1]!;
    datagram[2] = header[2]!;
    datagram[3] = header[3]!;
    datagram[4] = header[4]!;
    datagram[SECURE_VERSION_OFFSET] = SECURE_VERSION;
    datagram.writeUInt32BE(this.#keyId, SECURE_KEY_ID_OFFSET);
    this.sessionId.copy(datagram, SECURE_SESSION_OFFSET);
    const high = Math.floor(counter / 0x1_0000_0000);
    const low = counter >>> 0;
    datagram.writeUInt32BE(high, SECURE_COUNTER_OFFSET);
    datagram.writeUInt32BE(low, SECURE_COUNTER_OFFSET + 4);
    // Nonce: 4 zero bytes and the counter; the AEAD reads it during the call, so one buffer serves all.
    this.#nonce.writeUInt32BE(high, 4);
    this.#nonce.writeUInt32BE(low, 8);
    this.#aead.seal(
      this.#nonce,
      datagram.subarray(0, SECURE_CLEAR_BYTES),
      payload,
      datagram.subarray(SECURE_CLEAR_BYTES),
    );
  }

  /** A fresh `bytes`-long slice of the current slab (slices already handed out are never rewritten). */
  #cut(bytes: number): Buffer {
    if (bytes > MAX_SLAB_CUT) return Buffer.allocUnsafe(bytes);
    if (this.#slabUsed + bytes > this.#slab.length) {
      this.#slab = Buffer.allocUnsafe(SLAB_BYTES);
      this.#slabUsed = 0;
    }
    const start = this.#slabUsed;
    this.#slabUsed += bytes;
    return this.#slab.subarray(start, start + bytes);
  }
}
