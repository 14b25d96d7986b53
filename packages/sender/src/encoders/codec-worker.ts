/**
 * The worker side of WorkerCodec: runs jpeg-js off the main thread. One request at a time, in
 * order; input bytes arrive transferred, results leave transferred (a fresh ArrayBuffer each).
 */
import { serveRequests, transferable } from '../worker-client.js';
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

serveRequests<CodecRequest, CodecResult>((request) => {
  if (request.op === 'encode') {
    const { data, width, height, quality } = request;
    return { data: transferable(jpegJsEncode(data, width, height, quality)), width, height };
  }
  const image = jpegJsDecode(request.data);
  return { ...image, data: transferable(image.data) };
});
