/**
 * The receiver's side of retransmission on request (docs/protocol.md#nack), without I/O: it
 * watches each sender's datagram headers go by and says when to ask for what.
 *
 * - A gap is asked for as soon as it is evident, never after a timeout: a chunk id past the next
 *   expected (no parity), a frame's last parity datagram still short, or a newer frame beginning
 *   (this one's tail is lost). With parity only what parity cannot make up is asked for.
 * - A request is repeated at most `maxRetries` times, `retryMs` apart, while the sender's
 *   datagrams keep coming (no timer).
 * - A NACK is padded to the bytes it asks for (the sender answers with no more than it gets), and
 *   a sender gets at most `fraction` of the bytes it sent: the receiver never sends more at an
 *   address than came from it. A sender deaf to 16 NACKs in a row for a whole `deafAfterMs` (an old
 *   udpcam, --no-nack, a one-way path) gets one probe per `deafMs`: a stalled receiver asking about
 *   a backlog at once must not queue answers behind it.
 * - Only udpcam's framing is asked: known from a whole frame (`eligible`) or from an E within a
 *   byte of the frame's other chunks (the Python sender's E is 113+ bytes shorter:
 *   docs/protocol.md#legacy). An E that shows the Python framing stops NACKs for good.
 */
import { MAX_CHUNKS, NACK_BYTES, TYPE_CONTINUE, TYPE_END, TYPE_PARITY, TYPE_START } from '@udpcam/protocol';

/** One NACK datagram to send (before sealing), to the sender the datagrams came from. */
export interface NackRequest {
  imageId: number;
  /** 0 for the first request for this frame, then 1, 2, … */
  attempt: number;
  /** Data chunk ids asked for. */
  chunks: number[];
  /** Every chunk from this id to the frame's last is asked for too. */
  tailFrom: number | undefined;
  /** The NACK's length before sealing: what it asks for, on the wire, less `overhead`. */
  padTo: number;
}

/** Per-sender counters. */
export interface NackCounters {
  /** NACK datagrams sent. */
  nacksSent: number;
  /** Chunks asked for that then arrived (retransmitted). */
  retransmitsReceived: number;
  /** Frames completed only thanks to a retransmitted chunk. */
  framesSaved: number;
  /** NACKs not sent: past the back-channel budget, or the sender seemed deaf. */
  nacksWithheld: number;
  /** Delay added to saved frames (ms, from the last datagram before the first NACK to completion). */
  savedDelayMsTotal: number;
  savedDelayMsMax: number;
}

export interface NackTrackerOptions {
  /** Least time between two requests for one frame, ms (a LAN round trip is well under 1 ms). */
  retryMs: number;
  /** Requests after the first, per frame. */
  maxRetries: number;
  /** A frame older than this (ms since its first datagram) is not asked for any more. */
  maxAgeMs: number;
  /** NACK bytes a sender may get per byte it sent. */
  fraction: number;
  /** Most NACK bytes saved up per sender. */
  capacityBytes: number;
  /** Bytes sealing adds to a datagram (0 without a key). */
  overhead: number;
  /** Senders tracked at most (the least recently added goes first). */
  maxSenders: number;
  /** NACKs in a row without any answer before a sender counts as deaf… */
  deafAfter: number;
  /** …and for at least this long since the first of them, ms. */
  deafAfterMs: number;
  /** How long a deaf sender is left alone before one more try, ms. */
  deafMs: number;
}

export const DEFAULT_NACK_TRACKER_OPTIONS: Readonly<NackTrackerOptions> = Object.freeze({
  retryMs: 5,
  maxRetries: 3,
  maxAgeMs: 400,
  fraction: 0.25,
  capacityBytes: 64 * 1024,
  overhead: 0,
  maxSenders: 64,
  deafAfter: 16,
  deafAfterMs: 1000,
  deafMs: 5000,
});

/** Largest NACK on the wire when several small chunks are asked in one (one Ethernet frame). */
const MAX_NACK_WIRE_BYTES = 1472;
/** Frames kept per sender behind the newest: ids are only tracked this far back. */
const KEEP_BEHIND = 10;
// A chunk's state in Gap.chunks: 0 missing (the array's initial value), then:
const HELD = 1;
const ASKED = 2;

/**
 * What is known of one frame. Reused (reset) for a later frame once dropped from its sender's
 * map: a new object with its chunk array per frame was ~2 % of a receiver's CPU.
 */
