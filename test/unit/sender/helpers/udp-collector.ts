/**
 * A real UDP socket on loopback that records every datagram with its arrival time and feeds
 * them to a FrameAssembler, for tests that check what a Sender or Transmitter put on the wire.
 * The socket lives on a worker thread (udp-collector-worker.ts): the sender under test blocks
 * the main thread while it encodes, which would otherwise delay reads and skew arrival times.
 */
import { once } from 'node:events';
import { Worker } from 'node:worker_threads';
import { type AssembledFrame, FrameAssembler } from '@udpcam/protocol';

export interface ReceivedDatagram {
  datagram: Buffer;
  /** When the worker read it, on this thread's performance.now() timeline (ms). */
  at: number;
}

export interface ReceivedFrame extends AssembledFrame {
  at: number;
}

interface WorkerMessage {
  port?: number;
  error?: string;
  datagram?: Uint8Array;
  at?: number;
  from?: string;
}

export class UdpCollector {
  readonly datagrams: ReceivedDatagram[] = [];
  readonly frames: ReceivedFrame[] = [];
  assembler = UdpCollector.#newAssembler();
  readonly #waiters = new Set<() => void>();

  private constructor(
    readonly worker: Worker,
    readonly host: string,
    readonly port: number,
  ) {
    worker.on('message', (message: WorkerMessage) => {
      if (message.datagram === undefined) return;
      const datagram = Buffer.from(
        message.datagram.buffer,
        message.datagram.byteOffset,
        message.datagram.length,
      );
      const at = message.at! - performance.timeOrigin;
      this.datagrams.push({ datagram, at });
      const frame = this.assembler.push(datagram, message.from!, at);
      if (frame) this.frames.push({ ...frame, at });
      for (const wake of this.#waiters) wake();
    });
  }

  /** Binds a collector to an ephemeral port on `host` (127.0.0.1 or ::1). */
  static async open(host = '127.0.0.1'): Promise<UdpCollector> {
    const worker = new Worker(new URL('./udp-collector-worker.js', import.meta.url), {
      workerData: { host },
    });
    try {
      const [message] = (await once(worker, 'message')) as [WorkerMessage];
      if (message.port === undefined) throw new Error(`collector cannot bind ${host}: ${message.error}`);
      return new UdpCollector(worker, host, message.port);
    } catch (error) {
      await worker.terminate();
      throw error;
    }
  }

  /** Forgets everything received so far (and the assembler's state). */
  reset(): void {
    this.datagrams.length = 0;
    this.frames.length = 0;
    this.assembler = UdpCollector.#newAssembler();
  }

  // The assembler's defaults: no clock ends a frame mid-way, so a stalled collector loses nothing.
  static #newAssembler(): FrameAssembler {
    return new FrameAssembler();
  }

  /** Datagrams whose type byte is 'S': one per frame sent. */
  get starts(): ReceivedDatagram[] {
    return this.datagrams.filter((d) => d.datagram[0] === 0x53);
  }

  /** Resolves when `done()` holds; rejects after `timeoutMs` (only a guard against hangs). */
  async waitFor(done: () => boolean, timeoutMs = 20_000): Promise<void> {
    if (done()) return;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waiters.delete(check);
        reject(new Error(`timed out after ${timeoutMs} ms (${this.datagrams.length} datagrams so far)`));
      }, timeoutMs);
      const check = () => {
        if (!done()) return;
        clearTimeout(timer);
        this.#waiters.delete(check);
        resolve();
      };
      this.#waiters.add(check);
    });
  }

  /** Closes the socket and ends the worker. */
  async close(): Promise<void> {
    const exited = once(this.worker, 'exit');
    this.worker.postMessage('close');
    await exited;
  }
}
