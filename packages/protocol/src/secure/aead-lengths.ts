/**
 * The lengths ChaCha20-Poly1305 (RFC 8439) takes, checked in JavaScript before a native call,
 * which trusts them (libsodium's own checks are C asserts: a wrong length would abort the process).
 */

export const AEAD_NONCE_BYTES = 12;
export const AEAD_TAG_BYTES = 16;
/** libsodium's limit on a message (and this AEAD's on a ciphertext): 2^32 − 1 bytes. */
const MAX_BYTES = 0xffff_ffff;

/** True when `open` may go ahead: a 12-byte nonce, a tag's worth at least, an output of the plaintext's size. */
export function openLengthsFit(nonce: Uint8Array, sealed: Uint8Array, plainOut: Uint8Array): boolean {
  return (
    nonce.length === AEAD_NONCE_BYTES &&
    sealed.length >= AEAD_TAG_BYTES &&
    sealed.length <= MAX_BYTES &&
    plainOut.length === sealed.length - AEAD_TAG_BYTES
  );
}

/** Throws a RangeError unless `seal` may go ahead: a 12-byte nonce and an output of plain.length + 16 bytes. */
export function assertSealLengths(nonce: Uint8Array, plain: Uint8Array, sealedOut: Uint8Array): void {
  if (
    nonce.length !== AEAD_NONCE_BYTES ||
    sealedOut.length !== plain.length + AEAD_TAG_BYTES ||
    sealedOut.length > MAX_BYTES
  ) {
    throw new RangeError('ChaCha20-Poly1305 seal: a 12-byte nonce and an output of plain.length + 16 bytes');
  }
}
