/**
 * Request/reply with a bench's node child processes over Node's IPC channel (ChildWorker), and
 * the messages of bench-receiver's two children (lib/receiver-child.ts, lib/load-child.ts).
 * Children echo each request's `id` in their reply.
 */
import type { ChildProcess } from 'node:child_process';
import path from 'node:path';
import { spawnPinned } from './pin.js';

/** Commands the receiver child understands. */
export type ReceiverCommand = { type: 'reset' } | { type: 'poll' } | { type: 'stop' } | { type: 'exit' };

/** Commands the load generator child understands. */
export type LoadCommand =
  | { type: 'connect'; port: number }
  | { type: 'run'; rate: number; durationMs: number }
  | { type: 'exit' };

/** A child's first message, once it is ready. */
export interface ReceiverReady {
  type: 'ready';
  port: number;
  /** Receive buffer the kernel granted (as getsockopt reports it: twice what it books). */
  recvBufferBytes: number;
  recvBufferCappedBy: number | undefined;
}

export interface LoadReady {
  type: 'ready';
  frames: number;
  frameBytes: number;
  datagramsPerFrame: number;
  datagramBytes: number;
  encodeMs: number;
}

/** Counters the receiver child reports, since the last reset. */
export interface ReceiverCounts {
  type: 'counts';
  datagrams: number;
  bytes: number;
  frames: number;
  /** Frames emitted whose bytes are not the frame sent (stitched from two frames). */
  framesCorrupt: number;
  framesDropped: number;
  /** CPU time of the whole receiver process (all threads), µs. */
  cpuUs: number;
  /** Garbage collection: pauses and their total, ms. */
  gcCount: number;
  gcMs: number;
  gcMaxMs: number;
  disk?: { written: number; skipped: number; failed: number; flushMs: number };
}

/** What one paced run of the load generator did. */
export interface LoadReport {
  type: 'report';
  sent: number;
  frames: number;
  /** From the first send to the last, ms. */
  elapsedMs: number;
  sendErrors: number;
  cpuUs: number;
  /** Largest lag behind the schedule, ms (a generator that cannot keep up lags more and more). */
  maxLagMs: number;
}

/** How a ChildWorker runs its child. */
export interface ChildWorkerOptions {
  /** Node flags before the script (--cpu-prof, --import …). */
  nodeFlags?: readonly string[];
  /** The child's stdout and stderr: inherited (default) or piped for the caller to read. */
  stdio?: 'inherit' | 'pipe';
  /** Messages that answer no request; without it they wait in a queue for next(). */
  onMessage?(message: unknown): void;
}

/**
 * A node child process driven over its IPC channel: request() sends `{...command, id}` and
 * resolves with the message that carries the same id back (so a child may also post messages of
 * its own); next() takes the messages that answer no request, such as the first, 'ready'.
 */
export class ChildWorker<Command extends { type: string }> {
  readonly process: ChildProcess;
  readonly #waiting = new Map<number, (message: unknown) => void>();
  readonly #queue: ((message: unknown) => void)[] = [];
  readonly #early: unknown[] = [];
  #nextId = 1;
  #exited = false;

  /** Starts `node [nodeFlags] script args`, pinned to `core` (undefined: unpinned). */
  constructor(
    script: string,
    args: readonly string[],
    core: number | undefined,
    options: ChildWorkerOptions = {},
  ) {
    const { nodeFlags = [], stdio = 'inherit', onMessage } = options;
    this.process = spawnPinned(core, [process.execPath, ...nodeFlags, script, ...args], {
      stdio: ['ignore', stdio, stdio, 'ipc'],
    });
    this.process.on('message', (message: { id?: unknown }) => {
      const waiter = typeof message?.id === 'number' ? this.#waiting.get(message.id) : undefined;
      if (waiter) this.#waiting.delete(message.id as number);
      const take = waiter ?? this.#queue.shift() ?? onMessage;
      if (take) take(message);
      else this.#early.push(message);
    });
    this.process.on('exit', (code, signal) => {
      this.#exited = true;
      const error = new Error(`${path.basename(script)} exited (${signal ?? code}) before replying`);
      for (const waiter of [...this.#waiting.values(), ...this.#queue.splice(0)]) waiter(error);
      this.#waiting.clear();
    });
  }

  /** Waits for `register`'s reply (an Error rejects), or rejects after `timeoutMs`. */
  #wait<Reply>(
    timeoutMs: number,
    register: (waiter: (message: unknown) => void) => () => void,
  ): Promise<Reply> {
    if (this.#exited) return Promise.reject(new Error('child process has exited'));
    return new Promise<Reply>((resolve, reject) => {
      const unregister = register((message) => {
        clearTimeout(timer);
        if (message instanceof Error) reject(message);
        else resolve(message as Reply);
      });
      const timer = setTimeout(() => {
        unregister();
        reject(new Error(`no reply from child process within ${timeoutMs} ms`));
      }, timeoutMs);
    });
  }

  /** The next message that answers no request (e.g. 'ready'), or a rejection after `timeoutMs`. */
  next<Reply>(timeoutMs: number): Promise<Reply> {
    if (this.#early.length > 0) return Promise.resolve(this.#early.shift() as Reply);
    return this.#wait(timeoutMs, (waiter) => {
      this.#queue.push(waiter);
      return () => {
        const at = this.#queue.indexOf(waiter);
        if (at >= 0) this.#queue.splice(at, 1);
      };
    });
  }

  /** Sends a command and waits for the reply that carries its id. */
  request<Reply>(command: Command, timeoutMs = 10_000): Promise<Reply> {
    const id = this.#nextId++;
    const reply = this.#wait<Reply>(timeoutMs, (waiter) => {
      this.#waiting.set(id, waiter);
      return () => this.#waiting.delete(id);
    });
    if (!this.#exited) this.process.send({ ...command, id });
    return reply;
  }

  /** Asks the child to exit, then kills it if it has not within `killAfterMs`. */
  async close(killAfterMs = 2_000): Promise<void> {
    if (this.#exited) return;
    const exited = new Promise<void>((resolve) => this.process.once('exit', () => resolve()));
    if (this.process.connected) this.process.send({ type: 'exit' });
    const timer = setTimeout(() => this.process.kill('SIGKILL'), killAfterMs);
    await exited;
    clearTimeout(timer);
  }
}
