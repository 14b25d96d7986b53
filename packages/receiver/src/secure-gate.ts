/**
 * The receiver's door for protected datagrams (docs/protocol.md#protected). With keys, every
 * datagram is opened here — checked, replay-tested and decrypted — and only what passes goes on
 * to the FrameAssembler; the rest is counted by reason. Without keys, plain datagrams pass as
 * they always did, and a protected stream is recognised and reported once per address instead of
 * being counted as garbage.
 */
import {
  CASE_BIT,
  createOpener,
  looksProtected,
  NativeDatagramOpener,
  type Opener,
  REJECT_REASONS,
  type RejectReason,
  type StreamKey,
  TYPE_PARITY,
  twoDigits,
} from '@udpcam/protocol';

/** Addresses told about at most (a spray from many spoofed addresses must not flood the log). */
const MAX_NOTICES = 32;
/** Per-sender reject counts kept at most before they are cleared (only tracked senders get one). */
const MAX_SENDER_COUNTS = 1024;
const UNPROTECTED = -REJECT_REASONS.indexOf('unprotected');
/** A sealed parity datagram's type byte ('p'). */
const SEALED_PARITY = TYPE_PARITY | CASE_BIT;

/** Counts of datagrams refused, by reason. */
export type RejectCounts = Record<RejectReason, number>;

/** A JSON-ready summary of the gate: never the keys, only their ids (fingerprints). */
export interface SecurityReport {
  /** True when the receiver has keys and drops everything not protected with one. */
  protected: boolean;
  /** Ids of the keys held (4-byte fingerprints in hex). */
  keyIds: string[];
  /** Which library opens datagrams ('openssl', 'libsodium' or 'node:crypto'); null without keys. */
  aead: string | null;
  /** True when datagrams are opened in C as recvmmsg delivers them (opener.c), not one by one here. */
  openedInBatch: boolean;
  /** Datagrams that opened. */
  opened: number;
  rejected: number;
  rejectedByReason: RejectCounts;
  /** Sealed parity of a frame already complete, dropped without opening (docs/protocol.md#replay). */
  lateParity: number;
  /** Sender sessions seen, and held now. */
  sessions: number;
  sessionsHeld: number;
  /** Without keys: protected datagrams received (and dropped). */
  encrypted: number;
}

function emptyCounts(): RejectCounts {
  const counts = {} as RejectCounts;
  for (const reason of REJECT_REASONS.slice(1) as RejectReason[]) counts[reason] = 0;
  return counts;
}

/** Opens or passes datagrams for a Receiver; see the module comment. */
export class SecureGate {
  readonly opener: Opener | undefined;
  /** Protected datagrams that reached a receiver without keys. */
  encrypted = 0;
  /** Sealed parity dropped unopened, its frame being complete already. */
  lateParity = 0;
  /** Set by the receiver when receiveBatches opens datagrams with `native`. */
  openedInBatch = false;
  readonly #bySender = new Map<string, RejectCounts>();
  readonly #noticed = new Set<string>();
  readonly #notice: (message: string) => void;
  readonly #isTracked: (sender: string) => boolean;
  readonly #isLateParity: (sender: string, imageId: number) => boolean;

  /**
   * `keys`: none (plain receiver) or one or two (old and new). `notice` gets the one-line
   * messages; `isTracked` says whether a sender is one the assembler knows (only those get
   * per-sender counts, so spoofed addresses cannot grow memory); `isLateParity` whether parity
   * for that frame would only be absorbed (FrameAssembler.isLateParity).
   */
  constructor(
    keys: readonly StreamKey[] | undefined,
    notice: (message: string) => void,
    isTracked: (sender: string) => boolean,
    isLateParity: (sender: string, imageId: number) => boolean = () => false,
  ) {
    this.opener = keys === undefined || keys.length === 0 ? undefined : createOpener(keys);
    this.#notice = notice;
    this.#isTracked = isTracked;
    this.#isLateParity = isLateParity;
  }

  /** The datagram to reassemble (the same buffer, or its opened view), or undefined when dropped. */
  pass(datagram: Buffer, sender: string): Buffer | undefined {
    const opener = this.opener;
    if (opener === undefined) {
      if (!looksProtected(datagram)) return datagram;
      this.encrypted++;
      this.#noticeOnce(sender, `encrypted stream from ${sender}: pass --key`);
      return undefined;
    }
    // ~4 parity datagrams a frame come after its data completed it: their clear header says so,
    // which spares an AEAD open each. A forged header can only make us skip such useless parity.
    if (datagram[0] === SEALED_PARITY && datagram.length >= 5) {
      const imageId = twoDigits(datagram[1]!, datagram[2]!);
      if (imageId >= 0 && this.#isLateParity(sender, imageId)) {
        this.lateParity++;
        return undefined;
      }
    }
    const result = opener.open(datagram);
    if (typeof result !== 'number') return result;
    this.refused(result, sender);
    return undefined;
  }

  /**
   * The opener in C, for receiveBatches to open datagrams as they arrive; undefined when opening
   * is done here (no keys, or no OpenSSL addon).
   */
  get native(): object | undefined {
    return this.opener instanceof NativeDatagramOpener ? this.opener.native.handle : undefined;
  }

  /** Counts a datagram from `sender` the opener refused with `code` (already in its own counts). */
  refused(code: number, sender: string): void {
    if (this.#isTracked(sender)) {
      let counts = this.#bySender.get(sender);
      if (counts === undefined) {
        if (this.#bySender.size >= MAX_SENDER_COUNTS) this.#bySender.clear();
        counts = emptyCounts();
        this.#bySender.set(sender, counts);
      }
      counts[REJECT_REASONS[-code] as RejectReason]++;
    }
    if (code === UNPROTECTED) {
      this.#noticeOnce(
        sender,
        `unprotected stream from ${sender} dropped: this receiver has --key, the sender has none`,
      );
    }
  }

  /** Datagrams refused from one sender ("address:port"), if it is tracked and any were. */
  rejectedFrom(sender: string): Readonly<RejectCounts> | undefined {
    return this.#bySender.get(sender);
  }

  /** The gate's counters for /api, /metrics and the status line. */
  report(): SecurityReport {
    const stats = this.opener?.stats;
    return {
      protected: this.opener !== undefined,
      keyIds: this.opener?.keys.map((key) => key.idHex) ?? [],
      aead: this.opener?.backend.name ?? null,
      openedInBatch: this.openedInBatch,
      opened: stats?.opened ?? 0,
      rejected: stats?.rejected ?? 0,
      rejectedByReason: { ...(stats?.rejectedByReason ?? emptyCounts()) },
      lateParity: this.lateParity,
      sessions: stats?.sessions ?? 0,
      sessionsHeld: this.opener?.sessionCount ?? 0,
      encrypted: this.encrypted,
    };
  }

  /** One notice per address (not port: a restarted sender comes from a new port). */
  #noticeOnce(sender: string, message: string): void {
    const address = sender.slice(0, sender.lastIndexOf(':'));
    if (this.#noticed.has(address) || this.#noticed.size >= MAX_NOTICES) return;
    this.#noticed.add(address);
    this.#notice(message);
  }
}
