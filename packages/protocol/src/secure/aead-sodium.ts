/**
 * ChaCha20-Poly1305 (IETF) from libsodium through `sodium-native`, an optional dependency: an
 * N-API addon whose npm package carries prebuilt binaries for Linux, macOS and Windows (x64 and
 * arm64), so nothing is compiled or downloaded at install and one binary serves every Node
 * version. One native call seals or opens a datagram in place, with no cipher object and no copy
 * (the layout's ciphertext-then-tag is libsodium's "combined" form).
 *
 * The calls go to sodium-native's native binding itself, not its JavaScript wrapper: per datagram
 * the wrapper runs ten `assert`s and reads three constants from a module object of ~1000
 * properties (a dictionary: slow lookups), and turns a bad tag into a thrown Error. The binding
 * returns -1 instead. Its own checks are C asserts, so this file checks every length first
 * (a wrong one would otherwise abort the process or overrun a buffer).
 */
import { createRequire } from 'node:module';
import type { Aead, AeadBackend } from './aead.js';
import { assertSealLengths, copyKey, openLengthsFit } from './aead-lengths.js';

/** The two functions of sodium-native used by the bench (its JavaScript API, which checks its arguments). */
export interface Sodium {
  /** `c` is ciphertext and tag: `m.length + 16` bytes. */
  crypto_aead_chacha20poly1305_ietf_encrypt(
    c: Uint8Array,
    m: Uint8Array,
    ad: Uint8Array,
    nsec: null,
    npub: Uint8Array,
    k: Uint8Array,
  ): number;
  /** Throws when the tag does not verify (and zeroes `m`). */
  crypto_aead_chacha20poly1305_ietf_decrypt(
    m: Uint8Array,
    nsec: null,
    c: Uint8Array,
    ad: Uint8Array,
    npub: Uint8Array,
    k: Uint8Array,
  ): number;
}

/**
 * The same two functions of sodium-native's native binding (`sodium-native/binding.js`): no
 * `nsec`, no argument checks, and a negative result instead of an exception. Encrypt returns the
 * bytes written (`m.length + 16`), decrypt the plaintext's length, or -1 for a bad tag (with `m`
 * zeroed).
 */
interface SodiumBinding {
  crypto_aead_chacha20poly1305_ietf_encrypt(
    c: Uint8Array,
    m: Uint8Array,
    ad: Uint8Array,
    npub: Uint8Array,
    k: Uint8Array,
  ): number;
  crypto_aead_chacha20poly1305_ietf_decrypt(
    m: Uint8Array,
    c: Uint8Array,
    ad: Uint8Array,
    npub: Uint8Array,
    k: Uint8Array,
  ): number;
}

class SodiumAead implements Aead {
  readonly #encrypt: SodiumBinding['crypto_aead_chacha20poly1305_ietf_encrypt'];
  readonly #decrypt: SodiumBinding['crypto_aead_chacha20poly1305_ietf_decrypt'];
  readonly #key: Buffer;

  constructor(binding: SodiumBinding, key: Uint8Array) {
    this.#key = copyKey(key);
    // Held as plain functions: one property load per call saved, and the binding ignores `this`.
    this.#encrypt = binding.crypto_aead_chacha20poly1305_ietf_encrypt;
    this.#decrypt = binding.crypto_aead_chacha20poly1305_ietf_decrypt;
  }

  seal(nonce: Uint8Array, aad: Uint8Array, plain: Uint8Array, sealedOut: Uint8Array): void {
    assertSealLengths(nonce, plain, sealedOut);
    this.#encrypt(sealedOut, plain, aad, nonce, this.#key);
  }

  open(nonce: Uint8Array, aad: Uint8Array, sealed: Uint8Array, plainOut: Uint8Array): boolean {
    // A bad tag is a result here, not an exception: a forged datagram costs no Error object.
    if (!openLengthsFit(nonce, sealed, plainOut)) return false;
    return this.#decrypt(plainOut, sealed, aad, nonce, this.#key) === plainOut.length;
  }
}

/** sodium-native's AEAD functions (its checked JavaScript API), or undefined when it is not installed or does not load here. */
export function loadSodium(): Sodium | undefined {
  try {
    const sodium = createRequire(import.meta.url)('sodium-native') as Sodium;
    return typeof sodium.crypto_aead_chacha20poly1305_ietf_encrypt === 'function' ? sodium : undefined;
  } catch {
    return undefined;
  }
}

/**
 * sodium-native's native binding, loaded through the package (so the same version and the same
 * loaded addon), when the package loads; if a future layout hides the binding, its checked
 * JavaScript API in the binding's shape (a bad tag then costs an exception, caught here).
 */
function loadBinding(): SodiumBinding | undefined {
  const sodium = loadSodium();
  if (sodium === undefined) return undefined;
  try {
    const binding = createRequire(import.meta.url)('sodium-native/binding.js') as SodiumBinding;
    if (
      typeof binding.crypto_aead_chacha20poly1305_ietf_encrypt === 'function' &&
      typeof binding.crypto_aead_chacha20poly1305_ietf_decrypt === 'function'
    ) {
      return binding;
    }
  } catch {
    // Falls through to the JavaScript API.
  }
  return {
    crypto_aead_chacha20poly1305_ietf_encrypt: (c, m, ad, npub, k) =>
      sodium.crypto_aead_chacha20poly1305_ietf_encrypt(c, m, ad, null, npub, k),
    crypto_aead_chacha20poly1305_ietf_decrypt: (m, c, ad, npub, k) => {
      try {
        return sodium.crypto_aead_chacha20poly1305_ietf_decrypt(m, null, c, ad, npub, k);
      } catch {
        return -1;
      }
    },
  };
}

/** The libsodium backend, or undefined when sodium-native is not installed or does not load here. */
export function loadSodiumAead(): AeadBackend | undefined {
  const binding = loadBinding();
  if (binding === undefined) return undefined;
  return Object.freeze({
    name: 'libsodium' as const,
    withKey: (key: Uint8Array): Aead => new SodiumAead(binding, key),
  });
}
