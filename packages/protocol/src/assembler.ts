/**
 * FrameAssembler: datagrams in, whole frames out. Pure logic — no sockets, no timers; the caller
 * passes `now` (ms, any monotonic clock) — so it can be property-tested and benchmarked in-process.
 *
 * Each sender (keyed by the caller, e.g. "address:port") has up to 100 frame slots, one per image
 * id. A slot is a small state machine (docs/protocol.md#reassembly):
 *
 *   IDLE ──first chunk──▶ COLLECTING ──all chunks──▶ COMPLETE (tombstone: absorbs late duplicates)
 *                          │  expired / superseded / evicted / memory / invalid
 *                          ├──────────▶ IDLE
 *                          │  tooLarge
 *                          └──────────▶ REJECTED (absorbs the rest of that frame until an S or a timeout)
 *
 * A frame is emitted only when every chunk from S to E arrived (or, for the Python sender's
 * one-chunk frames, a lone S that is a whole JPEG) and the bytes pass a cheap JPEG check. A chunk
 * that does not fit the frame in a slot — a second S, a chunk id seen before with other bytes, a
 * chunk past the E — starts a new frame instead of joining the old one.
 *
 * Each sender's framing is learnt from its first whole frame (docs/protocol.md#reassembly): udpcam's
 * near-equal chunks, or the Python sender's (a lone S, or a last chunk shorter than the others).
 * The Python sender reuses image ids at random but sends one frame after another, chunks in order,
 * so for it a frame ends by sequence, never by a clock: a datagram that is not the next chunk of
 * the frame in progress (another image id, an S, a chunk id not above the last one) starts a new
 * frame. Time only bounds memory (`legacySilenceMs`, seconds), so a pause mid-frame costs nothing.
 */

import { UdpcamError } from './errors.js';
import { FecSlot } from './fec/fec-slot.js';
import { readParity } from './fec/parity.js';
import {
  encodeHeader,
  MALFORMED_REASONS,
  MAX_CHUNKS,
  type MalformedReason,
  PAYLOAD_OFFSET,
  parseHeader,
  TYPE_CONTINUE,
  TYPE_END,
  TYPE_PARITY,
  TYPE_START,
} from './header.js';
import { isWellFormedJpeg } from './jpeg.js';
import { type FrameMeta, readCheckedFrameMeta } from './meta.js';

/** Limits and clocks of a FrameAssembler; every one has a default (DEFAULT_ASSEMBLER_OPTIONS). */
export interface AssemblerOptions {
  /** Largest frame accepted, in bytes; a bigger one is dropped as `tooLarge`. */
  maxFrameBytes: number;
  /** Partial frames kept per sender; the oldest is dropped as `evicted` past this. */
  maxFramesInFlight: number;
  /** Senders tracked at once; datagrams from further senders are refused (counted). */
  maxSenders: number;
  /** Bytes held in partial frames across all senders; the oldest is dropped as `memory` past this. */
  maxBufferedBytes: number;
  /** A partial frame older than this (ms since its first chunk) is dropped as `expired`. */
  frameTimeoutMs: number;
  /**
   * For senders whose frames end by sequence (the Python sender, or one not known yet): a partial
   * frame silent this long (ms) is dropped as `expired`. Only a memory bound, not a frame boundary.
   */
  legacySilenceMs: number;
  /** A sender silent this long (ms) may be forgotten to make room for a new one. */
  senderIdleMs: number;
  /** Check JPEG structure before emitting (SOI, marker segments, EOI). */
  checkJpeg: boolean;
  /** Senders tracked at once from one address (all its source ports together). */
  maxSendersPerAddress: number;
  /** Senders that always get a slot (named cameras): at the limit another sender makes room. */
  preferSender?: (sender: string) => boolean;
}

export const DEFAULT_ASSEMBLER_OPTIONS: Readonly<AssemblerOptions> = Object.freeze({
  maxFrameBytes: 4 * 1024 * 1024,
  maxFramesInFlight: 4,
  maxSenders: 64,
  maxBufferedBytes: 64 * 1024 * 1024,
  frameTimeoutMs: 500,
  legacySilenceMs: 2_000,
  senderIdleMs: 5_000,
  checkJpeg: true,
  maxSendersPerAddress: 16,
});

/** How a sender frames its images, learnt from its whole frames (docs/protocol.md#reassembly). */
export type SenderFraming = 'unknown' | 'udpcam' | 'legacy';

/** Why a partial (or finished but unusable) frame was not emitted. */
export const DROP_REASONS = ['expired', 'superseded', 'evicted', 'memory', 'tooLarge', 'invalid'] as const;
export type DropReason = (typeof DROP_REASONS)[number];

/** Counters kept per sender. */
export interface SenderStats {
  /** Every datagram seen from this sender, malformed ones included. */
  datagrams: number;
  /** Bytes of those datagrams (headers included). */
  bytes: number;
  /** Well-formed chunks accepted into a frame. */
  chunks: number;
  /** Chunks that repeated one already held (or already emitted). */
  duplicateChunks: number;
  /** Datagrams that failed the header check, in all. */
  malformed: number;
  malformedByReason: Record<MalformedReason, number>;
  framesComplete: number;
  /** Bytes of the frames emitted. */
  frameBytes: number;
  framesDropped: number;
  droppedByReason: Record<DropReason, number>;
  /** Frames emitted only thanks to parity (docs/protocol.md#parity). */
  framesRecovered: number;
  /**
   * Data chunks that never arrived: those parity rebuilt, and those missing from frames dropped
   * with a known chunk count (an E or a parity datagram seen).
   */
  datagramsLost: number;
  /** Parity ('P') datagrams with a usable sub-header, needed or not. */
  parityReceived: number;
  /** Parity datagrams whose sub-header is unusable (not counted in `malformed`). */
  parityInvalid: number;
  /** False once its image ids cycled 00..99 for CYCLING_STREAK frames (udpcam's sender). */
  reusesImageIds: boolean;
  /**
   * Learnt from whole frames: 'legacy' (a lone S, or a last chunk more than a byte short) ends
   * frames by sequence; 'udpcam' (near-equal chunks); 'unknown' before the first.
   */
  framing: SenderFraming;
}

