/**
 * ChaCha20-Poly1305 from the OpenSSL inside Node, called through @udpcam/udp-native's addon with
 * one reused cipher context (node:crypto makes a cipher object per datagram). The preferred
 * backend where it loads: cheaper than libsodium per datagram sealed or opened, dearer per forged
 * datagram refused (docs/protocol.md#aead; figures: README, "Securing a camera").
 */
import { type OpensslContext, opensslChaCha20Poly1305 } from '@udpcam/udp-native';
import type { Aead, AeadBackend } from './aead.js';
import { openLengthsFit } from './aead-lengths.js';

class OpensslAead implements Aead {
  readonly #context: OpensslContext;

  constructor(context: OpensslContext) {
    this.#context = context;
  }

  /** The addon checks the lengths itself and throws a RangeError. */
  seal(nonce: Uint8Array, aad: Uint8Array, plain: Uint8Array, sealedOut: Uint8Array): void {
    this.#context.seal(nonce, aad, plain, sealedOut);
  }

  open(nonce: Uint8Array, aad: Uint8Array, sealed: Uint8Array, plainOut: Uint8Array): boolean {
    // Lengths an attacker chose are a refusal, as in the other backends, not an exception.
    return openLengthsFit(nonce, sealed, plainOut) && this.#context.open(nonce, aad, sealed, plainOut);
  }
}

/** The OpenSSL backend, or undefined where the addon is not built or this Node does not export OpenSSL. */
export function loadOpensslAead(): AeadBackend | undefined {
  const create = opensslChaCha20Poly1305();
  if (create === undefined) return undefined;
  return Object.freeze({
    name: 'openssl' as const,
    withKey: (key: Uint8Array): Aead => new OpensslAead(create(key)),
  });
}
