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

/**
 * Called once per batch. `datagrams[i]` is its own Buffer (never reused); `senders[i]` is its
 * sender, one object shared by consecutive datagrams from the same address and port.
 */
export type BatchListener = (datagrams: Buffer[], senders: Sender[]) => void;

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
 * unavailable.
 */
export function receiveBatches(socket: dgram.Socket, onBatch: BatchListener): BatchReceiver | undefined {
  const native = load();
  const handle = native && udpHandle(socket);
  if (native === undefined || handle === undefined) return undefined;
  const receiver = native.open(handle.fd, onBatch);
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