class Gap {
  /** Per data chunk id: 0 (missing), HELD, or ASKED (missing and asked for). */
  readonly chunks = new Uint8Array(MAX_CHUNKS);
  imageId = 0;
  startedAt = 0;
  data = 0;
  parity = 0;
  /** k, the data chunk count (0 until an E or a P tells). */
  k = 0;
  highest = -1;
  /** Longest data datagram seen, the E's (0: not seen), and the longest S or C (plain bytes). */
  longest = 0;
  endBytes = 0;
  longestBody = 0;
  /** Requests made for this frame (NACK rounds, not datagrams). */
  attempts = 0;
  /** Times it was asked for everything it lacks: once all of it was sent, then each retry. */
  rounds = 0;
  lastAskedAt = Number.NEGATIVE_INFINITY;
  /** When its last datagram came before it was first asked for (ms). */
  lastSeenAt = 0;
  /** A newer frame began, or the frame's last parity came: every datagram of it was sent. */
  ended = false;
  done = false;
  saved = false;

  /** Makes it the fresh record of frame `imageId`, begun at `startedAt`. */
  reset(imageId: number, startedAt: number): this {
    this.chunks.fill(0);
    this.imageId = imageId;
    this.startedAt = startedAt;
    this.data = 0;
    this.parity = 0;
    this.k = 0;
    this.highest = -1;
    this.longest = 0;
    this.endBytes = 0;
    this.longestBody = 0;
    this.attempts = 0;
    this.rounds = 0;
    this.lastAskedAt = Number.NEGATIVE_INFINITY;
    this.lastSeenAt = 0;
    this.ended = false;
    this.done = false;
    this.saved = false;
    return this;
  }
}

class SenderGaps {
  readonly frames = new Map<number, Gap>();
  /** Gaps dropped from `frames`, to reuse. */
  readonly spare: Gap[] = [];
  newest = -1;
  sendsParity = false;
  /** k of the last frame whose k showed (an E or a P): the guess for a frame whose E is lost. */
  lastK = 0;
  /** Its framing as this tracker saw it: an E near-equal to its frame's chunks (udpcam), or far shorter. */
  framing: 'unknown' | 'udpcam' | 'legacy' = 'unknown';
  tokens = 0;
  unanswered = 0;
  /** When the first NACK of the current unanswered run was sent (ms). */
  unansweredSince = 0;
  deafUntil = Number.NEGATIVE_INFINITY;
  /** Frames asked for and not yet complete. */
  pending = 0;
  readonly counters: NackCounters = emptyCounters();
}

/** All-zero counters. */
export function emptyCounters(): NackCounters {
  return {
    nacksSent: 0,
    retransmitsReceived: 0,
    framesSaved: 0,
    nacksWithheld: 0,
    savedDelayMsTotal: 0,
    savedDelayMsMax: 0,
  };
}

const digits = (a: number, b: number) => (a - 0x30) * 10 + (b - 0x30);

/** Watches datagrams and decides NACKs; see the module comment. */
export class NackTracker {
  readonly options: NackTrackerOptions;
  readonly #senders = new Map<string, SenderGaps>();
  readonly #eligible: (sender: string) => boolean;
  #lastKey = '';
  #last: SenderGaps | undefined;

  /** `eligible(sender)`: whether a sender may be asked (udpcam's framing, learnt by the assembler). */
  constructor(eligible: (sender: string) => boolean, options: Partial<NackTrackerOptions> = {}) {
    this.#eligible = eligible;
    this.options = { ...DEFAULT_NACK_TRACKER_OPTIONS, ...options };
  }

  /** A sender's counters, if it is tracked. */
  counters(sender: string): Readonly<NackCounters> | undefined {
    return this.#senders.get(sender)?.counters;
  }

  /** Sums over every tracked sender. */
  totals(): NackCounters {
    const sum = emptyCounters();
    for (const { counters } of this.#senders.values()) {
      for (const key of Object.keys(sum) as (keyof NackCounters)[]) {
        sum[key] = key === 'savedDelayMsMax' ? Math.max(sum[key], counters[key]) : sum[key] + counters[key];
      }
    }
    return sum;
  }

