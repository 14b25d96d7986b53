/**
 * The last few seconds of one camera's frames, kept in memory so a client can fetch "the frame
 * from just before the event". Bounded three ways — age, count and bytes — and allocation-free
 * per frame: a fixed array used as a circular buffer, holding references to frames the receiver
 * already allocated.
 */
import type { ReceivedFrame } from './frame.js';

export interface FrameRingOptions {
  /** Frames older than this (µs, by receive time) fall out. */
  maxAgeUs: number;
  /** Frames kept at most. */
  maxFrames: number;
  /** Bytes kept at most. */
  maxBytes: number;
}

/** Recent frames of one camera, oldest first; see the file comment. */
export class FrameRing {
  readonly #slots: (ReceivedFrame | undefined)[];
  readonly #options: FrameRingOptions;
  #start = 0;
  #count = 0;
  #bytes = 0;

  constructor(options: FrameRingOptions) {
    this.#options = options;
    this.#slots = new Array(options.maxFrames);
  }

  get size(): number {
    return this.#count;
  }

  get bytes(): number {
    return this.#bytes;
  }

  /** Adds the newest frame and lets the oldest go past any limit. */
  push(frame: ReceivedFrame): void {
    if (frame.data.length > this.#options.maxBytes) return;
    if (this.#count === this.#slots.length) this.#shift();
    this.#slots[(this.#start + this.#count) % this.#slots.length] = frame;
    this.#count++;
    this.#bytes += frame.data.length;
    while (this.#bytes > this.#options.maxBytes) this.#shift();
    this.prune(frame.receivedUs);
  }

  /** Lets go of frames older than maxAgeUs at `nowUs`. */
  prune(nowUs: number): void {
    while (this.#count > 0 && nowUs - this.#at(0).receivedUs > this.#options.maxAgeUs) this.#shift();
  }

  /** The oldest frame, if any. */
  oldest(): ReceivedFrame | undefined {
    return this.#count > 0 ? this.#at(0) : undefined;
  }

  /** Lets the oldest frame go (the budget across cameras); returns its bytes. */
  dropOldest(): number {
    if (this.#count === 0) return 0;
    const bytes = this.#at(0).data.length;
    this.#shift();
    return bytes;
  }

  /** The newest frame, if any. */
  latest(): ReceivedFrame | undefined {
    return this.#count > 0 ? this.#at(this.#count - 1) : undefined;
  }

  /** The frame with receiver sequence number `seq`, if still kept. */
  bySeq(seq: number): ReceivedFrame | undefined {
    const frame = this.#lastAtOrBelow(seq, (f) => f.seq);
    return frame?.seq === seq ? frame : undefined;
  }

  /** The last frame received at or before `timeUs` (µs since the epoch), if still kept. */
  atOrBefore(timeUs: number): ReceivedFrame | undefined {
    return this.#lastAtOrBelow(timeUs, (f) => f.receivedUs);
  }

  /** The newest kept frame whose `key` is at most `value` (keys grow from oldest to newest). */
  #lastAtOrBelow(value: number, key: (frame: ReceivedFrame) => number): ReceivedFrame | undefined {
    let low = 0;
    let high = this.#count - 1;
    let found: ReceivedFrame | undefined;
    while (low <= high) {
      const middle = (low + high) >> 1;
      const frame = this.#at(middle);
      if (key(frame) <= value) {
        found = frame;
        low = middle + 1;
      } else {
        high = middle - 1;
      }
    }
    return found;
  }

  /** Every kept frame, oldest first. */
  *frames(): IterableIterator<ReceivedFrame> {
    for (let i = 0; i < this.#count; i++) yield this.#at(i);
  }

  #at(index: number): ReceivedFrame {
    return this.#slots[(this.#start + index) % this.#slots.length]!;
  }

  #shift(): void {
    const frame = this.#slots[this.#start]!;
    this.#slots[this.#start] = undefined;
    this.#start = (this.#start + 1) % this.#slots.length;
    this.#count--;
    this.#bytes -= frame.data.length;
  }
}
