/**
 * The protected datagram (docs/protocol.md#protected): the 5-byte header stays in clear with its
 * type byte in lower case, then a 21-byte security header, the payload encrypted with
 * ChaCha20-Poly1305 (RFC 8439, aead.ts), and the 16-byte tag. Everything before the ciphertext is
 * the AEAD's associated data, so no clear byte can be changed either.
 *
 *    0      1  2   3  4   5       6 .. 9     10 .. 17      18 .. 25     26 ..          last 16
 *   +------+-----+-----+-------+----------+-------------+------------+--------------+---------+
 *   | s|c|e| img | chk | ver=2 |  key id  | session id  |  counter   |  ciphertext  |   tag   |
 *   +------+-----+-----+-------+----------+-------------+------------+--------------+---------+
 *   |<------------------ associated data (26 bytes) --------------->|
 *
 * Lower-case types keep protected datagrams apart from the original format: a receiver without a
 * key (or the Python one) never takes them for chunks, and can tell the user what they are.
 * Version 1 was the same layout sealed with AES-256-GCM; it is refused as malformed.
 */

/** Bytes of the clear part: the 5-byte header and the security header. */
export const SECURE_CLEAR_BYTES = 26;
/** Bytes of the Poly1305 tag at the end. */
export const SECURE_TAG_BYTES = 16;
/** Bytes a protected datagram has beyond the plain one (21 + 16). */
export const SECURE_OVERHEAD_BYTES = SECURE_CLEAR_BYTES - 5 + SECURE_TAG_BYTES;
/** Shortest protected datagram: an empty payload. */
export const MIN_SECURE_DATAGRAM_BYTES = SECURE_CLEAR_BYTES + SECURE_TAG_BYTES;

export const SECURE_VERSION_OFFSET = 5;
export const SECURE_KEY_ID_OFFSET = 6;
export const SECURE_SESSION_OFFSET = 10;
export const SECURE_COUNTER_OFFSET = 18;
/** The version sealed and opened: 2, ChaCha20-Poly1305 (1 was AES-256-GCM). */
export const SECURE_VERSION = 2;
/** Bytes of the random per-sender-session id. */
export const SESSION_ID_BYTES = 8;
/** Bytes of a stream key and of a session key. */
export const KEY_BYTES = 32;
/** Bytes of the nonce: 4 zero bytes and the 64-bit counter (RFC 8439's 32-bit constant + 64-bit IV). */
export const NONCE_BYTES = 12;
/**
 * Highest counter a sender uses (2^53 − 1, exact in a JS number): ~2800 years at 100,000
 * datagrams/s. The sender stops rather than wrap.
 */
export const MAX_COUNTER = Number.MAX_SAFE_INTEGER;

/** Case bit of ASCII letters: 'S' | CASE_BIT is 's'. */
export const CASE_BIT = 0x20;

const LOWER_S = 0x73;
const LOWER_C = 0x63;
const LOWER_E = 0x65;
/** udpcam's parity datagram, protected like the chunks (docs/protocol.md#parity). */
const LOWER_P = 0x70;
/** udpcam's retransmission request, sealed like data under a key (docs/protocol.md#nack). */
const LOWER_N = 0x6e;

/** True when byte 0 is a protected type byte (s, c, e, p for parity, or n for a NACK). */
export function isProtectedType(byte: number): boolean {
  return byte === LOWER_S || byte === LOWER_C || byte === LOWER_E || byte === LOWER_P || byte === LOWER_N;
}

/**
 * True when a datagram looks protected (a lower-case type, long enough, this version), so a receiver
 * without a key can say so instead of counting it as garbage. Says nothing about authenticity.
 */
export function looksProtected(datagram: Uint8Array): boolean {
  return (
    datagram.length >= MIN_SECURE_DATAGRAM_BYTES &&
    isProtectedType(datagram[0]!) &&
    datagram[SECURE_VERSION_OFFSET] === SECURE_VERSION
  );
}
