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

/** The status of a datagram passed as received (no opener, or sealed parity with one). */
export const NOT_OPENED = 100;

/**
 * Takes each datagram of a batch. `datagram` is a view into memory the next batch is read into:
 * read it during the call, and copy what is to be kept (at the latest in the BatchEndListener).
 * `sender` is one object shared by consecutive datagrams from the same address and port.
 * `status` says what the datagram is: NOT_OPENED, as received; with an opener, a key index (0, 1)
 * for a datagram opened, now plain, or a negative reason (counted by the opener) for one refused,
 * then `datagram` is undefined.
 */
export type DatagramListener = (datagram: Buffer | undefined, sender: Sender, status: number) => void;

/**
 * Called after each batch with the ArrayBuffer its datagrams are views into: whatever is to
 * outlive the batch must be copied out of it now (FrameAssembler.detach), before the next batch
 * overwrites it.
 */
export type BatchEndListener = (arena: ArrayBufferLike) => void;

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
 * datagram goes to `onDatagram` instead, then `onBatchEnd` once per batch. The socket still sends
 * as before; closing it closes the returned receiver too (or close that first). Undefined
 * (nothing changed) when the addon is unavailable. With `opener` (a NativeOpener's handle),
 * datagrams are opened as they arrive.
 */
export function receiveBatches(
  socket: dgram.Socket,
  onDatagram: DatagramListener,
  onBatchEnd: BatchEndListener,
  opener?: object,
): BatchReceiver | undefined {
  const native = load();
  const handle = native && udpHandle(socket);
  if (native === undefined || handle === undefined) return undefined;
  let open = true;
  let arena: ArrayBuffer | undefined;
  let bytes = Buffer.alloc(0);
  // The layout (udp_native.c): where each datagram starts, its length, its sender, its status.
  const onBatch = (memory: ArrayBuffer, count: number, senders: Sender[], layout: Int32Array) => {
    if (memory !== arena) {
      arena = memory;
      bytes = Buffer.from(memory);
    }
    const batch = layout.length / 4;
    for (let i = 0; i < count && open; i++) {
      const status = layout[3 * batch + i]!;
      const start = layout[i]!;
      const datagram = status < 0 ? undefined : bytes.subarray(start, start + layout[batch + i]!);
      onDatagram(datagram, senders[layout[2 * batch + i]!]!, status);
    }
    onBatchEnd(memory);
  };
  const receiver = native.open(handle.fd, onBatch, opener);
  if (handle.recvStop() !== 0) {
    native.close(receiver);
    return undefined;
  }
  // The dup would keep the port bound and reading after the socket closes: close with it.
  // Closed from a listener, the rest of the batch is not delivered either.
  const close = () => {
    open = false;
    native.close(receiver);
  };
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