/** Counters not tied to one sender. */
export interface AssemblerStats {
  /** Datagrams refused because `maxSenders` senders were active. */
  refusedDatagrams: number;
  /** Idle senders forgotten to make room for new ones. */
  sendersForgotten: number;
}

/** A frame, exactly as sent: one allocation, the chunks' payloads in chunk-id order. */
export interface AssembledFrame {
  sender: string;
  imageId: number;
  data: Buffer;
  /** Number of chunks (datagrams) it came in. */
  chunks: number;
  /** `now` of its first and of its completing chunk (ms). */
  firstChunkAt: number;
  completedAt: number;
  /** udpcam's metadata inside the JPEG (read once, with the CRC check), when it carries any. */
  meta?: FrameMeta;
}

enum SlotState {
  Idle = 0,
  Collecting = 1,
  Complete = 2,
  Rejected = 3,
}

/**
 * A new frame whose id is 1..FORWARD_WINDOW past the previous frame's counts as cycling (a few
 * whole frames may be lost); CYCLING_STREAK such frames in a row mark a sender as cycling again
 * after it was seen to jump. Random ids (10..99) pass 8 times in a row with odds (1/9)^8.
 */
const FORWARD_WINDOW = 10;
const CYCLING_STREAK = 8;
/**
 * For a sender that cycles ids, ids only move forward (like TCP sequence numbers): a slot more
 * than half the cycle behind the newest id belongs to a frame 50+ frames old. It is dropped then,
 * so its id can never come round again onto a stale partial frame, whatever the frame rate.
 */
const HALF_CYCLE = 50;
/**
 * Whole frames in a row in another framing after which a sender known as udpcam's is taken to be
 * the Python sender; a single one is a stitched frame and is dropped (see #complete).
 */
const UNEVEN_FRAMES_TO_RELEARN = 2;
/** What detach copies held datagrams into (see there), and how many unused ones are kept. */
const BLOCK_BYTES = 64 * 1024;
const MAX_FREE_BLOCKS = 64;

class FrameSlot {
  state = SlotState.Idle;
  /** Whole datagrams, indexed by chunk id; the payload starts at PAYLOAD_OFFSET. */
  readonly chunks: (Uint8Array | undefined)[] = new Array(MAX_CHUNKS);
  /** For a COMPLETE slot: byte offset of each chunk in `frame` (entry n = frame length). */
  readonly offsets = new Uint32Array(MAX_CHUNKS + 1);
  received = 0;
  payloadBytes = 0;
  heldBytes = 0;
  endChunkId = -1;
  maxChunkId = -1;
  /** Chunk id of the last chunk taken (or, REJECTED, absorbed): a legacy frame's ids only rise. */
  lastChunkId = -1;
  /** Payload bytes of the shortest and longest S/C chunk held, and of the E (-1: none yet). */
  shortestBody = Number.MAX_SAFE_INTEGER;
  longestBody = 0;
  endPayload = -1;
  firstAt = 0;
  lastAt = 0;
  /** For a COMPLETE slot: the emitted frame, to recognise late duplicates. */
  frame: Buffer | undefined = undefined;
  completedAt = 0;
  /** Parity held for the frame collecting here, once a 'P' for it arrived. */
  fec: FecSlot | undefined = undefined;
  /** Chunk count of the last frame emitted here (kept after its tombstone, for late parity). */
  emittedChunks = 0;
  /** Blocks its datagrams were copied into by detach, and the bytes used in the last one. */
  readonly blocks: Buffer[] = [];
  blockUsed = 0;

  constructor(
    readonly sender: SenderState,
    readonly imageId: number,
  ) {}
}

/** A counter per name, all 0. */
function zeroes<K extends string>(names: readonly K[]): Record<K, number> {
  return Object.fromEntries(names.map((name) => [name, 0])) as Record<K, number>;
}

function emptyStats(): SenderStats {
  return {
    datagrams: 0,
    bytes: 0,
    chunks: 0,
    duplicateChunks: 0,
    malformed: 0,
    malformedByReason: zeroes(MALFORMED_REASONS.slice(1) as MalformedReason[]),
    framesComplete: 0,
    frameBytes: 0,
    framesDropped: 0,
    droppedByReason: zeroes(DROP_REASONS),
    framesRecovered: 0,
    datagramsLost: 0,
    parityReceived: 0,
    parityInvalid: 0,
    reusesImageIds: true,
    framing: 'unknown',
  };
}

class SenderState {
  readonly slots: (FrameSlot | undefined)[] = new Array(100);
  readonly stats = emptyStats();
  collecting = 0;
  lastSeenAt = 0;
  /** `now` of the last frame completed; -Infinity: none yet. */
  lastFrameAt = Number.NEGATIVE_INFINITY;
  lastStartedId = -1;
  /** The most advanced image id started, for the sliding window of cycling senders. */
  newestId = -1;
  cyclingStreak = 0;
  /** The slot that took this sender's last chunk, and that chunk: where a legacy sender is. */
  current: FrameSlot | undefined = undefined;
  previous: Uint8Array | undefined = undefined;
  /** Whole frames in a row, from a sender known as udpcam's, not in udpcam's chunk sizes. */
  unevenFrames = 0;

  constructor(readonly key: string) {}
}

/** The address part of a sender key: "10.0.0.5:5000" → "10.0.0.5", "[::1]:5000" → "[::1]". */
function addressOf(key: string): string {
  const colon = key.lastIndexOf(':');
  return colon < 0 ? key : key.slice(0, colon);
}

