/**
 * The parity side of one frame in reassembly (docs/protocol.md#parity): the 'P' datagrams held
 * for it and the frame shape they announce (k data chunks, m parity, L bytes). The assembler's
 * slot keeps one while it collects; once any k of the k + m datagrams are in, `rebuild` gives the
 * missing data chunks. Pure logic, like the assembler.
 */
import { PAYLOAD_OFFSET, TYPE_END, TYPE_START } from '../header.js';
import { dataChunkBytes, PARITY_SHARD_OFFSET, type ParityInfo } from './parity.js';
import { reconstructData } from './reed-solomon.js';

/** Parity held for one frame, and its announced shape. */
export class FecSlot {
  /** Whole parity datagrams by parity index; the shard starts at PARITY_SHARD_OFFSET. */
  readonly parity: (Uint8Array | undefined)[];
  /** Parity datagrams held. */
  count = 0;

  constructor(readonly shape: Readonly<ParityInfo>) {
    this.parity = new Array(shape.parityChunks);
  }

  /** Whether another parity datagram announces the same frame shape. */
  sameFrame(info: ParityInfo): boolean {
    const shape = this.shape;
    return (
      info.dataChunks === shape.dataChunks &&
      info.parityChunks === shape.parityChunks &&
      info.frameBytes === shape.frameBytes
    );
  }

  /** Keeps a parity datagram (its index must be free). */
  add(index: number, datagram: Uint8Array): void {
    this.parity[index] = datagram;
    this.count++;
  }

  /** Whether a data chunk (type byte, chunk id, payload bytes) fits the announced shape. */
  admitsChunk(type: number, chunkId: number, payloadBytes: number): boolean {
    const k = this.shape.dataChunks;
    if (chunkId >= k) return false;
    if ((type === TYPE_END) !== (chunkId === k - 1)) return false;
    if ((type === TYPE_START) !== (chunkId === 0)) return false;
    return payloadBytes === dataChunkBytes(this.shape.frameBytes, k, chunkId);
  }

  /** Whether every data chunk already held (whole datagrams by chunk id) fits the shape. */
  admitsHeld(chunks: readonly (Uint8Array | undefined)[], maxChunkId: number): boolean {
    for (let chunkId = 0; chunkId <= maxChunkId; chunkId++) {
      const datagram = chunks[chunkId];
      if (datagram === undefined) continue;
      if (!this.admitsChunk(datagram[0]!, chunkId, datagram.length - PAYLOAD_OFFSET)) return false;
    }
    return true;
  }

  /** Whether `dataReceived` data chunks plus the parity held make k. */
  canRebuild(dataReceived: number): boolean {
    return dataReceived + this.count >= this.shape.dataChunks;
  }

  /**
   * The payloads of the missing data chunks, by chunk id, rebuilt from any k datagrams held; each
   * exactly its near-equal length. Undefined if fewer than k are held, or if a rebuilt chunk's
   * padding byte is not zero — then the datagrams cannot all be of one frame, and nothing is emitted.
   */
  rebuild(chunks: readonly (Uint8Array | undefined)[]): Map<number, Uint8Array> | undefined {
    const { dataChunks: k, parityChunks: m, frameBytes, shardBytes } = this.shape;
    const shards: (Uint8Array | undefined)[] = new Array(k + m);
    for (let chunkId = 0; chunkId < k; chunkId++) shards[chunkId] = chunks[chunkId]?.subarray(PAYLOAD_OFFSET);
    for (let index = 0; index < m; index++)
      shards[k + index] = this.parity[index]?.subarray(PARITY_SHARD_OFFSET);
    const data = reconstructData(shards, k, shardBytes);
    if (data === undefined) return undefined;
    const rebuilt = new Map<number, Uint8Array>();
    for (let chunkId = 0; chunkId < k; chunkId++) {
      if (shards[chunkId] !== undefined) continue;
      const length = dataChunkBytes(frameBytes, k, chunkId);
      const shard = data[chunkId]!;
      for (let b = length; b < shardBytes; b++) if (shard[b] !== 0) return undefined;
      rebuilt.set(chunkId, shard.subarray(0, length));
    }
    return rebuilt;
  }
}
