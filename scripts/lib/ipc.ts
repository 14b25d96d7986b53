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
  /** Who waits: a request under its id; next() callers under negative keys, in arrival order. */
  readonly #waiting = new Map<number, (message: unknown) => void>();
  /** Messages that answer no request and came before anyone waited for them. */
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
      const id = message?.id;
      const key =
        typeof id === 'number' && this.#waiting.has(id)
          ? id
          : [...this.#waiting.keys()].find((key) => key < 0);
      const waiter = key === undefined ? onMessage : this.#waiting.get(key);
      if (key !== undefined) this.#waiting.delete(key);
      if (waiter) waiter(message);
      else this.#early.push(message);
    });
    this.process.on('exit', (code, signal) => {
      this.#exited = true;
      const error = new Error(`${path.basename(script)} exited (${signal ?? code}) before replying`);
      for (const waiter of this.#waiting.values()) waiter(error);
      this.#waiting.clear();
    });
  }

  /** Waits for the message handed to `key`'s waiter (an Error rejects), or rejects after `timeoutMs`. */
  #wait<Reply>(key: number, timeoutMs: number): Promise<Reply> {
    if (this.#exited) return Promise.reject(new Error('child process has exited'));
    return new Promise<Reply>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waiting.delete(key);
        reject(new Error(`no reply from child process within ${timeoutMs} ms`));
      }, timeoutMs);
      this.#waiting.set(key, (message) => {
        clearTimeout(timer);
        if (message instanceof Error) reject(message);
        else resolve(message as Reply);
      });
    });
  }

  /** The next message that answers no request (e.g. 'ready'), or a rejection after `timeoutMs`. */
  next<Reply>(timeoutMs: number): Promise<Reply> {
    if (this.#early.length > 0) return Promise.resolve(this.#early.shift() as Reply);
    return this.#wait(-this.#nextId++, timeoutMs);
  }

  /** Sends a command and waits for the reply that carries its id. */
  request<Reply>(command: Command, timeoutMs = 10_000): Promise<Reply> {
    const id = this.#nextId++;
    const reply = this.#wait<Reply>(id, timeoutMs);
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
