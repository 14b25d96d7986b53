/**
 * udpcam's own framing (docs/protocol.md#udpcams-sender):
 * - a frame of L bytes goes in n = max(2, ceil(L / packetSize)) chunks of near-equal size (the
 *   first L mod n chunks are one byte longer), so every frame has an S and an E and no chunk is
 *   empty — a JPEG that fits one datagram is split in two halves;
 * - image ids cycle 00..99 (ImageIdCycle), so consecutive frames never share one.
 */
import { UdpcamError } from './errors.js';
import { encodeHeader, MAX_CHUNKS, MAX_PACKET_SIZE } from './header.js';

/** One datagram as the list of buffers to hand to `dgram.send`: [5-byte header, payload view]. */
export type ChunkDatagram = readonly [header: Buffer, payload: Buffer];

/** Smallest packet size we accept: below this the 5-byte header dominates. */
export const MIN_PACKET_SIZE = 16;

/** Throws UDPCAM_ERR_INVALID_PACKET_SIZE unless packetSize (payload bytes) is usable. */
export function assertPacketSize(packetSize: number): void {
  if (!Number.isInteger(packetSize) || packetSize < MIN_PACKET_SIZE || packetSize > MAX_PACKET_SIZE) {
    throw new UdpcamError(
      'UDPCAM_ERR_INVALID_PACKET_SIZE',
      `packet size must be an integer from ${MIN_PACKET_SIZE} to ${MAX_PACKET_SIZE} bytes, got ${packetSize}`,
    );
  }
}

/** Number of chunks udpcam's framing uses for a frame of `frameBytes` (may exceed 100). */
export function chunkCount(frameBytes: number, packetSize: number): number {
  return Math.max(2, Math.ceil(frameBytes / packetSize));
}

/** Largest frame (bytes) that fits in 100 chunks at this packet size. */
export function maxFrameBytes(packetSize: number): number {
  return MAX_CHUNKS * packetSize;
}

/**
 * Splits a frame into datagrams with udpcam's framing. Payloads are views into `frame` (no copy),
 * headers are shared read-only views. Throws UDPCAM_ERR_FRAME_TOO_LARGE past 100 chunks.
 */
export function chunkFrame(frame: Buffer, imageId: number, packetSize: number): ChunkDatagram[] {
  assertPacketSize(packetSize);
  if (frame.length < 2) {
    throw new UdpcamError('UDPCAM_ERR_NOT_JPEG', `a frame needs at least 2 bytes, got ${frame.length}`);
  }
  const count = chunkCount(frame.length, packetSize);
  if (count > MAX_CHUNKS) {
    throw new UdpcamError(
      'UDPCAM_ERR_FRAME_TOO_LARGE',
      `frame of ${frame.length} bytes needs ${count} chunks of ${packetSize} bytes; at most ${MAX_CHUNKS} fit the header (max ${maxFrameBytes(packetSize)} bytes)`,
    );
  }
  const base = Math.floor(frame.length / count);
  const longer = frame.length % count;
  const datagrams: ChunkDatagram[] = new Array(count);
  let offset = 0;
  for (let chunkId = 0; chunkId < count; chunkId++) {
    const size = base + (chunkId < longer ? 1 : 0);
    const type = chunkId === 0 ? 'S' : chunkId === count - 1 ? 'E' : 'C';
    datagrams[chunkId] = [encodeHeader(type, imageId, chunkId), frame.subarray(offset, offset + size)];
    offset += size;
  }
  return datagrams;
}

/** Image ids for udpcam's sender: 00, 01, ... 99, 00, ... */
export class ImageIdCycle {
  #next: number;

  constructor(first = 0) {
    if (!Number.isInteger(first)) {
      throw new UdpcamError('UDPCAM_ERR_INVALID_IMAGE_ID', `first image id must be an integer, got ${first}`);
    }
    this.#next = ((first % 100) + 100) % 100;
  }

  /** The id for the next frame. */
  next(): number {
    const id = this.#next;
    this.#next = (id + 1) % 100;
    return id;
  }
}
