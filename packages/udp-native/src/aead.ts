/**
 * ChaCha20-Poly1305 from the OpenSSL inside the running Node (aead.c): each call sets the key and
 * the nonce on a cipher context the addon keeps per thread. Its own module (openssl_aead.node), so
 * a Node build that does not export OpenSSL to addons loses only this, never batched UDP.
 * @udpcam/protocol wraps it as an AEAD backend.
 */
import { requireAddon } from './binding.js';
import type { OpenerFunctions } from './opener.js';

/** aead.c's functions. Every length is checked: a wrong one throws a RangeError before any byte is touched. */
export interface OpensslChaCha20Poly1305 extends OpenerFunctions {
  /** Writes ciphertext and tag into `out` (plain.length + 16 bytes; may be `plain`'s memory). */
  seal(key: Uint8Array, nonce: Uint8Array, aad: Uint8Array, plain: Uint8Array, out: Uint8Array): void;
  /** True with the plaintext in `out` when the tag verifies; false, `out` zeroed, when not. */
  open(key: Uint8Array, nonce: Uint8Array, aad: Uint8Array, sealed: Uint8Array, out: Uint8Array): boolean;
  /**
   * Seals a frame's datagrams one after the other into `out` in the protected layout: `clear` is
   * bytes 5..17 of each (version, key id, session id), `counter` the first one's. Returns the
   * bytes written. Throws a TypeError when `out` is too short or a counter would pass 2^53 − 1.
   */
  sealFrame(
    key: Uint8Array,
    clear: Uint8Array,
    counter: number,
    datagrams: readonly (readonly [Uint8Array, Uint8Array])[],
    out: Uint8Array,
  ): number;
}

let loaded: { addon?: OpensslChaCha20Poly1305; problem?: string } | undefined;

function load() {
  if (loaded === undefined) {
    // The module exports only `problem` where this Node's OpenSSL cannot be used.
    const { addon, problem } = requireAddon<OpensslChaCha20Poly1305 & { problem?: string }>(
      'openssl_aead',
      'the OpenSSL AEAD addon',
    );
    loaded = addon?.problem === undefined ? { addon, problem } : { problem: addon.problem };
  }
  return loaded;
}

/** The addon's functions, or undefined where it cannot be used (see opensslAeadProblem). */
export function opensslChaCha20Poly1305(): OpensslChaCha20Poly1305 | undefined {
  return load().addon;
}

/** Why Node's OpenSSL cannot be used here, or undefined when it can. */
export function opensslAeadProblem(): string | undefined {
  return load().problem;
}
