/**
 * Frame totals across senders that only ever grow (issue 11, finding 17). Summing the
 * assembler's per-sender counters goes down when a sender is forgotten, and a rate taken from two
 * such sums goes negative; here each sample adds every sender's increase since the last one.
 */
import type { FrameAssembler } from '@udpcam/protocol';

/** Running totals of frames and frame bytes, advanced by `sample`. */
export class FrameTotals {
  #last = new Map<string, { frames: number; frameBytes: number }>();
  /** Frames completed since this object was made. */
  frames = 0;
  /** Bytes of those frames. */
  frameBytes = 0;

  /** Adds each sender's increase since the previous call; returns this. */
  sample(assembler: FrameAssembler): this {
    const seen = new Map<string, { frames: number; frameBytes: number }>();
    for (const [sender, stats] of assembler.senders()) {
      const before = this.#last.get(sender);
      // A sender forgotten and heard again starts from zero.
      const base =
        before !== undefined && before.frames <= stats.framesComplete ? before : { frames: 0, frameBytes: 0 };
      this.frames += stats.framesComplete - base.frames;
      this.frameBytes += stats.frameBytes - base.frameBytes;
      seen.set(sender, { frames: stats.framesComplete, frameBytes: stats.frameBytes });
    }
    this.#last = seen;
    return this;
  }
}
