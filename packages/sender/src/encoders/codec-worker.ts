/**
 * The worker side of WorkerCodec: runs jpeg-js off the main thread. One request at a time, in
 * order; input bytes arrive transferred, results leave transferred (a fresh ArrayBuffer each).
 */
import { parentPort } from 'node:worker_threads';
import { failedReply, transferable, type WorkerReply } from '../worker-client.js';
import { jpegJsDecode, jpegJsEncode } from './jpeg-js.js';

/** A request from WorkerCodec. */
export type CodecRequest =
  | { id: number; op: 'encode'; data: Uint8Array; width: number; height: number; quality: number }
  | { id: number; op: 'decode'; data: Uint8Array };

/** What a successful reply carries: JPEG bytes (encode) or RGBA pixels (decode). */
export interface CodecResult {
  data: Uint8Array;
  width: number;
  height: number;
}

function handle(request: CodecRequest): WorkerReply<CodecResult> {
  try {
    if (request.op === 'encode') {
      const jpeg = jpegJsEncode(request.data, request.width, request.height, request.quality);
      return {
        id: request.id,
        ok: true,
        data: transferable(jpeg),
        width: request.width,
        height: request.height,
      };
    }
    const image = jpegJsDecode(request.data);
    return {
      id: request.id,
      ok: true,
      data: transferable(image.data),
      width: image.width,
      height: image.height,
    };
  } catch (error) {
    return failedReply(request.id, error);
  }
}

parentPort?.on('message', (request: CodecRequest) => {
  const reply = handle(request);
  parentPort?.postMessage(reply, reply.ok ? [reply.data.buffer as ArrayBuffer] : []);
});
