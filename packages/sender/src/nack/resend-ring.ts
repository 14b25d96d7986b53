/**
 * The sender's memory of its last frames, for retransmission on request (docs/protocol.md#nack):
 * each frame's data datagrams, kept as the [header, payload] views the chunker made (no copy: a
 * frame kept costs its JPEG buffer). Bounded by bytes and by frames, oldest out first.
 */
import type { ChunkDatagram } from '@udpcam/protocol';

/** One frame kept for resending. */
export interface KeptFrame {
  /** Image id it went out with, 0..99. */
  readonly imageId: number;
  /** Its data datagrams, in chunk-id order (parity is never resent: a lost chunk itself is cheaper). */
  readonly datagrams: readonly ChunkDatagram[];
  /** Header and payload bytes of those datagrams. */
  readonly bytes: number;
}

/** Default bound of a ResendRing in bytes: ~17 frames of 720p, ~0.5 s at 30 fps. */
export const DEFAULT_RESEND_RING_BYTES = 1024 * 1024;
/**
 * Default bound in frames. Well under the 100 image ids, so an id names one kept frame: a NACK for
 * a frame this old is answered with nothing rather than with another frame's chunks.
 */
export const DEFAULT_RESEND_RING_FRAMES = 32;

/** The last frames' datagrams, at most `maxBytes` bytes and `maxFrames` frames. */
export class ResendRing {
  readonly #frames: KeptFrame[] = [];
  #bytes = 0;

  constructor(
    /** Bytes kept at most (headers and payloads). */
    readonly maxBytes = DEFAULT_RESEND_RING_BYTES,
    /** Frames kept at most, 1..50. */
    readonly maxFrames = DEFAULT_RESEND_RING_FRAMES,
  ) {}

  /** Bytes held now. */
  get bytes(): number {
    return this.#bytes;
  }

  /** Frames held now. */
  get size(): number {
    return this.#frames.length;
  }

  /** Keeps a frame just sent (a frame larger than the whole ring is not kept); evicts the oldest. */
  put(imageId: number, datagrams: readonly ChunkDatagram[]): void {
    let bytes = 0;
    for (const [header, payload] of datagrams) bytes += header.length + payload.length;
    const same = this.#frames.findIndex((frame) => frame.imageId === imageId);
    if (same >= 0) this.#bytes -= this.#frames.splice(same, 1)[0]!.bytes;
    if (bytes > this.maxBytes) return;
    this.#frames.push({ imageId, datagrams, bytes });
    this.#bytes += bytes;
    while (this.#frames.length > this.maxFrames || this.#bytes > this.maxBytes) {
      this.#bytes -= this.#frames.shift()!.bytes;
    }
  }

  /** The kept frame sent with this image id, if still held. */
  get(imageId: number): KeptFrame | undefined {
    // Newest last and few frames: a backward scan finds a recent frame in a step or two.
    for (let i = this.#frames.length - 1; i >= 0; i--) {
      if (this.#frames[i]!.imageId === imageId) return this.#frames[i];
    }
    return undefined;
  }
}
