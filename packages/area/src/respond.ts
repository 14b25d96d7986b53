/** The area server's bounded JSON body reader (JSON and JPEG answers: @udpcam/common's sendJson, sendJpeg). */
import type { IncomingMessage } from 'node:http';
import { requestError } from '@udpcam/common';

/**
 * The request's JSON body, at most `maxBytes`. Only `Content-Type: application/json` is read:
 * another web site can send that cross-origin only after a CORS preflight, which this server
 * never grants — so a page elsewhere cannot make it write files.
 */
export async function readJson(request: IncomingMessage, maxBytes = 64 * 1024): Promise<unknown> {
  if (!/^application\/json\b/i.test(request.headers['content-type'] ?? '')) {
    throw requestError(415, 'send the body as Content-Type: application/json');
  }
  const chunks: Buffer[] = [];
  let bytes = 0;
  for await (const chunk of request as AsyncIterable<Buffer>) {
    bytes += chunk.length;
    if (bytes > maxBytes) throw requestError(413, `the body is larger than ${maxBytes} bytes`);
    chunks.push(chunk);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch (error) {
    throw requestError(400, `the body is not JSON: ${(error as Error).message}`);
  }
}
