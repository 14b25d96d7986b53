/**
 * The wire format of the Python "UDP Webcam Server" (docs/protocol.md):
 *
 *    0        1        2        3        4        5 ...
 *   +--------+--------+--------+--------+--------+------------------------+
 *   |  type  | image id (ASCII) | chunk id (ASCII) | payload: a slice of    |
 *   | S|C|E  |  '0'-'9' '0'-'9' |  '0'-'9' '0'-'9' | the JPEG, <= packetSize|
 *   +--------+--------+--------+--------+--------+------------------------+
 *
 * 'S' is the first chunk of a frame (chunk id 00), 'C' a middle one, 'E' the last. udpcam's own
 * sender adds 'P' parity datagrams (docs/protocol.md#parity): image id = the frame's, the two
 * digits = the parity index; the Python sender and `--legacy` never send them.
 */
import { UdpcamError } from './errors.js';

export const HEADER_BYTES = 5;
// The offsets of the diagram above, as parseHeader reads them.
const TYPE_OFFSET = 0;
const IMAGE_ID_OFFSET = 1;
const CHUNK_ID_OFFSET = 3;
export const PAYLOAD_OFFSET = 5;

/** Two decimal digits: ids and chunk ids are 0..99, so a frame has at most 100 chunks. */
export const MAX_IMAGE_ID = 99;
export const MAX_CHUNKS = 100;

export const TYPE_START = 0x53; // 'S'
export const TYPE_CONTINUE = 0x43; // 'C'
export const TYPE_END = 0x45; // 'E'
/** A parity datagram of udpcam's forward error correction (docs/protocol.md#parity). */
export const TYPE_PARITY = 0x50; // 'P'

export type ChunkType = 'S' | 'C' | 'E' | 'P';

/** Largest UDP payload over IPv4 (65535 - 20 IP - 8 UDP), less our header. */
export const MAX_PACKET_SIZE = 65507 - HEADER_BYTES;

/**
 * Why a datagram was refused. `parseHeader` returns these as negative numbers so the hot path
 * allocates nothing; `MALFORMED_REASONS[-code]` names them.
 */
export const MALFORMED_REASONS = [
  'ok',
  'tooShort',
  'badType',
  'badImageId',
  'badChunkId',
  'startNotFirst',
  'firstNotStart',
] as const;
export type MalformedReason = Exclude<(typeof MALFORMED_REASONS)[number], 'ok'>;

const TOO_SHORT = -1;
const BAD_TYPE = -2;
const BAD_IMAGE_ID = -3;
const BAD_CHUNK_ID = -4;
const START_NOT_FIRST = -5;
const FIRST_NOT_START = -6;

const DIGIT_0 = 0x30;

/** The number two ASCII digit bytes spell (00..99), or -1 when either is not a digit. */
export function twoDigits(high: number, low: number): number {
  const hi = high - DIGIT_0;
  const lo = low - DIGIT_0;
  return hi >= 0 && hi <= 9 && lo >= 0 && lo <= 9 ? hi * 10 + lo : -1;
}

/**
 * Parses the 5-byte header without allocating. Returns a packed value
 * `type << 16 | imageId << 8 | chunkId` (>= 0) or a negative reason code for a malformed datagram
 * (see `MALFORMED_REASONS`). Accepts exactly what the Python sender emits — an S must be chunk 00,
 * and chunk 00 must be an S — plus udpcam's 'P' parity datagrams with any parity index 00..99.
 */
export function parseHeader(datagram: Uint8Array): number {
  if (datagram.length < HEADER_BYTES) return TOO_SHORT;
  const type = datagram[TYPE_OFFSET]!;
  if (type !== TYPE_START && type !== TYPE_CONTINUE && type !== TYPE_END && type !== TYPE_PARITY) {
    return BAD_TYPE;
  }
  const imageId = twoDigits(datagram[IMAGE_ID_OFFSET]!, datagram[IMAGE_ID_OFFSET + 1]!);
  if (imageId < 0) return BAD_IMAGE_ID;
  const chunkId = twoDigits(datagram[CHUNK_ID_OFFSET]!, datagram[CHUNK_ID_OFFSET + 1]!);
  if (chunkId < 0) return BAD_CHUNK_ID;
  if (type === TYPE_START) {
    if (chunkId !== 0) return START_NOT_FIRST;
  } else if (chunkId === 0 && type !== TYPE_PARITY) {
    return FIRST_NOT_START;
  }
  return (type << 16) | (imageId << 8) | chunkId;
}