  /**
   * Takes one well-formed plain datagram (after the security gate) from `sender` at `now` (ms) and
   * returns the NACKs to send to it now (undefined: none). Anything but S/C/E/P is ignored.
   */
  observe(datagram: Uint8Array, sender: string, now: number): NackRequest[] | undefined {
    const type = datagram[0];
    if (
      datagram.length < 5 ||
      (type !== TYPE_START && type !== TYPE_CONTINUE && type !== TYPE_END && type !== TYPE_PARITY)
    ) {
      return undefined;
    }
    const imageId = digits(datagram[1]!, datagram[2]!);
    const index = digits(datagram[3]!, datagram[4]!);
    if (imageId < 0 || imageId > 99 || index < 0 || index > 99) return undefined;
    const state = this.#state(sender);
    const o = this.options;
    state.tokens = Math.min(o.capacityBytes, state.tokens + datagram.length * o.fraction);

    let gap = state.frames.get(imageId);
    let ended: Gap[] | undefined;
    if (gap === undefined) {
      gap = (state.spare.pop() ?? new Gap()).reset(imageId, now);
      const ahead = (imageId - state.newest + 100) % 100;
      if (state.newest < 0 || (ahead >= 1 && ahead <= 50)) {
        state.newest = imageId;
        for (const [id, other] of state.frames) {
          if ((imageId - id + 100) % 100 > KEEP_BEHIND) {
            if (!other.done && other.attempts > 0) state.pending--;
            state.frames.delete(id);
            if (state.spare.length < KEEP_BEHIND) state.spare.push(other);
          } else if (!other.done && !other.ended) {
            other.ended = true;
            ended ??= [];
            ended.push(other);
          }
        }
      } else {
        // An id behind the newest is a late datagram of a frame no longer tracked (a resend that
        // took long): never ask for the rest of such a frame.
        gap.done = true;
      }
      state.frames.set(imageId, gap);
    }
    let out: NackRequest[] | undefined;
    if (type === TYPE_PARITY) state.sendsParity = true;
    if (!gap.done) {
      if (gap.attempts === 0) gap.lastSeenAt = now;
      if (type === TYPE_PARITY) {
        if (datagram.length >= 8) {
          gap.parity++;
          gap.k = datagram[6]!;
          state.lastK = gap.k;
          if (index === datagram[7]! - 1) gap.ended = true;
        }
      } else {
        const held = gap.chunks[index];
        if (held === HELD) return this.#retries(state, sender, now, out);
        if (held === ASKED) {
          state.counters.retransmitsReceived++;
          state.unanswered = 0;
          gap.saved = true;
        }
        gap.chunks[index] = HELD;
        gap.data++;
        if (datagram.length > gap.longest) gap.longest = datagram.length;
        if (type === TYPE_END) {
          gap.k = index + 1;
          state.lastK = gap.k;
          gap.endBytes = datagram.length;
        } else if (datagram.length > gap.longestBody) gap.longestBody = datagram.length;
        if (state.framing === 'unknown' && gap.endBytes > 0 && gap.longestBody > 0) {
          state.framing = gap.longestBody - gap.endBytes > 1 ? 'legacy' : 'udpcam';
        }
        const gapInFrame = index > gap.highest + 1;
        const from = gap.highest + 1;
        if (index > gap.highest) gap.highest = index;
        // Without parity a hole is asked for at once (only it: earlier holes were asked already).
        if (gapInFrame && !state.sendsParity && !(gap.k > 0 && gap.data >= gap.k)) {
          out = this.#ask(state, sender, gap, now, out, from, index - 1, false);
        }
      }
      if (gap.k > 0 && gap.data + gap.parity >= gap.k) {
        gap.done = true;
        if (gap.attempts > 0) state.pending--;
        if (gap.saved) {
          const c = state.counters;
          c.framesSaved++;
          c.savedDelayMsTotal += now - gap.lastSeenAt;
          c.savedDelayMsMax = Math.max(c.savedDelayMsMax, now - gap.lastSeenAt);
        }
      } else if (gap.ended && gap.rounds === 0) {
        out = this.#askAll(state, sender, gap, now, out);
      }
    }
    if (ended !== undefined) {
      for (const other of ended) if (other.rounds === 0) out = this.#askAll(state, sender, other, now, out);
    }
    return this.#retries(state, sender, now, out);
  }

