/**
 * Loads the addon (udp_native.c, send.c, gf256.c, write_file.c) once, and finds the libuv handle behind a dgram
 * socket; requireAddon loads any of the package's modules.
 * Either returns undefined when that is not possible here; callers then keep node:dgram's path.
 */
import type dgram from 'node:dgram';
import { createRequire } from 'node:module';
import type { Sender } from './receive.js';

/** The addon's functions. */
export interface Binding {
  open(
    fd: number,
    onBatch: (arena: ArrayBuffer, count: number, senders: Sender[], layout: Int32Array) => void,
    opener?: object,
  ): object;
  close(handle: object): void;
  stats(handle: object): [number, number, number, number];
  send(fd: number, datagrams: readonly (Uint8Array | readonly Uint8Array[])[], start: number): number;
  encodeParity(
    shards: readonly Uint8Array[],
    coefficients: Uint8Array,
    shardSize: number,
    out: Uint8Array,
  ): void;
  writeFileAtomic(folder: string, name: string, data: Uint8Array): boolean;
}

/** The libuv UDP handle behind a dgram socket, with the two internals this needs. */
export interface UdpHandle {
  fd: number;
  recvStop(): number;
}

let binding: Binding | undefined;
let problem: string | undefined;

/**
 * One of this package's built modules (build/Release/NAME.node), or why it did not load (`what`
 * names it in that message).
 */
export function requireAddon<T>(name: string, what: string): { addon?: T; problem?: string } {
  try {
    return { addon: createRequire(import.meta.url)(`../build/Release/${name}.node`) as T };
  } catch (error) {
    return { problem: `${what} did not load: ${(error as Error).message.split('\n')[0]}` };
  }
}

/** The addon, or undefined (see nativeUdpProblem). */
export function load(): Binding | undefined {
  if (binding !== undefined || problem !== undefined) return binding;
  if (process.platform !== 'linux') {
    problem = `recvmmsg and sendmmsg are Linux only (this is ${process.platform})`;
    return undefined;
  }
  ({ addon: binding, problem } = requireAddon<Binding>('udp_native', 'the native UDP addon'));
  return binding;
}

/** Why the addon is unavailable here, or undefined when it is loaded. */
export function nativeUdpProblem(): string | undefined {
  load();
  return problem;
}

/**
 * The socket's libuv handle, through dgram's state symbol (the `_handle` getter prints a
 * deprecation warning). Undefined when Node's internals do not look as expected, or before the
 * socket has a file descriptor (it gets one when bound).
 */
export function udpHandle(socket: dgram.Socket): UdpHandle | undefined {
  const state = Object.getOwnPropertySymbols(socket).find((symbol) => symbol.description === 'state symbol');
  const handle =
    state === undefined
      ? undefined
      : (socket as unknown as Record<symbol, { handle?: unknown }>)[state]?.handle;
  if (typeof handle !== 'object' || handle === null) return undefined;
  const { fd, recvStop } = handle as Partial<UdpHandle>;
  if (typeof recvStop !== 'function' || typeof fd !== 'number' || !Number.isInteger(fd) || fd < 0)
    return undefined;
  return handle as UdpHandle;
}
