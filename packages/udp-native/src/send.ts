/**
 * Batched UDP send for a bound, connected node:dgram socket (Linux, sendmmsg): see send.c. A
 * frame's 40 datagrams cost one native call and one system call instead of 40 dgram.send()s,
 * each with its JavaScript and libuv send request.
 */
import type dgram from 'node:dgram';
import { constants } from 'node:os';
import { load, udpHandle } from './binding.js';

/** One datagram: its bytes, or the parts sent as one (a header and a payload view). */
export type NativeDatagram = Uint8Array | readonly Uint8Array[];

export interface BatchSender {
  /**
   * Hands `datagrams` from `start` on to the kernel, to the address the socket is connected to.
   * Returns how many went — all, unless the kernel refused one: call again from there to learn
   * why — or a negative errno when the first failed (-EAGAIN: the send buffer is full; the
   * caller queues the rest on dgram, which waits until the socket is writable). Once the socket
   * has closed it sends nothing and returns -EBADF (its descriptor may be another file's by then).
   */
  send(datagrams: readonly NativeDatagram[], start?: number): number;
}

/**
 * Sends on `socket`'s own descriptor, beside dgram: the caller keeps the two in order by using
 * this only while dgram has nothing queued (`socket.getSendQueueCount() === 0`). Undefined when
 * the addon is unavailable or the socket is not bound yet.
 */
export function sendBatches(socket: dgram.Socket): BatchSender | undefined {
  const native = load();
  const handle = native && udpHandle(socket);
  if (native === undefined || handle === undefined) return undefined;
  const fd = handle.fd;
  let open = true;
  socket.once('close', () => {
    open = false;
  });
  return {
    send: (datagrams, start = 0) => (open ? native.send(fd, datagrams, start) : -constants.errno.EBADF),
  };
}
