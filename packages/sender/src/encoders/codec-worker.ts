/**
 * The worker side of WorkerCodec: runs jpeg-js off the main thread. One request at a time, in
 * order; input bytes arrive transferred, results leave transferred (a fresh ArrayBuffer each).
 */
import { parentPort } from 'node:worker_threads';
import { UdpcamError } from '@udpcam/protocol';
import { jpegJsDecode, jpegJsEncode } from './jpeg-js.js';

/** A request from WorkerCodec. */
export type CodecRequest =
  | { id: number; op: 'encode'; data: Uint8Array; width: number; height: number; quality: number }
  | { id: number; op: 'decode'; data: Uint8Array };

/** The answer to one request. */
export type CodecReply =
  | { id: number; ok: true; data: Uint8Array; width: number; height: number }
  | { id: number; ok: false; message: string; code: string | undefined };

/** `bytes` as a Uint8Array that owns its whole ArrayBuffer, so it can be transferred. */
function transferable(bytes: Uint8Array): Uint8Array {
  if (
    bytes.byteOffset === 0 &&
    bytes.byteLength === bytes.buffer.byteLength &&
    bytes.buffer instanceof ArrayBuffer
  ) {
    return bytes;
  }
  return new Uint8Array(bytes);
}

function handle(request: CodecRequest): CodecReply {
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
    return {
      id: request.id,
      ok: false,
      message: error instanceof Error ? error.message : String(error),
      code: error instanceof UdpcamError ? error.code : undefined,
    };
  }
}

parentPort?.on('message', (request: CodecRequest) => {
  const reply = handle(request);
  parentPort?.postMessage(reply, reply.ok ? [reply.data.buffer as ArrayBuffer] : []);
});
