/**
 * Splits a byte stream of concatenated JPEGs (ffmpeg `-f image2pipe -c:v mjpeg` or `-f mjpeg`
 * output, a camera's MJPEG bytes) into whole JPEGs. Pure and incremental: no I/O, no timers, and
 * any chunk boundary works, including one that splits a marker or a length field.
 *
 * A frame is found by structure, not by searching for FFD9 (ITU-T T.81 annex B):
 *
 *   FFD8 (SOI)
 *   FF xx LEN_HI LEN_LO <LEN-2 bytes>   marker segments (APPn, DQT, SOF, DHT, ...): skipped by
 *   ...                                 length, so an FFD9 inside an APP/COM payload is not EOI
 *   FFDA LEN <header>                   SOS, then entropy-coded data where FF00 is a stuffed FF
 *   <scan data, FF00, FFD0..FFD7>       and RSTn markers stand alone
 *   [more segments and scans]           progressive JPEGs: DHT/SOS between scans
 *   FFD9 (EOI)
 *
 * Bytes outside a frame (garbage) are skipped until the next SOI. A frame that breaks the
 * structure is dropped and the splitter resyncs on the next SOI; so is one that grows past
 * `maxFrameBytes`, which bounds the memory held (one grow-only buffer).
 */
import { EOI, SOI, SOS } from '@udpcam/protocol';

/** Default of JpegStreamOptions.maxFrameBytes: 16 MiB. */
export const DEFAULT_MAX_STREAM_FRAME_BYTES = 16 * 1024 * 1024;

/** Options of JpegStreamSplitter. */
export interface JpegStreamOptions {
  /** A frame longer than this many bytes is dropped (counted in `stats.oversize`); default 16 MiB. */
  maxFrameBytes?: number;
}

/** Counters of a JpegStreamSplitter. */
export interface JpegStreamStats {
  /** Whole frames returned by `feed`. */
  frames: number;
  /** Frames dropped for growing past `maxFrameBytes`. */
  oversize: number;
  /** Frames dropped because their marker structure broke (truncated, a new SOI before EOI, ...). */
  malformed: number;
  /** Bytes skipped outside any frame while looking for SOI. */
  garbageBytes: number;
}

/** Where the parser is; the comments say which byte it expects next. */
enum State {
  /** Outside a frame: looking for FF D8. */
  Seek,
  /** Between segments: FF. */
  Marker,
  /** After FF: the marker code (more FF are fill bytes). */
  MarkerCode,
  /** High byte of a segment length. */
  LengthHigh,
  /** Low byte of a segment length. */
  LengthLow,
  /** Inside a segment payload: `remaining` bytes to skip. */
  Payload,
  /** Entropy-coded data: anything, FF starts a marker. */
  Scan,
  /** After FF in the scan: 00 (stuffing), D0..D7 (RSTn), FF (fill), D9 (EOI) or a new segment. */
  ScanFF,
}

const INITIAL_CAPACITY = 64 * 1024;

function isRst(marker: number): boolean {
  return marker >= 0xd0 && marker <= 0xd7;
}

/** See the file comment. `feed` returns the frames each chunk completes, oldest first. */
export class JpegStreamSplitter {
  readonly maxFrameBytes: number;
  readonly stats: JpegStreamStats = { frames: 0, oversize: 0, malformed: 0, garbageBytes: 0 };
  #state = State.Seek;
  /** Seek state: the previous chunk ended with FF. */
  #pendingFF = false;
  #marker = 0;
  #lengthHigh = 0;
  #remaining = 0;
  /** Bytes of the current frame that came in earlier chunks (grow-only). */
  #buffer = Buffer.alloc(0);
  #length = 0;

  constructor(options: JpegStreamOptions = {}) {
    const max = options.maxFrameBytes ?? DEFAULT_MAX_STREAM_FRAME_BYTES;
    if (!Number.isInteger(max) || max < 16) {
      throw new RangeError(`maxFrameBytes must be an integer of at least 16, got ${max}`);
    }
    this.maxFrameBytes = max;
  }

  /** True while part of a frame is held, waiting for more bytes. */
  get inFrame(): boolean {
    return this.#state !== State.Seek;
  }

