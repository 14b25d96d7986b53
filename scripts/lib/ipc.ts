/**
 * Request/reply with a bench's node child processes over Node's IPC channel. Children echo each
 * request's `id` in their reply.
 */
import type { ChildProcess } from 'node:child_process';
import path from 'node:path';
import { spawnPinned } from './pin.js';

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
