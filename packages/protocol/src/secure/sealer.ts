/**
 * The sending side of protection: seals each plain datagram [header, payload] into the protected
 * layout (layout.ts) as a list of buffers for one `dgram.send`: [clear part, ciphertext, tag].
 * Nothing about the payload is copied but the encryption's own output.
 */
import { createCipheriv, type KeyObject, randomBytes } from 'node:crypto';
import { UdpcamError } from '../errors.js';
import type { StreamKey } from './key.js';
import {
  CASE_BIT,
  MAX_COUNTER,
  NONCE_BYTES,
  SECURE_CIPHER,
  SECURE_CLEAR_BYTES,
  SECURE_COUNTER_OFFSET,
  SECURE_KEY_ID_OFFSET,
  SECURE_SESSION_OFFSET,
  SECURE_VERSION,
  SECURE_VERSION_OFFSET,
  SESSION_ID_BYTES,
} from './layout.js';
import { sessionKey } from './session-key.js';

/** Options of a DatagramSealer. */
export interface SealerOptions {
  /** The session id (8 bytes); default: random. Fixed only by tests. */
  sessionId?: Uint8Array;
  /** First counter value; default 0. Tests use it to reach the limit. */
  firstCounter?: number;
}

/** Clear parts are cut from slabs of this many bytes (one allocation per ~2500 datagrams). */
const SLAB_BYTES = 64 * 1024;

/** Seals datagrams for one sender session: one session id, a counter that only goes up. */
export class DatagramSealer {
  /** This session's id (random, 8 bytes). */
  readonly sessionId: Buffer;
  readonly #keyId: number;
  readonly #key: KeyObject;
  readonly #nonce = Buffer.alloc(NONCE_BYTES);
  #counter: number;
  #slab = Buffer.allocUnsafe(SLAB_BYTES);
  #slabUsed = 0;

  constructor(key: StreamKey, options: SealerOptions = {}) {
    this.sessionId = Buffer.from(options.sessionId ?? randomBytes(SESSION_ID_BYTES));
    if (this.sessionId.length !== SESSION_ID_BYTES) {
      throw new UdpcamError('UDPCAM_ERR_KEY', `a session id is ${SESSION_ID_BYTES} bytes`);
    }
    this.#keyId = key.id;
    this.#key = sessionKey(key, this.sessionId);
    this.#counter = options.firstCounter ?? 0;
  }

  /** Counter the next datagram gets (= datagrams sealed so far, from 0). */
  get counter(): number {
    return this.#counter;
  }

  /**
   * Seals one datagram: `header` is its 5-byte plain header, `payload` its bytes. Returns the
   * buffers to send as one datagram. Throws UDPCAM_ERR_KEY when the counter is exhausted.
   */
  seal(header: Uint8Array, payload: Uint8Array): Buffer[] {
    const counter = this.#counter;
    if (counter > MAX_COUNTER) {
      throw new UdpcamError('UDPCAM_ERR_KEY', 'this sender session used every nonce: restart the sender');
    }
    this.#counter = counter + 1;
    const clear = this.#clearPart();
    clear[0] = header[0]! | CASE_BIT;
    clear[1] = header[1]!;
    clear[2] = header[2]!;
    clear[3] = header[3]!;
    clear[4] = header[4]!;
    clear[SECURE_VERSION_OFFSET] = SECURE_VERSION;
    clear.writeUInt32BE(this.#keyId, SECURE_KEY_ID_OFFSET);
    this.sessionId.copy(clear, SECURE_SESSION_OFFSET);
    const high = Math.floor(counter / 0x1_0000_0000);
    const low = counter >>> 0;
    clear.writeUInt32BE(high, SECURE_COUNTER_OFFSET);
    clear.writeUInt32BE(low, SECURE_COUNTER_OFFSET + 4);
    // Nonce: 4 zero bytes and the counter; createCipheriv copies it, so one buffer serves all.
    this.#nonce.writeUInt32BE(high, 4);
    this.#nonce.writeUInt32BE(low, 8);
    const cipher = createCipheriv(SECURE_CIPHER, this.#key, this.#nonce);
    cipher.setAAD(clear);
    const body = cipher.update(payload);
    cipher.final();
    return [clear, body, cipher.getAuthTag()];
  }

  /** A fresh 26-byte slice of the current slab (slices already handed out are never rewritten). */
  #clearPart(): Buffer {
    if (this.#slabUsed + SECURE_CLEAR_BYTES > SLAB_BYTES) {
      this.#slab = Buffer.allocUnsafe(SLAB_BYTES);
      this.#slabUsed = 0;
    }
    const start = this.#slabUsed;
    this.#slabUsed += SECURE_CLEAR_BYTES;
    return this.#slab.subarray(start, start + SECURE_CLEAR_BYTES);
  }
}