  /** Asks again for frames asked before, still short, whose retry time came. */
  #retries(state: SenderGaps, sender: string, now: number, out: NackRequest[] | undefined) {
    if (state.pending === 0) return out;
    const o = this.options;
    for (const gap of state.frames.values()) {
      if (gap.done || gap.rounds === 0 || now - gap.lastAskedAt < o.retryMs) continue;
      if (gap.rounds > o.maxRetries || now - gap.startedAt > o.maxAgeMs) continue;
      out = this.#askAll(state, sender, gap, now, out);
    }
    return out;
  }

  /**
   * Asks for everything `gap` still lacks: with k known only what parity cannot make up
   * (k − held, lowest ids first); else every hole and the tail after the highest chunk seen.
   */
  #askAll(state: SenderGaps, sender: string, gap: Gap, now: number, out: NackRequest[] | undefined) {
    gap.rounds++;
    return this.#ask(state, sender, gap, now, out, 0, gap.k > 0 ? gap.k - 1 : gap.highest, gap.k === 0);
  }

  /** Builds the NACKs for the chunks `from`..`to` that `gap` lacks (and the tail), within budget. */
  #ask(
    state: SenderGaps,
    sender: string,
    gap: Gap,
    now: number,
    out: NackRequest[] | undefined,
    from: number,
    to: number,
    tail: boolean,
  ): NackRequest[] | undefined {
    const o = this.options;
    if (state.framing === 'legacy' || (state.framing === 'unknown' && !this.#eligible(sender))) return out;
    if (gap.attempts === 0) state.pending++;
    gap.attempts++;
    gap.lastAskedAt = now;
    let need = gap.k > 0 ? gap.k - gap.data - gap.parity : MAX_CHUNKS;
    const ids: number[] = [];
    for (let id = from; id <= to && need > 0; id++) {
      if (gap.chunks[id] === HELD) continue;
      gap.chunks[id] = ASKED;
      ids.push(id);
      need--;
    }
    // Without k, the frame's end is not known: guess it from the sender's last frame (frames of a
    // camera are alike), ask for the chunks up to the guess by id and for the rest as a tail paid
    // for one chunk. A wrong guess costs a round (too short) or padding the sender ignores.
    let tailFrom: number | undefined;
    if (tail) {
      const guess = Math.min(MAX_CHUNKS, Math.max(state.lastK, gap.highest + 2));
      for (let id = gap.highest + 1; id < guess - 1; id++) {
        gap.chunks[id] = ASKED;
        ids.push(id);
      }
      tailFrom = guess - 1;
      gap.chunks[tailFrom] = ASKED;
    }
    const unit = gap.longest + 1 + o.overhead;
    const perNack = Math.max(1, Math.floor(MAX_NACK_WIRE_BYTES / unit));
    const request = (chunks: number[], tailFrom?: number): NackRequest => {
      return { imageId: gap.imageId, attempt: gap.attempts - 1, chunks, tailFrom, padTo: 0 };
    };
    const requests: NackRequest[] = [];
    for (let i = 0; i < ids.length; i += perNack) requests.push(request(ids.slice(i, i + perNack)));
    if (tailFrom !== undefined) {
      const last = requests.at(-1);
      if (last !== undefined && last.chunks.length < perNack) last.tailFrom = tailFrom;
      else requests.push(request([], tailFrom));
    }
    for (const request of requests) {
      const asked = request.chunks.length + (request.tailFrom === undefined ? 0 : 1);
      request.padTo = Math.max(NACK_BYTES, asked * unit - o.overhead);
      const wire = request.padTo + o.overhead;
      if (now < state.deafUntil || wire > state.tokens) {
        state.counters.nacksWithheld++;
        continue;
      }
      state.tokens -= wire;
      state.counters.nacksSent++;
      if (state.unanswered++ === 0) state.unansweredSince = now;
      if (state.unanswered >= o.deafAfter && now - state.unansweredSince >= o.deafAfterMs) {
        state.deafUntil = now + o.deafMs;
        state.unanswered = o.deafAfter - 1; // after the pause: one probe, then deaf again unless answered
      }
      out ??= [];
      out.push(request);
    }
    return out;
  }

  #state(sender: string): SenderGaps {
    if (sender === this.#lastKey && this.#last !== undefined) return this.#last;
    let state = this.#senders.get(sender);
    if (state === undefined) {
      if (this.#senders.size >= this.options.maxSenders) {
        this.#senders.delete(this.#senders.keys().next().value as string);
      }
      // (#last is replaced below, so an evicted sender's state is never used again.)
      state = new SenderGaps();
      this.#senders.set(sender, state);
    }
    this.#lastKey = sender;
    this.#last = state;
    return state;
  }
}