/**
 * Whether this chunk and those held show the Python sender's framing: an E more than a byte
 * shorter than an S/C (udpcam's differ by a byte at most). Learnt before the chunk joins, so its S
 * can start the next frame. Asked only for a sender not known yet: a forged datagram cannot turn
 * one known as udpcam's to the stricter legacy rule.
 */
function isLegacyShape(slot: FrameSlot, type: number, datagram: Uint8Array): boolean {
  const payloadBytes = datagram.length - PAYLOAD_OFFSET;
  if (type === TYPE_END) return payloadBytes + 1 < slot.longestBody;
  return slot.endPayload >= 0 && slot.endPayload + 1 < payloadBytes;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && Buffer.compare(a, b) === 0;
}

/** Throws UDPCAM_ERR_INVALID_OPTION for a limit that is not a positive number. */
function checkOptions(options: AssemblerOptions): void {
  for (const [name, value] of Object.entries(options)) {
    if (name === 'checkJpeg' || name === 'preferSender') continue;
    if (typeof value !== 'number' || !(value > 0) || !Number.isFinite(value)) {
      throw new UdpcamError(
        'UDPCAM_ERR_INVALID_OPTION',
        `assembler option ${name} must be a positive number, got ${value}`,
      );
    }
  }
  for (const name of ['maxFramesInFlight', 'maxSenders', 'maxSendersPerAddress'] as const) {
    if (!Number.isInteger(options[name])) {
      throw new UdpcamError('UDPCAM_ERR_INVALID_OPTION', `assembler option ${name} must be a whole number`);
    }
  }
}

export class FrameAssembler {
  readonly options: Readonly<AssemblerOptions>;
  readonly stats: AssemblerStats = { refusedDatagrams: 0, sendersForgotten: 0 };
  readonly #senders = new Map<string, SenderState>();
  /** Every COLLECTING slot, oldest first (a Set keeps insertion order): the memory budget's queue. */
  readonly #collecting = new Set<FrameSlot>();
  #bufferedBytes = 0;
  /** COMPLETE slots that keep their frame's bytes to compare late duplicates with. */
  #framesHeld = 0;
  #lastSender: SenderState | undefined;
  /** Blocks no partial frame uses, for detach to reuse. */
  readonly #freeBlocks: Buffer[] = [];

  constructor(options: Partial<AssemblerOptions> = {}) {
    const full = { ...DEFAULT_ASSEMBLER_OPTIONS, ...options };
    checkOptions(full);
    this.options = Object.freeze(full);
  }

  /** Bytes currently held in partial frames (never above `maxBufferedBytes` after a push). */
  get bufferedBytes(): number {
    return this.#bufferedBytes;
  }

  /** Partial frames currently held, across all senders. */
  get framesInFlight(): number {
    return this.#collecting.size;
  }

  /**
   * Whether expire() has anything to reclaim: partial frames, or finished frames whose bytes are
   * kept to recognise late duplicates. When false, a caller can stop its expiry timer (a wake-up
   * costs more than the work on a small VM) and start it again after the next push.
   */
  get needsExpiry(): boolean {
    return this.#collecting.size > 0 || this.#framesHeld > 0;
  }

  /** Number of senders tracked. */
  get senderCount(): number {
    return this.#senders.size;
  }

  /** Stats of one sender, or undefined if it is not tracked. */
  senderStats(sender: string): Readonly<SenderStats> | undefined {
    return this.#senders.get(sender)?.stats;
  }

  /**
   * Whether parity for `imageId` from `sender` would only be absorbed at `now`: the sender has sent
   * parity before and that id's frame completed within frameTimeoutMs (as #pushParity absorbs it).
   * Lets a receiver with a key drop such parity without opening it (docs/protocol.md#replay).
   */
  isLateParity(sender: string, imageId: number, now: number): boolean {
    const state = this.#lastSender?.key === sender ? this.#lastSender : this.#senders.get(sender);
    const slot = state?.slots[imageId];
    return (
      slot !== undefined &&
      slot.state === SlotState.Complete &&
      state!.stats.parityReceived > 0 &&
      now - slot.completedAt <= this.options.frameTimeoutMs
    );
  }