/** Chunk type byte of a packed header from `parseHeader`. */
export const packedType = (packed: number): number => packed >>> 16;
/** Image id (0..99) of a packed header from `parseHeader`. */
export const packedImageId = (packed: number): number => (packed >>> 8) & 0xff;
/** Chunk id (0..99; the parity index for a 'P') of a packed header from `parseHeader`. */
export const packedChunkId = (packed: number): number => packed & 0xff;

/** A decoded datagram: the header fields and a view (not a copy) of the payload. */
export interface Datagram {
  type: ChunkType;
  imageId: number;
  chunkId: number;
  payload: Uint8Array;
}

/** Decodes a datagram for tools and tests; throws UDPCAM_ERR_MALFORMED_DATAGRAM with the reason. */
export function decodeDatagram(datagram: Uint8Array): Datagram {
  const packed = parseHeader(datagram);
  if (packed < 0) {
    throw new UdpcamError(
      'UDPCAM_ERR_MALFORMED_DATAGRAM',
      `malformed datagram (${MALFORMED_REASONS[-packed]}): ${datagram.length} bytes`,
    );
  }
  return {
    type: String.fromCharCode(packedType(packed)) as ChunkType,
    imageId: packedImageId(packed),
    chunkId: packedChunkId(packed),
    payload: datagram.subarray(PAYLOAD_OFFSET),
  };
}

// Every possible header, built once: encodeHeader hands out views into this table, so sending a
// chunk allocates no header. 4 types x 100 ids x 100 chunk ids x 5 bytes = 200 kB.
const TYPES = [TYPE_START, TYPE_CONTINUE, TYPE_END, TYPE_PARITY] as const;
const HEADER_TABLE = Buffer.alloc(TYPES.length * 100 * 100 * HEADER_BYTES);
for (let t = 0; t < TYPES.length; t++) {
  for (let id = 0; id < 100; id++) {
    for (let chunk = 0; chunk < 100; chunk++) {
      const at = ((t * 100 + id) * 100 + chunk) * HEADER_BYTES;
      HEADER_TABLE[at] = TYPES[t]!;
      HEADER_TABLE[at + 1] = DIGIT_0 + Math.floor(id / 10);
      HEADER_TABLE[at + 2] = DIGIT_0 + (id % 10);
      HEADER_TABLE[at + 3] = DIGIT_0 + Math.floor(chunk / 10);
      HEADER_TABLE[at + 4] = DIGIT_0 + (chunk % 10);
    }
  }
}

/**
 * The 5 header bytes for a chunk, as a shared read-only view (never write into it).
 * Throws for ids outside 0..99 (a three-digit id would change the header's length) and for a
 * header parseHeader would refuse (an S that is not chunk 00, a C or E that is). For a 'P' the
 * chunk id is the parity index.
 */
export function encodeHeader(type: ChunkType, imageId: number, chunkId: number): Buffer {
  if (!Number.isInteger(imageId) || imageId < 0 || imageId > MAX_IMAGE_ID) {
    throw new UdpcamError('UDPCAM_ERR_INVALID_IMAGE_ID', `image id must be an integer 0..99, got ${imageId}`);
  }
  if (!Number.isInteger(chunkId) || chunkId < 0 || chunkId >= MAX_CHUNKS) {
    throw new UdpcamError('UDPCAM_ERR_FRAME_TOO_LARGE', `chunk id must be an integer 0..99, got ${chunkId}`);
  }
  if (type !== 'P' && (type === 'S') !== (chunkId === 0)) {
    throw new UdpcamError(
      'UDPCAM_ERR_MALFORMED_DATAGRAM',
      `an S chunk is chunk 00 and chunk 00 is an S; got ${type} with chunk id ${chunkId}`,
    );
  }
  const t = type === 'S' ? 0 : type === 'C' ? 1 : type === 'E' ? 2 : 3;
  const at = ((t * 100 + imageId) * 100 + chunkId) * HEADER_BYTES;
  return HEADER_TABLE.subarray(at, at + HEADER_BYTES);
}
