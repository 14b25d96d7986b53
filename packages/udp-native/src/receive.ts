/**
 * Batched UDP receive for a bound node:dgram socket (Linux, recvmmsg): see udp_native.c.
 * receiveBatches returns undefined when the addon is not built, fails to load, or the socket's
 * internals are not what it expects; the caller then keeps node:dgram's own 'message' path.
 */
import type dgram from 'node:dgram';
import { load, udpHandle } from './binding.js';

/** A datagram's sender, as node:dgram's rinfo says it (without size). */
export interface Sender {
  address: string;
  port: number;
  family: string;
}

/** statuses[i] of a datagram passed as received (sealed parity, with an opener). */
export const NOT_OPENED = 100;

/**
 * Called once per batch. `datagrams[i]` is its own Buffer (never reused); `senders[i]` is its
 * sender, one object shared by consecutive datagrams from the same address and port.
 * With an opener, `statuses[i]` says what datagrams[i] is: a key index (0, 1) for a datagram
 * opened, now plain; a negative reason (counted by the opener) for one refused, then undefined;
 * NOT_OPENED for one passed as received. Without, `statuses` is undefined. The array is reused:
 * read it during the call only.
 */
export type BatchListener = (
  datagrams: (Buffer | undefined)[],
  senders: Sender[],
  statuses: Int32Array | undefined,
) => void;

/** Counts since open: wake-ups, recvmmsg batches, datagrams, and socket errors skipped. */
export interface BatchStats {
  wakes: number;
  batches: number;
  datagrams: number;
  errors: number;
}

export interface BatchReceiver {
  /** Stops reading and closes the dup'ed fd (the dgram socket stays open). Idempotent. */
  close(): void;
  stats(): BatchStats;
}

/**
 * Takes over reading a bound socket: dgram stops reading (no more 'message' events), and every
 * datagram goes to `onBatch` instead. The socket still sends as before; closing it closes the
 * returned receiver too (or close that first). Undefined (nothing changed) when the addon is
 * unavailable. With `opener` (a NativeOpener's handle), datagrams are opened as they arrive.
 */
export function receiveBatches(
  socket: dgram.Socket,
  onBatch: BatchListener,
  opener?: object,
): BatchReceiver | undefined {
  const native = load();
  const handle = native && udpHandle(socket);
  if (native === undefined || handle === undefined) return undefined;
  const receiver = native.open(handle.fd, onBatch, opener);
  if (handle.recvStop() !== 0) {
    native.close(receiver);
    return undefined;
  }
  // The dup would keep the port bound and reading after the socket closes: close with it.
  const close = () => native.close(receiver);
  socket.once('close', close);
  return {
    close: () => {
      socket.off('close', close);
      close();
    },
    stats: () => {
      const [wakes, batches, datagrams, errors] = native.stats(receiver);
      return { wakes, batches, datagrams, errors };
    },
  };
}
