/**
 * The lengths ChaCha20-Poly1305 (RFC 8439) takes, checked in JavaScript for the native backends
 * (libsodium's own checks are C asserts: a wrong length would abort the process), and the copy of
 * a key each backend keeps.
 */
import { KEY_BYTES, NONCE_BYTES, SECURE_TAG_BYTES } from './layout.js';

/** libsodium's limit on a message (and this AEAD's on a ciphertext): 2^32 − 1 bytes. */
const MAX_BYTES = 0xffff_ffff;

/** A backend's own copy of a 32-byte key (the caller may wipe its own); a RangeError for another length. */
export function copyKey(key: Uint8Array): Buffer {
  if (key.length !== KEY_BYTES) throw new RangeError(`a ChaCha20-Poly1305 key is ${KEY_BYTES} bytes`);
  const own = Buffer.alloc(KEY_BYTES);
  own.set(key);
  return own;
}

/** True when `open` may go ahead: a 12-byte nonce, a tag's worth at least, an output of the plaintext's size. */
export function openLengthsFit(nonce: Uint8Array, sealed: Uint8Array, plainOut: Uint8Array): boolean {
  return (
    nonce.length === NONCE_BYTES &&
    sealed.length >= SECURE_TAG_BYTES &&
    sealed.length <= MAX_BYTES &&
    plainOut.length === sealed.length - SECURE_TAG_BYTES
  );
}

/** Throws a RangeError unless `seal` may go ahead: a 12-byte nonce and an output of plain.length + 16 bytes. */
export function assertSealLengths(nonce: Uint8Array, plain: Uint8Array, sealedOut: Uint8Array): void {
  if (
    nonce.length !== NONCE_BYTES ||
    sealedOut.length !== plain.length + SECURE_TAG_BYTES ||
    sealedOut.length > MAX_BYTES
  ) {
    throw new RangeError('ChaCha20-Poly1305 seal: a 12-byte nonce and an output of plain.length + 16 bytes');
  }
}
