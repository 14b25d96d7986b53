/**
 * The framing of the original Python sender, reproduced byte for byte so udpcam can be tested
 * against it (and can talk to receivers that expect it). Its quirks (docs/protocol.md#legacy):
 * - the image id is random in 10..99 per frame, so consecutive frames may share one;
 * - the chunk count comes from an overestimated size, ceil((L + 112) / packetSize) — 112 bytes is
 *   what sys.getsizeof adds for a numpy array — so the last chunk (E) can be empty;
 * - a frame whose count is 1 is sent as a lone S (chunk 00) and no E;
 * - every chunk but the last is exactly packetSize bytes.
 */
import { assertPacketSize, type ChunkDatagram } from './chunker.js';
import { UdpcamError } from './errors.js';
import { encodeHeader, MAX_CHUNKS } from './header.js';

/** What the Python sender adds to the JPEG length before dividing (numpy array overhead). */
export const LEGACY_SIZE_OVERHEAD = 112;
/** The Python sender's default payload bytes per datagram. */
export const LEGACY_PACKET_SIZE = 8000;

/** Number of chunks the Python sender uses for a frame of `frameBytes`. */
export function legacyChunkCount(frameBytes: number, packetSize: number): number {
  return Math.ceil((frameBytes + LEGACY_SIZE_OVERHEAD) / packetSize);
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
