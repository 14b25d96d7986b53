/**
 * The sender's side of retransmission on request (docs/protocol.md#nack). A NACK is answered only
 * when it comes from the very address and port the frames go to (a connected socket already
 * filters so; this checks again), opens under the stream key if there is one, names a frame still
 * kept, and then with at most as many bytes as the NACK itself has on the wire (so a request can
 * never be amplified) and within the rate budget. Answers always go to the frames' destination:
 * the caller sends them on its connected socket, never to a NACK's source.
 */
import {
  type ChunkDatagram,
  type DatagramOpener,
  decodeNack,
  MAX_CHUNKS,
  SECURE_OVERHEAD_BYTES,
  TYPE_NACK,
} from '@udpcam/protocol';
import type { ResendBudget } from './resend-budget.js';
import type { ResendRing } from './resend-ring.js';

/** An address and port, as dgram's rinfo has them. */
export interface Endpoint {
  address: string;
  port: number;
}

/** What the responder did, for the status line and /api. */
export interface NackStats {
  /** NACKs accepted from the receiver. */
  nacksReceived: number;
  /** Datagrams refused: from another address or port than the receiver's. */
  nacksWrongSource: number;
  /** Datagrams refused: not a NACK, or one that did not open under the key. */
  nacksInvalid: number;
  /** NACKs for a frame no longer kept. */
  nacksTooLate: number;
  /** Datagrams resent, and their bytes on the wire. */
  datagramsResent: number;
  bytesResent: number;
  /** Datagrams asked for but not resent: past the NACK's own size. */
  deniedBySize: number;
  /** Datagrams asked for but not resent: past the rate budget. */
  deniedByRate: number;
}

/** Options of a NackResponder. */
export interface NackResponderOptions {
  ring: ResendRing;
  budget: ResendBudget;
  /** Opens sealed NACKs when the stream has a key; without it, only plain NACKs are taken. */
  opener?: DatagramOpener;
}

/** Decides which kept datagrams a NACK gets; see the module comment. */
export class NackResponder {
  readonly stats: NackStats = {
    nacksReceived: 0,
    nacksWrongSource: 0,
    nacksInvalid: 0,
    nacksTooLate: 0,
    datagramsResent: 0,
    bytesResent: 0,
    deniedBySize: 0,
    deniedByRate: 0,
  };
  readonly #options: NackResponderOptions;
  /** Bytes a resent datagram adds on the wire: it is sealed afresh under a key. */
  readonly #overhead: number;

  constructor(options: NackResponderOptions) {
    this.#options = options;
    this.#overhead = options.opener === undefined ? 0 : SECURE_OVERHEAD_BYTES;
  }

  /**
   * The plain datagrams to resend for `datagram`, received from `from`, when frames go to `peer`
   * (empty: nothing). The caller seals them (a fresh counter each) and sends them to `peer`.
   */
  answer(datagram: Buffer, from: Endpoint, peer: Endpoint): ChunkDatagram[] {
    const stats = this.stats;
    if (from.port !== peer.port || from.address !== peer.address) {
      stats.nacksWrongSource++;
      return [];
    }
    const wireBytes = datagram.length;
    const opener = this.#options.opener;
    let plain: Buffer | undefined = datagram;
    if (opener !== undefined) {
      const opened = opener.open(datagram);
      plain = typeof opened === 'number' ? undefined : opened;
    }
    const nack = plain !== undefined && plain[0] === TYPE_NACK ? decodeNack(plain) : undefined;
    if (nack === undefined) {
      stats.nacksInvalid++;
      return [];
    }
    stats.nacksReceived++;
    const frame = this.#options.ring.get(nack.imageId);
    if (frame === undefined) {
      stats.nacksTooLate++;
      return [];
    }
    const count = frame.datagrams.length;
    const wanted = nack.chunks.filter(
      (id) => id < count && (nack.tailFrom === undefined || id < nack.tailFrom),
    );
    if (nack.tailFrom !== undefined)
      for (let id = nack.tailFrom; id < count && id < MAX_CHUNKS; id++) wanted.push(id);
    const out: ChunkDatagram[] = [];
    let left = wireBytes;
    for (const id of wanted) {
      const pair = frame.datagrams[id]!;
      const bytes = pair[0].length + pair[1].length + this.#overhead;
      if (bytes > left) {
        stats.deniedBySize++;
        continue;
      }
      if (!this.#options.budget.spend(bytes)) {
        stats.deniedByRate++;
        continue;
      }
      left -= bytes;
      out.push(pair);
      stats.datagramsResent++;
      stats.bytesResent += bytes;
    }
    return out;
  }
}
