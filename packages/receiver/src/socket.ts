/**
 * The receiving UDP socket: bound, with its kernel receive buffer raised as far as the OS allows
 * (a frame arrives as a burst of datagrams; a small buffer loses its tail while Node is busy).
 */
import dgram from 'node:dgram';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import { addressError } from '@udpcam/common';
import { UdpcamError } from '@udpcam/protocol';

export interface UdpSocketOptions {
  port: number;
  /** Address to bind; '0.0.0.0' (all IPv4), '::' (all IPv6 and IPv4) or one address. */
  host: string;
  /** Kernel receive buffer to ask for, in bytes (Linux caps it at net.core.rmem_max). */
  recvBufferBytes: number;
  /** A multicast group to join after binding. */
  group?: string;
  /** Address of the interface to join the group on (default: the kernel's choice). */
  groupInterface?: string;
}

/** A bound socket and what the kernel granted. */
export interface BoundUdpSocket {
  socket: dgram.Socket;
  /** Receive buffer the kernel reports after the request, in bytes. */
  recvBufferBytes: number;
  /** The Linux cap (net.core.rmem_max) when it kept us below the request, else undefined. */
  cappedBy: number | undefined;
}

function readRmemMax(): number | undefined {
  try {
    return Number(readFileSync('/proc/sys/net/core/rmem_max', 'utf8').trim()) || undefined;
  } catch {
    return undefined;
  }
}

/** Binds a UDP socket (udp6 for an IPv6 host) and raises its receive buffer. */
export async function bindUdpSocket(options: UdpSocketOptions): Promise<BoundUdpSocket> {
  const type = net.isIP(options.host) === 6 ? 'udp6' : 'udp4';
  // Several receivers may listen to one multicast group on the same port.
  const socket = dgram.createSocket({ type, reuseAddr: options.group !== undefined });
  const where = `UDP ${type === 'udp6' ? `[${options.host}]` : options.host}:${options.port}`;
  socket.bind(options.port, options.host);
  try {
    await once(socket, 'listening');
  } catch (error) {
    socket.close();
    throw addressError(error as NodeJS.ErrnoException, where);
  }
  if (options.group !== undefined) {
    try {
      socket.addMembership(options.group, options.groupInterface);
    } catch (error) {
      socket.close();
      const on = options.groupInterface ? ` on ${options.groupInterface}` : '';
      throw new UdpcamError(
        'UDPCAM_ERR_ADDRESS_NOT_AVAILABLE',
        `cannot join multicast group ${options.group}${on}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
        { cause: error },
      );
    }
  }
  try {
    socket.setRecvBufferSize(options.recvBufferBytes);
  } catch {
    // Refused outright: keep the default; the status line shows what we have.
  }
  // Linux reports twice what it books (it counts its own overhead), capped at 2 x rmem_max.
  const granted = socket.getRecvBufferSize();
  const rmemMax = readRmemMax();
  const cappedBy = rmemMax !== undefined && granted < options.recvBufferBytes ? rmemMax : undefined;
  return { socket, recvBufferBytes: granted, cappedBy };
}
