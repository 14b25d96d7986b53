/**
 * One worker thread serving requests one at a time, in order — the plumbing behind WorkerCodec
 * (jpeg-js) and WorkerWarp (the area warp). Byte buffers are transferred, never copied here: the
 * caller decides what to copy. The worker starts on first use, holds the process open only while
 * a request is pending, and is restarted if it dies; close() ends it and fails what is pending.
 */
import { parentPort, Worker } from 'node:worker_threads';
import { ERRORS, type ErrorCode, UdpcamError } from '@udpcam/protocol';

/** What every reply carries: the request's id, and on failure the error's message and code. */
export type WorkerReply<T> =
  | ({ id: number; ok: true } & T)
  | { id: number; ok: false; message: string; code: string | undefined };

/** A request as the caller gives it: without the id (distributes over a union of requests). */
export type WithoutId<T> = T extends unknown ? Omit<T, 'id'> : never;

interface Pending<T> {
  resolve: (reply: { id: number; ok: true } & T) => void;
  reject: (error: unknown) => void;
}

/** A failed reply as the error it was in the worker (a UdpcamError keeps its code). */
function replyError(reply: { message: string; code: string | undefined }): Error {
  const code = reply.code;
  if (code !== undefined && Object.hasOwn(ERRORS, code))
    return new UdpcamError(code as ErrorCode, reply.message);
  return new Error(reply.message);
}

export class WorkerClient<Request extends { id: number }, Result> {
  readonly #url: URL;
  readonly #what: string;
  readonly #workerData: unknown;
  #worker: Worker | undefined;
  readonly #pending = new Map<number, Pending<Result>>();
  #nextId = 0;
  #closed = false;

  /** `what` names the worker in errors ("the JPEG worker"). */
  constructor(url: URL, what: string, workerData?: unknown) {
    this.#url = url;
    this.#what = what;
    this.#workerData = workerData;
  }

  /** Thread id of the worker (undefined before first use): lets tests see the work moved. */
  get threadId(): number | undefined {
    return this.#worker?.threadId;
  }

  /** Sends `request` (its id is set here), transferring `transfer`; resolves with the reply. */
  call(request: WithoutId<Request>, transfer: ArrayBuffer[]): Promise<{ id: number; ok: true } & Result> {
    if (this.#closed) return Promise.reject(this.#closedError());
    const worker = this.#ensureWorker();
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      worker.ref();
      worker.postMessage({ ...request, id }, transfer);
    });
  }

  /** Ends the worker; pending requests reject with UDPCAM_ERR_CLOSED. Idempotent. */
  async close(): Promise<void> {
    this.#closed = true;
    const worker = this.#worker;
    this.#worker = undefined;
    this.#failAll(this.#closedError());
    if (worker) await worker.terminate();
  }

  #closedError(): UdpcamError {
    return new UdpcamError('UDPCAM_ERR_CLOSED', `${this.#what} was closed`);
  }

  #ensureWorker(): Worker {
    if (this.#worker) return this.#worker;
    const worker = new Worker(this.#url, { workerData: this.#workerData });
    worker.unref();
    worker.on('message', (reply: WorkerReply<Result>) => {
      const pending = this.#pending.get(reply.id);
      if (!pending) return;
      this.#pending.delete(reply.id);
      if (this.#pending.size === 0) worker.unref();
      if (reply.ok) pending.resolve(reply);
      else pending.reject(replyError(reply));
    });
    const lost = (error: unknown) => {
      if (this.#worker !== worker) return;
      this.#worker = undefined; // the next request starts a fresh one
      this.#failAll(error);
    };
    worker.on('error', lost);
    worker.on('exit', (code) => lost(new Error(`${this.#what} exited with code ${code}`)));
    this.#worker = worker;
    return worker;
  }

  #failAll(error: unknown): void {
    const pending = [...this.#pending.values()];
    this.#pending.clear();
    for (const { reject } of pending) reject(error);
  }
}

/** `bytes` as a Uint8Array that owns its whole ArrayBuffer, so it can be transferred. */
export function transferable(bytes: Uint8Array): Uint8Array {
  if (
    bytes.byteOffset === 0 &&
    bytes.byteLength === bytes.buffer.byteLength &&
    bytes.buffer instanceof ArrayBuffer
  ) {
    return bytes;
  }
  return new Uint8Array(bytes);
}

/**
 * The worker's side: answers each request with what `handle` returns (its `data` transferred),
 * or with the message and UdpcamError code of what it threw.
 */
export function serveRequests<Request extends { id: number }, Result extends { data: Uint8Array }>(
  handle: (request: Request) => Result,
): void {
  parentPort?.on('message', (request: Request) => {
    let reply: WorkerReply<Result>;
    try {
      reply = { id: request.id, ok: true, ...handle(request) };
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      reply = {
        id: request.id,
        ok: false,
        message,
        code: error instanceof UdpcamError ? error.code : undefined,
      };
    }
    parentPort?.postMessage(reply, reply.ok ? [reply.data.buffer as ArrayBuffer] : []);
  });
}