  /** Every tracked sender with its stats. */
  *senders(): IterableIterator<[string, Readonly<SenderStats>]> {
    for (const [key, state] of this.#senders) yield [key, state.stats];
  }

  /**
   * Takes one datagram from `sender` received at `now` (ms); returns the frame it completes. Never
   * throws on any input; the datagram is kept by reference until its frame is done.
   */
  push(datagram: Uint8Array, sender: string, now: number): AssembledFrame | undefined {
    let state = this.#lastSender;
    if (state === undefined || state.key !== sender) {
      state = this.#senders.get(sender) ?? this.#admit(sender, now);
      if (state === undefined) {
        this.stats.refusedDatagrams++;
        return undefined;
      }
      this.#lastSender = state;
    }
    state.lastSeenAt = now;
    const stats = state.stats;
    stats.datagrams++;
    stats.bytes += datagram.length;

    const packed = parseHeader(datagram);
    if (packed < 0) {
      stats.malformed++;
      stats.malformedByReason[MALFORMED_REASONS[-packed] as MalformedReason]++;
      return undefined;
    }
    const type = packed >>> 16;
    const imageId = (packed >>> 8) & 0xff;
    const chunkId = packed & 0xff;

    let slot = state.slots[imageId];
    if (slot === undefined) {
      slot = new FrameSlot(state, imageId);
      state.slots[imageId] = slot;
    }
    if (type === TYPE_PARITY) return this.#pushParity(slot, datagram, chunkId, now);
    if (
      stats.framing === 'unknown' &&
      slot.state === SlotState.Collecting &&
      isLegacyShape(slot, type, datagram)
    ) {
      this.#learnFraming(slot, 'legacy');
    }
    if (stats.framing === 'legacy') return this.#pushInSequence(slot, datagram, type, chunkId, now);

    if (slot.state === SlotState.Collecting && this.#isStale(slot, now)) this.#drop(slot, 'expired');
    if (slot.state === SlotState.Complete) {
      if (this.#isLateDuplicate(slot, type, chunkId, datagram, now)) {
        stats.duplicateChunks++;
        return undefined;
      }
      this.#clear(slot);
    }
    if (slot.state === SlotState.Rejected) {
      if (type !== TYPE_START && !this.#isStale(slot, now)) {
        slot.lastAt = now; // the rest of a frame already dropped as too large
        return undefined;
      }
      slot.state = SlotState.Idle;
    }

    if (
      slot.state === SlotState.Collecting &&
      (!this.#fits(slot, type, chunkId, datagram.length - PAYLOAD_OFFSET) ||
        slot.fec?.admitsChunk(type, chunkId, datagram.length - PAYLOAD_OFFSET) === false)
    ) {
      const existing = slot.chunks[chunkId];
      if (existing !== undefined && sameBytes(existing, datagram)) {
        stats.duplicateChunks++;
        slot.lastAt = now; // the frame is still arriving
        return undefined;
      }
      // The chunk belongs to another frame that reuses this image id.
      this.#drop(slot, 'superseded');
    }
    if (slot.state === SlotState.Idle) this.#start(slot, now);
    return this.#take(slot, datagram, type, chunkId, now);
  }

  /**
   * A datagram from a sender in the Python sender's framing (see the file comment): it continues
   * the frame in progress only as its next chunk (same id, not an S, a higher chunk id that fits);
   * a repeat of the datagram before it is a duplicate; anything else starts the next frame.
   */
  #pushInSequence(
    slot: FrameSlot,
    datagram: Uint8Array,
    type: number,
    chunkId: number,
    now: number,
  ): AssembledFrame | undefined {
    const sender = slot.sender;
    const previous = sender.previous;
    const current = sender.current;
    if (previous !== undefined && sameBytes(previous, datagram)) {
      sender.stats.duplicateChunks++;
      if (current !== undefined) current.lastAt = now; // the frame is still arriving
      return undefined;
    }
    if (current !== undefined && current.state === SlotState.Collecting && this.#isStale(current, now)) {
      this.#drop(current, 'expired');
    }
    if (slot === current) {
      const next = type !== TYPE_START && chunkId > slot.lastChunkId;
      if (
        slot.state === SlotState.Collecting &&
        next &&
        this.#fits(slot, type, chunkId, datagram.length - PAYLOAD_OFFSET)
      ) {
        return this.#take(slot, datagram, type, chunkId, now);
      }
      if (slot.state === SlotState.Rejected && next) {
        slot.lastAt = now; // the rest of a frame already dropped as too large
        slot.lastChunkId = chunkId;
        sender.previous = datagram;
        return undefined;
      }
      if (
        slot.state === SlotState.Complete &&
        slot.emittedChunks === 1 &&
        type === TYPE_END &&
        chunkId === 1 &&
        datagram.length === PAYLOAD_OFFSET
      ) {
        // The empty E that follows an S holding the whole JPEG (the original's size overestimate).
        sender.stats.duplicateChunks++;
        sender.previous = datagram;
        return undefined;
      }
    }
    // The sender has moved on: this datagram starts the next frame, and ends the one in progress.
    if (current !== undefined && current.state === SlotState.Collecting) this.#drop(current, 'superseded');
    if (slot.state === SlotState.Collecting)
      this.#drop(slot, this.#isStale(slot, now) ? 'expired' : 'superseded');
    else this.#clear(slot);
    this.#start(slot, now);
    return this.#take(slot, datagram, type, chunkId, now);
  }

  /** Puts a chunk into the COLLECTING `slot`; returns the frame if that completes it. */
  #take(
    slot: FrameSlot,
    datagram: Uint8Array,
    type: number,
    chunkId: number,
    now: number,
  ): AssembledFrame | undefined {
    const sender = slot.sender;
    const stats = sender.stats;
    sender.current = slot;
    sender.previous = datagram;
    slot.lastChunkId = chunkId;
    const payloadBytes = datagram.length - PAYLOAD_OFFSET;
    if (slot.payloadBytes + payloadBytes > this.options.maxFrameBytes) return this.#reject(slot, now);
    if (datagram.length > this.options.maxBufferedBytes) {
      // Holding it would push out every other partial frame only to drop it next.
      this.#drop(slot, 'memory');
      return undefined;
    }
    this.#hold(slot, chunkId, datagram);
    slot.lastAt = now;
    if (chunkId > slot.maxChunkId) slot.maxChunkId = chunkId;
    if (type === TYPE_END) {
      slot.endChunkId = chunkId;
      slot.endPayload = payloadBytes;
    } else {
      if (payloadBytes < slot.shortestBody) slot.shortestBody = payloadBytes;
      if (payloadBytes > slot.longestBody) slot.longestBody = payloadBytes;
    }
    stats.chunks++;
    if (this.#bufferedBytes > this.options.maxBufferedBytes && this.#shedMemory(slot)) return undefined;

    if (slot.fec !== undefined) return this.#completeWithParity(slot, now);
    if (slot.endChunkId >= 0) {
      return slot.received === slot.endChunkId + 1 ? this.#complete(slot, now) : undefined;
    }
    // The Python sender sends a frame that fits one datagram as a lone S (no E).
    if (type === TYPE_START && isWellFormedJpeg(datagram.subarray(PAYLOAD_OFFSET))) {
      if (slot.received > 1) {
        // Chunks already here cannot belong to a one-chunk frame: set them aside as another frame.
        this.#unhold(slot, 0, datagram);
        this.#drop(slot, 'superseded');
        this.#start(slot, now);
        this.#hold(slot, 0, datagram);
      }
      slot.maxChunkId = 0;
      slot.endChunkId = 0;
      return this.#complete(slot, now);
    }
    return undefined;
  }

  /** Adds a datagram to the slot's chunks and to the byte counts. */
  #hold(slot: FrameSlot, chunkId: number, datagram: Uint8Array): void {
    slot.chunks[chunkId] = datagram;
    slot.received++;
    slot.payloadBytes += datagram.length - PAYLOAD_OFFSET;
    slot.heldBytes += datagram.length;
    this.#bufferedBytes += datagram.length;
  }

