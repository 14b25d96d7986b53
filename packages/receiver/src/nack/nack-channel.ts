/**
 * The receiver's back channel for retransmission (docs/protocol.md#nack): the NackTracker's
 * requests, encoded, sealed under the key the sender's own datagrams carry (so a sender on the old
 * key during a rotation can open them), and sent from the receiving socket to the address and
 * port the sender's datagrams come from — the one its connected socket accepts.
 */
import type dgram from 'node:dgram';
import { DatagramSealer, encodeNack, SECURE_OVERHEAD_BYTES, type StreamKey } from '@udpcam/protocol';
import { emptyCounters, type NackCounters, NackTracker, type NackTrackerOptions } from './nack-tracker.js';

/** A NACK's send callback: a lost NACK is asked again (a retry) or the frame is given up. */
function ignore(): void {}

/** Sends the NackTracker's requests on the receiving socket. */
export class NackChannel {
  readonly tracker: NackTracker;
  readonly #socket: dgram.Socket;
  /** Sealers by key id (one session per key); empty without keys. */
  readonly #sealers = new Map<number, DatagramSealer>();

  constructor(
    socket: dgram.Socket,
    keys: readonly StreamKey[] | undefined,
    eligible: (sender: string) => boolean,
    options: Partial<NackTrackerOptions> = {},
  ) {
    this.#socket = socket;
    for (const key of keys ?? []) this.#sealers.set(key.id, new DatagramSealer(key));
    this.tracker = new NackTracker(eligible, {
      ...options,
      overhead: this.#sealers.size > 0 ? SECURE_OVERHEAD_BYTES : 0,
    });
  }

  /** A sender's NACK counters (zeros when it was never asked). */
  counters(sender: string): NackCounters {
    return { ...(this.tracker.counters(sender) ?? emptyCounters()) };
  }

  /**
   * One datagram that passed the security gate: `plain` what reassembly gets, `keyId` the id of
   * the key it was sealed with (undefined for a plain stream), from `sender` ("address:port") at
   * `address`, `port`.
   */
  observe(
    plain: Buffer,
    keyId: number | undefined,
    sender: string,
    address: string,
    port: number,
    now: number,
  ): void {
    const requests = this.tracker.observe(plain, sender, now);
    if (requests === undefined) return;
    const keyed = this.#sealers.size > 0;
    const sealer = keyed && keyId !== undefined ? this.#sealers.get(keyId) : undefined;
    if (keyed && sealer === undefined) return;
    for (const { imageId, attempt, chunks, tailFrom, padTo } of requests) {
      const nack = encodeNack(imageId, attempt, chunks, tailFrom, padTo);
      const wire = sealer === undefined ? [nack] : sealer.seal(nack.subarray(0, 5), nack.subarray(5));
      try {
        this.#socket.send(wire, port, address, ignore);
      } catch {
        // The socket is closing: nothing to ask any more.
      }
    }
  }
}
