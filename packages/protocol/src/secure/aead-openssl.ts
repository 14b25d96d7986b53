/**
 * ChaCha20-Poly1305 from the OpenSSL inside Node, called through @udpcam/udp-native's addon, which
 * sets the key and the nonce on a reused cipher context per call (node:crypto makes a cipher
 * object per datagram). The preferred backend where it loads: cheaper than libsodium per datagram
 * sealed or opened, dearer per forged datagram refused (docs/protocol.md#aead; figures: README,
 * "Securing a camera").
 */
import { type OpensslChaCha20Poly1305, opensslChaCha20Poly1305 } from '@udpcam/udp-native';
import type { Aead, AeadBackend } from './aead.js';
import { copyKey, openLengthsFit } from './aead-lengths.js';

class OpensslAead implements Aead {
  readonly #seal: OpensslChaCha20Poly1305['seal'];
  readonly #open: OpensslChaCha20Poly1305['open'];
  readonly #sealFrame: OpensslChaCha20Poly1305['sealFrame'];
  readonly #key: Buffer;

  constructor(binding: OpensslChaCha20Poly1305, key: Uint8Array) {
    this.#key = copyKey(key);
    // Held as plain functions, as in aead-sodium.ts: the binding ignores `this`.
    this.#seal = binding.seal;
    this.#open = binding.open;
    this.#sealFrame = binding.sealFrame;
  }

  /** The addon checks the lengths itself and throws a RangeError. */
  seal(nonce: Uint8Array, aad: Uint8Array, plain: Uint8Array, sealedOut: Uint8Array): void {
    this.#seal(this.#key, nonce, aad, plain, sealedOut);
  }

  sealFrame(
    clear: Uint8Array,
    counter: number,
    datagrams: readonly (readonly [Uint8Array, Uint8Array])[],
    out: Uint8Array,
  ): number {
    return this.#sealFrame(this.#key, clear, counter, datagrams, out);
  }

  open(nonce: Uint8Array, aad: Uint8Array, sealed: Uint8Array, plainOut: Uint8Array): boolean {
    // Lengths an attacker chose are a refusal, as in the other backends, not an exception.
    return openLengthsFit(nonce, sealed, plainOut) && this.#open(this.#key, nonce, aad, sealed, plainOut);
  }
}

/** The OpenSSL backend, or undefined where the addon is not built or this Node's OpenSSL cannot be used. */
export function loadOpensslAead(): AeadBackend | undefined {
  const binding = opensslChaCha20Poly1305();
  if (binding === undefined) return undefined;
  return Object.freeze({
    name: 'openssl' as const,
    withKey: (key: Uint8Array): Aead => new OpensslAead(binding, key),
  });
}