  /** Forgets any partial frame (e.g. when the producing process restarts). */
  reset(): void {
    if (this.#state !== State.Seek) this.stats.malformed++;
    this.#state = State.Seek;
    this.#pendingFF = false;
    this.#length = 0;
  }

  /** The newest whole frame the chunk completes, or undefined; older ones in the chunk are skipped. */
  feedLatest(chunk: Uint8Array): Buffer | undefined {
    const frames = this.feed(chunk);
    return frames[frames.length - 1];
  }

  /** Takes the next bytes of the stream; returns the frames they complete, each its own Buffer. */
  feed(chunk: Uint8Array): Buffer[] {
    const frames: Buffer[] = [];
    const end = chunk.length;
    /** Start in `chunk` of the current frame's bytes not yet copied to #buffer; -1 outside a frame. */
    let copyFrom = this.#state === State.Seek ? -1 : 0;
    let i = 0;
    while (i < end) {
      switch (this.#state) {
        case State.Seek: {
          if (this.#pendingFF) {
            this.#pendingFF = false;
            if (chunk[i] === SOI) {
              this.#beginFrame();
              copyFrom = ++i;
              continue;
            }
            this.stats.garbageBytes++;
          }
          const ff = chunk.indexOf(0xff, i);
          if (ff < 0 || ff + 1 >= end) {
            const stop = ff < 0 ? end : ff;
            this.stats.garbageBytes += stop - i;
            this.#pendingFF = ff >= 0;
            i = end;
            continue;
          }
          this.stats.garbageBytes += ff - i;
          if (chunk[ff + 1] === SOI) {
            this.#beginFrame();
            i = ff + 2;
            copyFrom = i;
          } else {
            this.stats.garbageBytes++;
            i = ff + 1;
          }
          continue;
        }
        case State.Marker: {
          if (chunk[i] !== 0xff) {
            // Not a marker where one must be: the frame is broken. Look for SOI from this byte.
            this.#dropMalformed();
            copyFrom = -1;
            continue;
          }
          this.#state = State.MarkerCode;
          i++;
          continue;
        }
        case State.MarkerCode:
        case State.ScanFF: {
          const code = chunk[i]!;
          const inScan = this.#state === State.ScanFF;
          if (code === 0xff) {
            i++; // fill byte
          } else if (inScan && (code === 0x00 || isRst(code))) {
            this.#state = State.Scan;
            i++;
          } else if (!inScan && (isRst(code) || code === 0x01)) {
            this.#state = State.Marker; // standalone marker in the header
            i++;
          } else if (code === EOI && inScan) {
            i++;
            const frame = this.#finishFrame(chunk, copyFrom, i);
            if (frame) frames.push(frame);
            copyFrom = -1;
          } else if (code === SOI) {
            // A new frame starts before this one ended: drop the broken one, keep the new one.
            this.stats.malformed++;
            this.#beginFrame();
            copyFrom = ++i;
          } else if (code === 0x00 || code === EOI) {
            // FF00 outside a scan, or EOI with no scan: not a JPEG.
            this.#dropMalformed();
            copyFrom = -1;
            i++;
          } else {
            this.#marker = code;
            this.#state = State.LengthHigh;
            i++;
          }
          continue;
        }
        case State.LengthHigh:
          this.#lengthHigh = chunk[i++]!;
          this.#state = State.LengthLow;
          continue;
        case State.LengthLow: {
          const length = (this.#lengthHigh << 8) | chunk[i++]!;
          if (length < 2) {
            this.#dropMalformed();
            copyFrom = -1;
            continue;
          }
          this.#remaining = length - 2;
          this.#state = State.Payload;
          if (this.#remaining === 0) this.#endSegment();
          continue;
        }
        case State.Payload: {
          const take = Math.min(this.#remaining, end - i);
          i += take;
          this.#remaining -= take;
          if (this.#remaining === 0) this.#endSegment();
          continue;
        }
        case State.Scan: {
          const ff = chunk.indexOf(0xff, i);
          if (ff < 0) {
            i = end;
          } else {
            this.#state = State.ScanFF;
            i = ff + 1;
          }
          continue;
        }
      }
    }
    if (copyFrom >= 0 && this.#state !== State.Seek) {
      if (!this.#append(chunk, copyFrom, end)) this.#dropOversize();
    }
    return frames;
  }

  #beginFrame(): void {
    this.#length = 0;
    this.#ensureCapacity(2);
    this.#buffer[0] = 0xff;
    this.#buffer[1] = SOI;
    this.#length = 2;
    this.#state = State.Marker;
  }

  #endSegment(): void {
    this.#state = this.#marker === SOS ? State.Scan : State.Marker;
  }

  /** Appends chunk[from, to) to the frame; false when that would pass maxFrameBytes. */
  #append(chunk: Uint8Array, from: number, to: number): boolean {
    const n = to - from;
    if (this.#length + n > this.maxFrameBytes) return false;
    this.#ensureCapacity(this.#length + n);
    this.#buffer.set(chunk.subarray(from, to), this.#length);
    this.#length += n;
    return true;
  }

  #ensureCapacity(size: number): void {
    if (size <= this.#buffer.length) return;
    let capacity = Math.max(INITIAL_CAPACITY, this.#buffer.length);
    while (capacity < size) capacity *= 2;
    const grown = Buffer.allocUnsafe(Math.min(capacity, Math.max(size, this.maxFrameBytes)));
    this.#buffer.copy(grown, 0, 0, this.#length);
    this.#buffer = grown;
  }

  #finishFrame(chunk: Uint8Array, copyFrom: number, to: number): Buffer | undefined {
    this.#state = State.Seek;
    const tail = to - copyFrom;
    const size = this.#length + tail;
    if (size > this.maxFrameBytes) {
      this.stats.oversize++;
      this.#length = 0;
      return undefined;
    }
    // One allocation at the final size: held bytes, then the rest straight from the chunk.
    const frame = Buffer.allocUnsafe(size);
    this.#buffer.copy(frame, 0, 0, this.#length);
    frame.set(chunk.subarray(copyFrom, to), this.#length);
    this.#length = 0;
    this.stats.frames++;
    return frame;
  }

  #dropMalformed(): void {
    this.stats.malformed++;
    this.#state = State.Seek;
    this.#length = 0;
  }

  #dropOversize(): void {
    this.stats.oversize++;
    this.#state = State.Seek;
    this.#length = 0;
  }
}
