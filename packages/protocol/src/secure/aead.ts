/**
 * The datagram AEAD: ChaCha20-Poly1305 as RFC 8439 §2.8 defines it (32-byte key, 12-byte nonce,
 * 16-byte tag), from the first of these that loads: Node's own OpenSSL through udpcam's addon
 * (one reused cipher context, ~1.1 µs per 1400-byte datagram), libsodium through the
 * optional `sodium-native` addon (~1.5 µs), node:crypto (a cipher object and five calls per
 * datagram, ~5 µs). All give the same bytes (test/unit/protocol/secure/aead.test.ts), so either
 * end may use any (docs/protocol.md#aead).
 */
import { nodeAead } from './aead-node.js';
import { loadOpensslAead } from './aead-openssl.js';
import { loadSodiumAead } from './aead-sodium.js';

/** ChaCha20-Poly1305 under one key; "sealed" bytes are the ciphertext followed by the 16-byte tag. */
export interface Aead {
  /**
   * Encrypts `plain` and authenticates it with `aad`, writing ciphertext and tag into `sealedOut`
   * (`plain.length + 16` bytes; may start at the same memory as `plain`).
   */
  seal(nonce: Uint8Array, aad: Uint8Array, plain: Uint8Array, sealedOut: Uint8Array): void;
  /**
   * Checks the tag at the end of `sealed` over `aad` and the ciphertext, and only when it matches
   * decrypts into `plainOut` (`sealed.length − 16` bytes; may start at the same memory as
   * `sealed`) and returns true. On false, `plainOut` holds no plaintext (libsodium zeroes it,
   * node:crypto leaves it) and is not to be used.
   */
  open(nonce: Uint8Array, aad: Uint8Array, sealed: Uint8Array, plainOut: Uint8Array): boolean;
  /**
   * Where the backend has it (OpenSSL's): seals a frame's datagrams into `out` in one call, as
   * DatagramSealer.sealFrame lays them out (`clear`: bytes 5..17 of each, `counter`: the first
   * one's); returns the bytes written.
   */
  sealFrame?(
    clear: Uint8Array,
    counter: number,
    datagrams: readonly (readonly [Uint8Array, Uint8Array])[],
    out: Uint8Array,
  ): number;
}

/** The backends, in the order preferredAead tries them. */
export const AEAD_NAMES = ['openssl', 'libsodium', 'node:crypto'] as const;
export type AeadName = (typeof AEAD_NAMES)[number];

/** An implementation of the AEAD. */
export interface AeadBackend {
  /** Which library does the work. */
  readonly name: AeadName;
  /** The AEAD under a 32-byte `key` (the backend keeps its own copy: the caller may wipe `key`). */
  withKey(key: Uint8Array): Aead;
}

let preferred: AeadBackend | undefined;

/**
 * The backend sealers and openers use by default: the first of AEAD_NAMES that loads here.
 * UDPCAM_AEAD=libsodium or node-crypto starts the search there instead (tests and benches compare
 * them); node:crypto is always there.
 */
export function preferredAead(): AeadBackend {
  if (preferred === undefined) {
    const start = process.env.UDPCAM_AEAD;
    const openssl = start !== 'libsodium' && start !== 'node-crypto' ? loadOpensslAead() : undefined;
    preferred = openssl ?? (start !== 'node-crypto' ? loadSodiumAead() : undefined) ?? nodeAead;
  }
  return preferred;
}

export { nodeAead } from './aead-node.js';
export { loadOpensslAead } from './aead-openssl.js';
export { loadSodium, loadSodiumAead, type Sodium } from './aead-sodium.js';
