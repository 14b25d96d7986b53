/**
 * ChaCha20-Poly1305 from node:crypto (OpenSSL): always there, the fallback when sodium-native is
 * not. A cipher object per call — Node cannot rekey one for the next nonce — which is what makes
 * it ~2–3× the cost of libsodium per datagram.
 */
import { createCipheriv, createDecipheriv, createSecretKey, type KeyObject } from 'node:crypto';
import type { Aead, AeadBackend } from './aead.js';

const CIPHER = 'chacha20-poly1305';
const OPTIONS = { authTagLength: 16 } as const;

class NodeAead implements Aead {
  readonly #key: KeyObject;

  constructor(key: Uint8Array) {
    this.#key = createSecretKey(key);
  }

  seal(
    nonce: Uint8Array,
    aad: Uint8Array,
    plain: Uint8Array,
    cipherOut: Uint8Array,
    tagOut: Uint8Array,
  ): void {
    const cipher = createCipheriv(CIPHER, this.#key, nonce, OPTIONS);
    cipher.setAAD(aad, { plaintextLength: plain.length });
    cipherOut.set(cipher.update(plain));
    cipher.final();
    tagOut.set(cipher.getAuthTag());
  }

  open(
    nonce: Uint8Array,
    aad: Uint8Array,
    cipher: Uint8Array,
    tag: Uint8Array,
    plainOut: Uint8Array,
  ): boolean {
    const decipher = createDecipheriv(CIPHER, this.#key, nonce, OPTIONS);
    decipher.setAAD(aad, { plaintextLength: cipher.length });
    decipher.setAuthTag(tag);
    const plain = decipher.update(cipher);
    try {
      decipher.final();
    } catch {
      return false;
    }
    plainOut.set(plain);
    return true;
  }
}

/** The node:crypto backend. */
export const nodeAead: AeadBackend = Object.freeze({
  name: 'node:crypto' as const,
  withKey: (key: Uint8Array): Aead => new NodeAead(key),
});