  /** Takes back what #hold added. */
  #unhold(slot: FrameSlot, chunkId: number, datagram: Uint8Array): void {
    slot.chunks[chunkId] = undefined;
    slot.received--;
    slot.payloadBytes -= datagram.length - PAYLOAD_OFFSET;
    slot.heldBytes -= datagram.length;
    this.#bufferedBytes -= datagram.length;
  }

  /**
   * Copies every datagram still held that is a view into `arena` out of it, and returns the bytes
   * copied. For a caller that receives batches of datagrams into memory it reuses (udp-native's
   * recvmmsg arena) and pushes views of it: called after each batch, before the memory is read
   * into again. Partial frames' datagrams go into 64 KiB blocks that are reused once their frame
   * is emitted or dropped, so a steady stream allocates nothing here. A block's tail that a
   * datagram does not fit stays unused, so memory stays within twice maxBufferedBytes, plus one
   * part-filled block per partial frame and MAX_FREE_BLOCKS spare ones.
   */
  detach(arena: ArrayBufferLike): number {
    // The datagram before the next one, for a legacy sender's repeats (#pushInSequence): a copy of
    // its own, never a view into a block. Other senders never compare it, and let it go.
    for (const sender of this.#senders.values()) {
      const previous = sender.previous;
      if (previous?.buffer !== arena) continue;
      sender.previous =
        sender.stats.framing === 'udpcam' ? undefined : Uint8Array.prototype.slice.call(previous);
    }
    let copied = 0;
    for (const slot of this.#collecting) {
      for (let chunkId = 0; chunkId <= slot.maxChunkId; chunkId++) {
        const datagram = slot.chunks[chunkId];
        if (datagram?.buffer !== arena) continue;
        slot.chunks[chunkId] = this.#keep(slot, datagram);
        copied += datagram.length;
      }
      const parity = slot.fec?.parity;
      if (parity === undefined) continue;
      for (let index = 0; index < parity.length; index++) {
        const datagram = parity[index];
        if (datagram?.buffer !== arena) continue;
        parity[index] = this.#keep(slot, datagram);
        copied += datagram.length;
      }
    }
    return copied;
  }

  /** A copy of `datagram` in the slot's last block (or a new one), for detach. */
  #keep(slot: FrameSlot, datagram: Uint8Array): Uint8Array {
    const length = datagram.length;
    let block = slot.blocks[slot.blocks.length - 1];
    if (block === undefined || slot.blockUsed + length > block.length) {
      // A datagram larger than a block (up to 64 KiB minus headers) gets one of its own.
      if (length > BLOCK_BYTES) return Uint8Array.prototype.slice.call(datagram);
      block = this.#freeBlocks.pop() ?? Buffer.allocUnsafeSlow(BLOCK_BYTES);
      slot.blocks.push(block);
      slot.blockUsed = 0;
    }
    const at = slot.blockUsed;
    block.set(datagram, at);
    slot.blockUsed = at + length;
    return block.subarray(at, at + length);
  }

  /**
   * Drops partial frames whose time is up and forgets late-duplicate tombstones; call it every
   * few tens of ms so memory held by abandoned frames is returned promptly.
   */
  expire(now: number): void {
    for (const state of this.#senders.values()) {
      for (const slot of state.slots) {
        if (slot === undefined) continue;
        if (slot.state === SlotState.Collecting && this.#isStale(slot, now)) this.#drop(slot, 'expired');
        else if (slot.state === SlotState.Complete && now - slot.completedAt > this.#tombstoneMs(state)) {
          this.#clear(slot);
        } else if (slot.state === SlotState.Rejected && this.#isStale(slot, now)) this.#clear(slot);
      }
    }
  }

  /** Forgets a sender and everything it had in flight (its partial frames are not counted as drops). */
  forget(sender: string): void {
    const state = this.#senders.get(sender);
    if (!state) return;
    for (const slot of state.slots) if (slot) this.#clear(slot);
    this.#senders.delete(sender);
    if (this.#lastSender === state) this.#lastSender = undefined;
  }

  /**
   * Makes room for a new sender (issue 11, finding 4). Each address holds at most
   * maxSendersPerAddress slots, and all senders at most maxSenders. At a limit, a sender gives way
   * when it is not worth its slot: first one that never completed a frame (junk, a scan, spoofed
   * ports), then one whose last frame is senderIdleMs old (it may still send datagrams), then one
   * silent that long — least recently seen first. A preferred sender (a named camera) always gets
   * a slot: any sender that is not preferred gives way to it. Preferred senders never give way.
   */
  #admit(key: string, now: number): SenderState | undefined {
    const preferred = this.options.preferSender?.(key) ?? false;
    const address = addressOf(key);
    let fromAddress = 0;
    for (const state of this.#senders.values()) if (addressOf(state.key) === address) fromAddress++;
    if (!preferred && fromAddress >= this.options.maxSendersPerAddress) {
      const victim = this.#victim(now, false, address);
      if (victim === undefined) return undefined;
      this.#evict(victim);
    }
    if (this.#senders.size >= this.options.maxSenders) {
      const victim = this.#victim(now, preferred, undefined);
      if (victim === undefined) return undefined;
      this.#evict(victim);
    }
    const state = new SenderState(key);
    this.#senders.set(key, state);
    return state;
  }

  /** The sender to give way (see #admit), among those of `address` when given. */
  #victim(now: number, forPreferred: boolean, address: string | undefined): SenderState | undefined {
    const idleMs = this.options.senderIdleMs;
    let best: SenderState | undefined;
    let bestRank = 0;
    for (const state of this.#senders.values()) {
      if (address !== undefined && addressOf(state.key) !== address) continue;
      if (this.options.preferSender?.(state.key)) continue;
      // Lower rank gives way first; 4: worth its slot (only a preferred newcomer takes it).
      const rank =
        state.stats.framesComplete === 0
          ? 1
          : now - state.lastFrameAt >= idleMs
            ? 2
            : now - state.lastSeenAt >= idleMs
              ? 3
              : 4;
      if (rank === 4 && !forPreferred) continue;
      if (
        best === undefined ||
        rank < bestRank ||
        (rank === bestRank && state.lastSeenAt < best.lastSeenAt)
      ) {
        best = state;
        bestRank = rank;
      }
    }
    return best;
  }

  #evict(state: SenderState): void {
    this.forget(state.key);
    this.stats.sendersForgotten++;
  }

  /**
   * How long a COMPLETE slot takes chunks for repeats of its frame. Unless the sender is known to
   * cycle ids, the next frame may reuse the id (and, for tiny packets, send the same header-only S).
   */
  #tombstoneMs(sender: SenderState): number {
    return sender.stats.framing === 'legacy' ? this.options.legacySilenceMs : this.options.frameTimeoutMs;
  }

  /**
   * Whether a partial frame's time is up: frameTimeoutMs after its first chunk for udpcam's sender,
   * legacySilenceMs of silence for others (their frames end by sequence; see the option).
   */
  #isStale(slot: FrameSlot, now: number): boolean {
    const sender = slot.sender;
    if (sender.stats.framing === 'udpcam' || !sender.stats.reusesImageIds) {
      return now - slot.firstAt > this.options.frameTimeoutMs;
    }
    return now - slot.lastAt > this.options.legacySilenceMs;
  }

  /**
   * Whether a chunk can join the frame collecting in `slot` without contradicting it: by its id,
   * and by its size — in both framings a frame's E is no longer than any of its S/C chunks, so an
   * E of another frame often shows by its size (and so does an S after a longer E).
   */
  #fits(slot: FrameSlot, type: number, chunkId: number, payloadBytes: number): boolean {
    if (slot.chunks[chunkId] !== undefined) return false;
    if (type === TYPE_END) {
      return payloadBytes <= slot.shortestBody && slot.endChunkId < 0 && slot.maxChunkId < chunkId;
    }
    return payloadBytes >= slot.endPayload && (slot.endChunkId < 0 || chunkId <= slot.endChunkId);
  }

  /** A chunk for a slot whose frame was already emitted: is it a repeat of that frame? */
  #isLateDuplicate(
    slot: FrameSlot,
    type: number,
    chunkId: number,
    datagram: Uint8Array,
    now: number,
  ): boolean {
    if (now - slot.completedAt > this.#tombstoneMs(slot.sender)) return false;
    const frame = slot.frame;
    const payload = datagram.subarray(PAYLOAD_OFFSET);
    const count = slot.emittedChunks;
    if (chunkId < count) {
      const isLast = chunkId === count - 1;
      const expectedType = chunkId === 0 ? TYPE_START : isLast ? TYPE_END : TYPE_CONTINUE;
      if (type !== expectedType) return false;
      if (frame === undefined) return !slot.sender.stats.reusesImageIds;
      const start = slot.offsets[chunkId]!;
      const end = slot.offsets[chunkId + 1]!;
      return end - start === payload.length && Buffer.compare(frame.subarray(start, end), payload) === 0;
    }
    // The Python sender may follow a whole-JPEG S with an empty E (its size overestimate).
    return type === TYPE_END && chunkId === count && payload.length === 0 && count === 1;
  }

  #start(slot: FrameSlot, now: number): void {
    const sender = slot.sender;
    if (sender.collecting >= this.options.maxFramesInFlight) {
      for (const other of sender.slots) {
        if (other?.state === SlotState.Collecting && this.#isStale(other, now)) this.#drop(other, 'expired');
      }
      while (sender.collecting >= this.options.maxFramesInFlight) {
        let oldest: FrameSlot | undefined;
        for (const other of sender.slots) {
          if (
            other?.state === SlotState.Collecting &&
            (oldest === undefined || other.firstAt < oldest.firstAt)
          ) {
            oldest = other;
          }
        }
        this.#drop(oldest!, 'evicted');
      }
    }
    // Track whether this sender cycles ids 00..99 (udpcam) or picks them at random (Python).
    if (sender.lastStartedId >= 0) {
      const step = (slot.imageId - sender.lastStartedId + 100) % 100;
      if (step >= 1 && step <= FORWARD_WINDOW) {
        sender.cyclingStreak++;
        if (sender.cyclingStreak >= CYCLING_STREAK) sender.stats.reusesImageIds = false;
      } else {
        sender.cyclingStreak = 0;
        sender.stats.reusesImageIds = true;
      }
    }
    sender.lastStartedId = slot.imageId;
    const ahead = (slot.imageId - sender.newestId + 100) % 100;
    if (sender.newestId < 0 || (ahead >= 1 && ahead <= HALF_CYCLE)) {
      sender.newestId = slot.imageId;
      // udpcam's framing means udpcam's sender, whose ids only ever count up: its window slides
      // even while lost runs of frames keep its streak short (an overloaded socket).
      if (!sender.stats.reusesImageIds || sender.stats.framing === 'udpcam') this.#slideWindow(sender);
    }
    slot.state = SlotState.Collecting;
    slot.lastChunkId = -1;
    slot.firstAt = now;
    slot.lastAt = now;
    sender.collecting++;
    this.#collecting.add(slot);
  }

  /**
   * Records how a sender frames its images. Turning legacy, its other partial frames are over: it
   * never interleaves frames, so nothing more can come for them.
   */
  #learnFraming(slot: FrameSlot, framing: SenderFraming): void {
    const sender = slot.sender;
    sender.stats.framing = framing;
    if (framing !== 'legacy') return;
    for (const other of sender.slots) {
      if (other !== undefined && other !== slot && other.state === SlotState.Collecting) {
        this.#drop(other, 'superseded');
      }
    }
  }

  /** Drops what a cycling sender left more than HALF_CYCLE ids behind its newest frame. */
  #slideWindow(sender: SenderState): void {
    for (const other of sender.slots) {
      if (other === undefined || other.state === SlotState.Idle) continue;
      if ((sender.newestId - other.imageId + 100) % 100 <= HALF_CYCLE) continue;
      if (other.state === SlotState.Collecting) this.#drop(other, 'expired');
      else this.#clear(other);
    }
  }

  #complete(slot: FrameSlot, now: number): AssembledFrame | undefined {
    const count = slot.endChunkId + 1;
    const data = Buffer.allocUnsafe(slot.payloadBytes);
    let offset = 0;
    // udpcam's chunker makes the first L mod n chunks one byte longer: sizes never grow.
    let grows = false;
    let previous = Number.MAX_SAFE_INTEGER;
    for (let chunkId = 0; chunkId < count; chunkId++) {
      const length = slot.chunks[chunkId]!.length - PAYLOAD_OFFSET;
      slot.offsets[chunkId] = offset;
      offset += length;
      if (length > previous) grows = true;
      previous = length;
    }
    slot.offsets[count] = offset;
    // Whole datagrams are copied, last first, each with its header landing on the 5 bytes before
    // its payload: the chunk before it, copied next, overwrites them. No payload view is made per
    // chunk (one object less per datagram); only a chunk within the frame's first 5 bytes (the S)
    // takes a view.
    for (let chunkId = count - 1; chunkId >= 0; chunkId--) {
      const datagram = slot.chunks[chunkId]!;
      const at = slot.offsets[chunkId]! - PAYLOAD_OFFSET;
      if (at >= 0) data.set(datagram, at);
      else data.set(datagram.subarray(PAYLOAD_OFFSET), at + PAYLOAD_OFFSET);
    }
    // A frame stitched from two frames with one image id (a loss run hid the id's cycle) has every
    // chunk and a valid shape; only the sender's CRC in the metadata tells it apart.
    const meta = readCheckedFrameMeta(data);
    if ((this.options.checkJpeg && !isWellFormedJpeg(data)) || meta === false) {
      this.#drop(slot, 'invalid');
      return undefined;
    }
    const sender = slot.sender;
    const stats = sender.stats;
    // Sizes that never grow: the first chunk is the longest, the last (`previous`) the shortest.
    const udpcamShape = count > 1 && !grows && slot.offsets[1]! - previous <= 1;
    if (stats.framing === 'udpcam' && count > 1 && !udpcamShape) {
      // udpcam's sender never sends this shape: it is the head of one frame and the tail of
      // another that reused its image id (a run of 50+ lost frames at a high frame rate hides
      // the id's cycle). Dropped; only a second such frame in a row means another program now
      // sends from this port in the Python sender's framing.
      if (++sender.unevenFrames < UNEVEN_FRAMES_TO_RELEARN) {
        this.#drop(slot, 'invalid');
        return undefined;
      }
    } else sender.unevenFrames = 0;
    stats.framesComplete++;
    sender.lastFrameAt = now;
    stats.frameBytes += data.length;
    // udpcam's chunks differ by one byte at most; the Python sender's last one is 113+ bytes short.
    const framing = udpcamShape ? 'udpcam' : 'legacy';
    if (framing !== stats.framing) this.#learnFraming(slot, framing);
    const firstChunkAt = slot.firstAt;
    this.#release(slot);
    slot.state = SlotState.Complete;
    // A cycling sender sends nothing else under this id within the window, so a late chunk is a
    // duplicate by its id alone; a legacy sender's repeats are told by the datagram before them.
    // Only other senders that reuse ids need the bytes to compare.
    slot.frame = stats.reusesImageIds && stats.framing !== 'legacy' ? data : undefined;
    if (slot.frame !== undefined) this.#framesHeld++;
    slot.emittedChunks = count;
    slot.completedAt = now;
    return {
      sender: sender.key,
      imageId: slot.imageId,
      data,
      chunks: count,
      firstChunkAt,
      completedAt: now,
      meta,
    };
  }

  /**
   * A parity datagram (docs/protocol.md#parity) for the frame in `slot`, parity index `index`. It
   * joins the frame if its shape (k, m, L) agrees with what the slot holds; otherwise, like any
   * contradicting chunk, it starts a new frame. Parity of a frame already emitted is absorbed.
   */
  #pushParity(slot: FrameSlot, datagram: Uint8Array, index: number, now: number): AssembledFrame | undefined {
    const stats = slot.sender.stats;
    const info = readParity(datagram, index);
    if (info === undefined) {
      stats.parityInvalid++;
      return undefined;
    }
    stats.parityReceived++;
    if (slot.state === SlotState.Collecting && this.#isStale(slot, now)) this.#drop(slot, 'expired');
    // Parity of the frame last emitted here (sent after its data, or late after a receiver stall
    // outlived a short tombstone) is absorbed for frameTimeoutMs: only udpcam's sender sends
    // parity, and it reuses an id only 100 frames later.
    if (
      slot.state !== SlotState.Collecting &&
      slot.emittedChunks === info.dataChunks &&
      slot.offsets[info.dataChunks] === info.frameBytes &&
      now - slot.completedAt <= this.options.frameTimeoutMs
    ) {
      return undefined;
    }
    if (slot.state === SlotState.Complete) this.#clear(slot);
    if (slot.state === SlotState.Rejected) {
      if (!this.#isStale(slot, now)) {
        slot.lastAt = now;
        return undefined;
      }
      slot.state = SlotState.Idle;
    }
    if (slot.state === SlotState.Collecting) {
      const fec = slot.fec;
      const held = fec?.parity[index];
      if (held !== undefined && fec!.sameFrame(info) && sameBytes(held, datagram)) {
        stats.duplicateChunks++;
        return undefined;
      }
      const fits =
        fec !== undefined
          ? fec.sameFrame(info) && held === undefined
          : new FecSlot(info).admitsHeld(slot.chunks, slot.maxChunkId);
      if (!fits) this.#drop(slot, 'superseded');
    }
    if (slot.state === SlotState.Idle) this.#start(slot, now);
    if (info.frameBytes > this.options.maxFrameBytes) return this.#reject(slot, now);
    slot.fec ??= new FecSlot(info);
    slot.fec.add(index, datagram);
    slot.heldBytes += datagram.length;
    slot.lastAt = now;
    this.#bufferedBytes += datagram.length;
    if (this.#bufferedBytes > this.options.maxBufferedBytes && this.#shedMemory(slot)) return undefined;
    return this.#completeWithParity(slot, now);
  }

  /**
   * For a slot holding parity: emits the frame once all k data chunks are in, or rebuilds the
   * missing ones as soon as any k of the k + m datagrams are (no waiting for a timeout).
   */
  #completeWithParity(slot: FrameSlot, now: number): AssembledFrame | undefined {
    const fec = slot.fec!;
    const k = fec.shape.dataChunks;
    if (slot.received === k) return this.#complete(slot, now);
    if (!fec.canRebuild(slot.received)) return undefined;
    const stats = slot.sender.stats;
    const rebuilt = fec.rebuild(slot.chunks);
    if (rebuilt === undefined) {
      this.#drop(slot, 'invalid');
      return undefined;
    }
    // Rebuilt chunks become datagrams like the others; they are not in heldBytes (released next).
    for (const [chunkId, payload] of rebuilt) {
      const datagram = Buffer.allocUnsafe(PAYLOAD_OFFSET + payload.length);
      encodeHeader(chunkId === 0 ? 'S' : chunkId === k - 1 ? 'E' : 'C', slot.imageId, chunkId).copy(datagram);
      datagram.set(payload, PAYLOAD_OFFSET);
      slot.chunks[chunkId] = datagram;
      slot.received++;
      slot.payloadBytes += payload.length;
    }
    stats.datagramsLost += rebuilt.size;
    slot.maxChunkId = k - 1;
    slot.endChunkId = k - 1;
    const frame = this.#complete(slot, now);
    if (frame !== undefined) stats.framesRecovered++;
    return frame;
  }

  /** Drops a frame too large, and absorbs the rest of it (REJECTED). */
  #reject(slot: FrameSlot, now: number): undefined {
    this.#drop(slot, 'tooLarge');
    slot.state = SlotState.Rejected;
    slot.lastAt = now;
    return undefined;
  }

  /** Drops the frame collecting in `slot`, counting why. */
  #drop(slot: FrameSlot, reason: DropReason): void {
    const stats = slot.sender.stats;
    const chunkCount = slot.fec?.shape.dataChunks ?? slot.endChunkId + 1;
    if (chunkCount > slot.received) stats.datagramsLost += chunkCount - slot.received;
    stats.framesDropped++;
    stats.droppedByReason[reason]++;
    this.#clear(slot);
  }

  /** Returns a slot to IDLE, letting go of every datagram and frame it holds. */
  #clear(slot: FrameSlot): void {
    if (slot.state === SlotState.Collecting) this.#release(slot);
    slot.state = SlotState.Idle;
    if (slot.frame !== undefined) this.#framesHeld--;
    slot.frame = undefined;
  }

  /** Lets go of a COLLECTING slot's datagrams and its place in the budgets. */
  #release(slot: FrameSlot): void {
    if (slot.received > 0) {
      for (let chunkId = 0; chunkId <= slot.maxChunkId; chunkId++) slot.chunks[chunkId] = undefined;
    }
    this.#bufferedBytes -= slot.heldBytes;
    slot.received = 0;
    slot.payloadBytes = 0;
    slot.heldBytes = 0;
    slot.endChunkId = -1;
    slot.maxChunkId = -1;
    slot.shortestBody = Number.MAX_SAFE_INTEGER;
    slot.longestBody = 0;
    slot.endPayload = -1;
    slot.fec = undefined;
    // Nothing refers to the blocks now: the frame was copied out, every chunk let go.
    for (const block of slot.blocks)
      if (this.#freeBlocks.length < MAX_FREE_BLOCKS) this.#freeBlocks.push(block);
    slot.blocks.length = 0;
    slot.blockUsed = 0;
    slot.sender.collecting--;
    this.#collecting.delete(slot);
  }

  /** Over the byte budget: drop the oldest partial frames. True if `current` itself was dropped. */
  #shedMemory(current: FrameSlot): boolean {
    while (this.#bufferedBytes > this.options.maxBufferedBytes) {
      const oldest = this.#collecting.values().next().value as FrameSlot;
      this.#drop(oldest, 'memory');
      if (oldest === current) return true;
    }
    return false;
  }
}
