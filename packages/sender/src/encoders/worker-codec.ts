/**
 * jpeg-js on a worker thread. jpeg-js blocks whatever thread runs it for ~20-40 ms per 640x360
 * frame; here that thread is not the event loop, so a slow encode lowers the fps instead of
 * delaying datagrams, timers and a receiver in the same process.
 *
 *   main thread                          worker (codec-worker.ts)
 *   encode(rgba) ─ copy, transfer ──────▶ jpegJsEncode ─┐
 *   ◀──────────────── transfer JPEG back ───────────────┘
 *
 * The RGBA is copied once before it is transferred (the caller keeps its buffer and may reuse
 * it); results are transferred, never copied. Requests run one at a time, in order. The worker
 * starts on first use, holds the process open only while a request is pending, and is restarted
 * if it dies; close() ends it.
 */
import { Worker } from 'node:worker_threads';
import { ERROR_CODES, type ErrorCode, UdpcamError } from '@udpcam/protocol';
import type { CodecReply, CodecRequest } from './codec-worker.js';
import { assertQuality, assertRgbaSize, DEFAULT_QUALITY, type JpegCodec, type RgbaImage } from './encoder.js';

interface Pending {
  resolve: (reply: CodecReply & { ok: true }) => void;
  reject: (error: unknown) => void;
}

const WORKER_URL = new URL('./codec-worker.js', import.meta.url);

function replyError(reply: CodecReply & { ok: false }): Error {
  const code = reply.code;
  if (code !== undefined && Object.hasOwn(ERROR_CODES, code))
    return new UdpcamError(code as ErrorCode, reply.message);
  return new Error(reply.message);
}

export class WorkerCodec implements JpegCodec {
  readonly name = 'jpeg-js-worker';
  #worker: Worker | undefined;
  readonly #pending = new Map<number, Pending>();
  #nextId = 0;
  #closed = false;

  /** Thread id of the worker (undefined before first use): lets tests see the work moved. */
  get threadId(): number | undefined {
    return this.#worker?.threadId;
  }

  async encode(
    rgba: Buffer,
    width: number,
    height: number,
    quality: number = DEFAULT_QUALITY,
  ): Promise<Buffer> {
    assertQuality(quality);
    assertRgbaSize(rgba, width, height);
    const data = new Uint8Array(rgba); // a copy the worker may own
    const reply = await this.#call({ id: 0, op: 'encode', data, width, height, quality }, data);
    return Buffer.from(reply.data.buffer, reply.data.byteOffset, reply.data.byteLength);
  }

  async decode(jpeg: Buffer): Promise<RgbaImage> {
    const data = new Uint8Array(jpeg);
    const reply = await this.#call({ id: 0, op: 'decode', data }, data);
    return {
      data: Buffer.from(reply.data.buffer, reply.data.byteOffset, reply.data.byteLength),
      width: reply.width,
      height: reply.height,
    };
  }

  /** Ends the worker; pending requests reject with UDPCAM_ERR_CLOSED. Idempotent. */
  async close(): Promise<void> {
    this.#closed = true;
    const worker = this.#worker;
    this.#worker = undefined;
    this.#failAll(new UdpcamError('UDPCAM_ERR_CLOSED', 'the JPEG worker was closed'));
    if (worker) await worker.terminate();
  }

  #call(request: CodecRequest, data: Uint8Array): Promise<CodecReply & { ok: true }> {
    if (this.#closed)
      return Promise.reject(new UdpcamError('UDPCAM_ERR_CLOSED', 'the JPEG worker was closed'));
    const worker = this.#ensureWorker();
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      worker.ref();
      worker.postMessage({ ...request, id }, [data.buffer as ArrayBuffer]);
    });
  }

  #ensureWorker(): Worker {
    if (this.#worker) return this.#worker;
    const worker = new Worker(WORKER_URL);
    worker.unref();
    worker.on('message', (reply: CodecReply) => {
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
    worker.on('exit', (code) => lost(new Error(`the JPEG worker exited with code ${code}`)));
    this.#worker = worker;
    return worker;
  }

  #failAll(error: unknown): void {
    const pending = [...this.#pending.values()];
    this.#pending.clear();
    for (const { reject } of pending) reject(error);
  }
}
