import type { AssembledFrame, FrameMeta } from '@udpcam/protocol';

/** A frame as the receiver hands it to its sinks. */
export interface ReceivedFrame extends AssembledFrame {
  /** Camera id (see camera.ts). */
  camera: string;
  /** The receiver's frame counter for this camera, from 1. */
  seq: number;
  /** Wall-clock time the frame completed, in µs since the epoch. */
  receivedUs: number;
  /** The sender's metadata, when the frame carries udpcam's COM segment. */
  meta: FrameMeta | undefined;
}

/** Where frames go: the disk, HTTP clients. `write` must not block and must not throw. */
export interface FrameSink {
  write(frame: ReceivedFrame): void;
  /** Finishes pending work (flushes writes) and lets go of resources. */
  close(): Promise<void>;
}
