/** Wire bytes for tests: datagrams built by the codec, or written as hex. */
import type { ChunkDatagram } from '@udpcam/protocol';

/** One datagram as it leaves the socket: header then payload (what `dgram.send` does with the list). */
export function toDatagram(chunk: ChunkDatagram): Buffer {
  return Buffer.concat(chunk);
}

/** Every chunk of a frame as a datagram, in chunk-id order. */
export function toDatagrams(chunks: readonly ChunkDatagram[]): Buffer[] {
  return chunks.map(toDatagram);
}

/** Bytes from hex text such as "53 31 30 30 30 ff d8"; whitespace is ignored, anything else throws. */
export function fromHex(text: string): Buffer {
  const digits = text.replace(/\s+/g, '');
  if (!/^(?:[0-9a-fA-F]{2})*$/.test(digits)) throw new Error(`not hex byte pairs: ${JSON.stringify(text)}`);
  return Buffer.from(digits, 'hex');
}

/**
 * Any 5-byte header as ASCII, including those encodeHeader refuses to write (an S that is not
 * chunk 00, a C or E that is): for tests that must feed the receiver what a broken sender sends.
 */
export function anyHeader(type: string, imageId: number, chunkId: number): Buffer {
  const two = (n: number) => String(n).padStart(2, '0');
  return Buffer.from(`${type}${two(imageId)}${two(chunkId)}`, 'latin1');
}
