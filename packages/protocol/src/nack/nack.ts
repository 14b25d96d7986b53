/**
 * udpcam's retransmission request (docs/protocol.md#nack): a receiver asks the sender of a frame
 * for data chunks it lost. The ordinary 5-byte header (type 'N', the frame's image id, the attempt
 * number as the two digits), a 16-byte body, then zero padding:
 *
 *    0     1..2      3..4      5        6        7..19                     20      21 ...
 *   +-----+--------+---------+--------+--------+--------------------------+-------+-----------+
 *   | 'N' |image id|attempt  |version |tail    | bitmap: bit i of byte    |   0   | padding   |
 *   |     | 00..99 | 00..99  |   1    |from, or| 7 + i/8 (LSB first) asks |       | zeros     |
 *   |     | ASCII  | ASCII   |        |0xFF    | for data chunk i, 0..99  |       |           |
 *   +-----+--------+---------+--------+--------+--------------------------+-------+-----------+
 *
 * `tail from` t < 100 also asks for every chunk from t to the frame's last (a receiver that lost
 * the E does not know how many chunks there are). The padding is what makes the request pay for
 * its answer: a sender resends at most as many bytes as the NACK datagram itself has.
 */
import { HEADER_BYTES, MAX_CHUNKS, twoDigits } from '../header.js';

/** 'N': a retransmission request (receiver → sender only). */
export const TYPE_NACK = 0x4e;
export const NACK_VERSION = 1;
/** Bytes of a NACK before its padding (header, version, tail, bitmap, reserved). */
export const NACK_BYTES = HEADER_BYTES + 16;
/** `tail from` value for "no tail asked". */
export const NO_TAIL = 0xff;
const BITMAP_OFFSET = 7;
const DIGIT_0 = 0x30;

/** A decoded NACK. */
export interface Nack {
  /** The frame's image id, 0..99. */
  imageId: number;
  /** Which request for this frame this is, 0..99 (diagnostics only). */
  attempt: number;
  /** Data chunk ids asked for, ascending, 0..99. */
  chunks: number[];
  /** Every chunk from this id on is asked for too; undefined: none. */
  tailFrom: number | undefined;
}

/**
 * Encodes a NACK padded with zeros to `padTo` bytes (at least NACK_BYTES). `chunks` are data
 * chunk ids 0..99 (duplicates harmless); `tailFrom` 0..99 or undefined.
 */
export function encodeNack(
  imageId: number,
  attempt: number,
  chunks: readonly number[],
  tailFrom: number | undefined,
  padTo = 0,
): Buffer {
  const out = Buffer.alloc(Math.max(NACK_BYTES, padTo));
  out[0] = TYPE_NACK;
  out[1] = DIGIT_0 + Math.floor(imageId / 10);
  out[2] = DIGIT_0 + (imageId % 10);
  const a = Math.min(99, Math.max(0, attempt));
  out[3] = DIGIT_0 + Math.floor(a / 10);
  out[4] = DIGIT_0 + (a % 10);
  out[5] = NACK_VERSION;
  out[6] = tailFrom === undefined ? NO_TAIL : tailFrom;
  for (const id of chunks) out[BITMAP_OFFSET + (id >> 3)]! |= 1 << (id & 7);
  return out;
}

/** Decodes a (plain) NACK datagram; undefined when it is not a well-formed one. */
export function decodeNack(datagram: Uint8Array): Nack | undefined {
  if (datagram.length < NACK_BYTES || datagram[0] !== TYPE_NACK || datagram[5] !== NACK_VERSION)
    return undefined;
  const imageId = twoDigits(datagram[1]!, datagram[2]!);
  const attempt = twoDigits(datagram[3]!, datagram[4]!);
  const tail = datagram[6]!;
  if (imageId < 0 || attempt < 0 || (tail !== NO_TAIL && tail >= MAX_CHUNKS)) return undefined;
  // Bits 100..103 of the bitmap's last byte name no chunk: refuse rather than ignore them.
  if (datagram[BITMAP_OFFSET + 12]! >> 4 !== 0) return undefined;
  const chunks: number[] = [];
  for (let id = 0; id < MAX_CHUNKS; id++) {
    if (datagram[BITMAP_OFFSET + (id >> 3)]! & (1 << (id & 7))) chunks.push(id);
  }
  return { imageId, attempt, chunks, tailFrom: tail === NO_TAIL ? undefined : tail };
}
