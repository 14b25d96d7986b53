/**
 * The framing of the original Python sender, reproduced byte for byte so udpcam can be tested
 * against it (and can talk to receivers that expect it). Its quirks (docs/protocol.md#legacy):
 * - the image id is random in 10..99 per frame, so consecutive frames may share one;
 * - the chunk count comes from an overestimated size, `int((L + 112) / packet_size) + 1` in main.py
 *   — 112 bytes is what sys.getsizeof adds for a numpy array — so the last chunk (E), and the ones
 *   before it when packetSize < 112, can be empty; when L + 112 is a multiple of packetSize there
 *   is one chunk more than ceil would give (888 bytes at 1000: an S of 888 bytes and an empty E);
 * - a frame whose count is 1 is sent as a lone S (chunk 00) and no E;
 * - every chunk is packetSize bytes until the frame runs out.
 */
import { assertPacketSize, type ChunkDatagram } from './chunker.js';
import { UdpcamError } from './errors.js';
import { encodeHeader, MAX_CHUNKS } from './header.js';

/** What the Python sender adds to the JPEG length before dividing (numpy array overhead). */
export const LEGACY_SIZE_OVERHEAD = 112;
/** The Python sender's default payload bytes per datagram. */
export const LEGACY_PACKET_SIZE = 8000;

/**
 * Number of chunks the Python sender uses for a frame of `frameBytes` with `packetSize`-byte
 * payloads: Python's `int((L + 112) / packet_size) + 1` (floor, then one more — not ceil).
 */
export function legacyChunkCount(frameBytes: number, packetSize: number): number {
  return Math.floor((frameBytes + LEGACY_SIZE_OVERHEAD) / packetSize) + 1;
}

/** A random image id as the Python sender picks it: uniform in 10..99. */
export function legacyImageId(random: () => number = Math.random): number {
  return 10 + Math.floor(random() * 90);
}

/** Splits a frame exactly as the Python sender does. Payloads are views into `frame`. */
export function legacyChunkFrame(frame: Buffer, imageId: number, packetSize: number): ChunkDatagram[] {
  assertPacketSize(packetSize);
  const count = legacyChunkCount(frame.length, packetSize);
  if (count > MAX_CHUNKS) {
    throw new UdpcamError(
      'UDPCAM_ERR_FRAME_TOO_LARGE',
      `frame of ${frame.length} bytes needs ${count} legacy chunks of ${packetSize} bytes (max ${MAX_CHUNKS})`,
    );
  }
  const datagrams: ChunkDatagram[] = [];
  for (let chunkId = 0; chunkId < count; chunkId++) {
    const type = chunkId === 0 ? 'S' : chunkId === count - 1 ? 'E' : 'C';
    const start = Math.min(chunkId * packetSize, frame.length);
    const end = Math.min(start + packetSize, frame.length);
    datagrams.push([encodeHeader(type, imageId, chunkId), frame.subarray(start, end)]);
  }
  return datagrams;
}
