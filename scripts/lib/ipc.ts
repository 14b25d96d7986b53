/**
 * The tiny request/reply protocol between bench-receiver and its two child processes, over
 * Node's IPC channel: the parent sends one command at a time and waits for the child's reply.
 */
import type { ChildProcess } from 'node:child_process';
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
  frameBytes: number;
  /** Frames emitted whose bytes are not the frame sent (stitched from two frames). */
  framesCorrupt: number;
  framesDropped: number;
  /** CPU time of the whole receiver process (all threads), µs. */
  cpuUserUs: number;
  cpuSystemUs: number;
  /** Wall time since the reset, ms. */
  wallMs: number;
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
  bytes: number;
  frames: number;
  /** From the first send to the last, ms. */
  elapsedMs: number;
  sendErrors: number;
  cpuUs: number;
  /** Largest lag behind the schedule, ms (a generator that cannot keep up lags more and more). */
  maxLagMs: number;
}

/** A child process driven by request/reply messages. */
export class ChildWorker<Command extends { type: string }> {
  readonly process: ChildProcess;
  readonly #waiting: ((message: unknown) => void)[] = [];
  readonly #early: unknown[] = [];
  #exited = false;

  /** Starts `node [nodeFlags] script args`, pinned to `core` (undefined: unpinned). */
  constructor(
    script: string,
    args: readonly string[],
    core: number | undefined,
    nodeFlags: readonly string[] = [],
  ) {
    this.process = spawnPinned(core, [process.execPath, ...nodeFlags, script, ...args], {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    this.process.on('message', (message) => {
      const waiter = this.#waiting.shift();
      if (waiter) waiter(message);
      else this.#early.push(message);
    });
    this.process.on('exit', (code, signal) => {
      this.#exited = true;
      const error = new Error(`${script} exited (${signal ?? code}) before replying`);
      for (const waiter of this.#waiting.splice(0)) waiter(error);
    });
  }

  /** The next message from the child (its reply), or a rejection after `timeoutMs`. */
  next<Reply>(timeoutMs: number): Promise<Reply> {
    const early = this.#early.shift();
    if (early !== undefined) return Promise.resolve(early as Reply);
    if (this.#exited) return Promise.reject(new Error('child process has exited'));
    return new Promise<Reply>((resolve, reject) => {
      const timer = setTimeout(() => {
        const at = this.#waiting.indexOf(waiter);
        if (at >= 0) this.#waiting.splice(at, 1);
        reject(new Error(`no reply from child process within ${timeoutMs} ms`));
      }, timeoutMs);
      const waiter = (message: unknown) => {
        clearTimeout(timer);
        if (message instanceof Error) reject(message);
        else resolve(message as Reply);
      };
      this.#waiting.push(waiter);
    });
  }

  /** Sends a command and waits for the reply. */
  request<Reply>(command: Command, timeoutMs = 10_000): Promise<Reply> {
    const reply = this.next<Reply>(timeoutMs);
    this.process.send(command);
    return reply;
  }

  /** Asks the child to exit, then kills it if it has not within 2 s. */
  async close(): Promise<void> {
    if (this.#exited) return;
    const exited = new Promise<void>((resolve) => this.process.once('exit', () => resolve()));
    if (this.process.connected) this.process.send({ type: 'exit' });
    const timer = setTimeout(() => this.process.kill('SIGKILL'), 2_000);
    await exited;
    clearTimeout(timer);
  }
}
