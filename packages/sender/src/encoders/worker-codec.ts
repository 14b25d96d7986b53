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
 * it); results are transferred, never copied. Requests run one at a time, in order (WorkerClient).
 */
import { WorkerClient } from '../worker-client.js';
import type { CodecRequest, CodecResult } from './codec-worker.js';
import { assertQuality, assertRgbaSize, DEFAULT_QUALITY, type JpegCodec, type RgbaImage } from './encoder.js';

const WORKER_URL = new URL('./codec-worker.js', import.meta.url);

export class WorkerCodec implements JpegCodec {
  readonly name = 'jpeg-js-worker';
  readonly #client = new WorkerClient<CodecRequest, CodecResult>(WORKER_URL, 'the JPEG worker');

  /** Thread id of the worker (undefined before first use): lets tests see the work moved. */
  get threadId(): number | undefined {
    return this.#client.threadId;
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
    const reply = await this.#client.call({ op: 'encode', data, width, height, quality }, [
      data.buffer as ArrayBuffer,
    ]);
    return Buffer.from(reply.data.buffer, reply.data.byteOffset, reply.data.byteLength);
  }

  async decode(jpeg: Buffer): Promise<RgbaImage> {
    const data = new Uint8Array(jpeg);
    const reply = await this.#client.call({ op: 'decode', data }, [data.buffer as ArrayBuffer]);
    return {
      data: Buffer.from(reply.data.buffer, reply.data.byteOffset, reply.data.byteLength),
      width: reply.width,
      height: reply.height,
    };
  }

  /** Ends the worker; pending requests reject with UDPCAM_ERR_CLOSED. Idempotent. */
  close(): Promise<void> {
    return this.#client.close();
  }
}
