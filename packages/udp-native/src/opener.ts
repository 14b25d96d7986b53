/**
 * A receiver's opener in C (opener.c), made by the OpenSSL AEAD addon: @udpcam/protocol's
 * DatagramOpener logic, run by the batched receiver on each datagram as recvmmsg delivers it
 * (receiveBatches' `opener`), or here on one datagram.
 */
import { opensslChaCha20Poly1305 } from './aead.js';

/** The addon's opener functions (see opener.c). */
export interface OpenerFunctions {
  openerCreate(keys: Uint8Array[], keyIds: number[], info: Uint8Array, maxSessions: number): object;
  openerOpen(opener: object, datagram: Uint8Array): number;
  openerStats(opener: object): number[];
}

/** Counts of a native opener, as openerStats returns them. */
export interface NativeOpenerCounts {
  opened: number;
  rejected: number;
  /** Refused by reason: REJECT_REASONS[1..5] of @udpcam/protocol, in that order. */
  byReason: [number, number, number, number, number];
  sessions: number;
  sessionsEvicted: number;
  sessionsHeld: number;
}

export interface NativeOpener {
  /** What receiveBatches takes. */
  readonly handle: object;
  /**
   * Opens `datagram` in place: the key index (0 or 1) when it opened (the plain datagram is then
   * bytes 21 .. length - 16), else a negative reason code, counted.
   */
  open(datagram: Uint8Array): number;
  counts(): NativeOpenerCounts;
}

/** A stream key as the opener takes it: its 32 bytes and its 32-bit id. */
export interface OpenerKey {
  key: Uint8Array;
  id: number;
}

/**
 * An opener for one or two keys, holding at most `maxSessions` sender sessions, deriving their
 * subkeys with HKDF-SHA256 and `info`. Undefined where the OpenSSL addon cannot be used.
 */
export function nativeOpener(
  keys: readonly OpenerKey[],
  info: string,
  maxSessions: number,
): NativeOpener | undefined {
  const addon = opensslChaCha20Poly1305();
  if (addon === undefined) return undefined;
  const { openerOpen, openerStats } = addon;
  const handle = addon.openerCreate(
    keys.map((key) => key.key),
    keys.map((key) => key.id),
    Buffer.from(info),
    maxSessions,
  );
  return {
    handle,
    open: (datagram) => openerOpen(handle, datagram),
    counts: () => {
      const [opened, rejected, malformed, unprotected, unknownKey, replay, badTag, sessions, evicted, held] =
        openerStats(handle) as number[];
      return {
        opened: opened!,
        rejected: rejected!,
        byReason: [malformed!, unprotected!, unknownKey!, replay!, badTag!],
        sessions: sessions!,
        sessionsEvicted: evicted!,
        sessionsHeld: held!,
      };
    },
  };
}
