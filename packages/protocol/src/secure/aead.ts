/**
 * The datagram AEAD: ChaCha20-Poly1305 as RFC 8439 §2.8 defines it (32-byte key, 12-byte nonce,
 * 16-byte tag), from libsodium through the optional `sodium-native` addon when it loads, else from
 * node:crypto. Both give the same bytes (test/unit/protocol/secure/aead.test.ts), so either end
 * may use either. libsodium is preferred for its cost: one native call per datagram (~1.5–2 µs
 * for 1400 bytes) against node:crypto's cipher object and five calls (~5 µs), which was most of
 * protection's cost per frame (docs/protocol.md#aead).
 */
import { nodeAead } from './aead-node.js';
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
}

/** An implementation of the AEAD. */
export interface AeadBackend {
  /** Which library does the work: 'libsodium' or 'node:crypto'. */
  readonly name: 'libsodium' | 'node:crypto';
  /** The AEAD under a 32-byte `key` (the backend keeps its own copy: the caller may wipe `key`). */
  withKey(key: Uint8Array): Aead;
}

let preferred: AeadBackend | undefined;

/**
 * The backend sealers and openers use by default: libsodium when `sodium-native` loads (an
 * optional dependency with prebuilt binaries for the common platforms), else node:crypto. The
 * environment variable UDPCAM_AEAD=node-crypto forces the fallback (tests and benches compare them).
 */
export function preferredAead(): AeadBackend {
  if (preferred === undefined) {
    preferred = process.env.UDPCAM_AEAD === 'node-crypto' ? nodeAead : (loadSodiumAead() ?? nodeAead);
  }
  return preferred;
}

export { nodeAead } from './aead-node.js';
export { loadSodium, loadSodiumAead, type Sodium } from './aead-sodium.js';
