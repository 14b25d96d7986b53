/** Raw HTTP/1.1 over a TCP socket (or a TLS session), for request targets and headers a real client would refuse to send. */
import net from 'node:net';
import tls from 'node:tls';

/** What came back: the status (0 when the server closed without answering) and the raw text. */
export interface RawAnswer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** Parses a raw HTTP response's status line, headers and body. */
function parse(text: string): RawAnswer {
  const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(text)?.[1] ?? 0);
  const [head = '', ...rest] = text.split('\r\n\r\n');
  const headers: Record<string, string> = {};
  for (const line of head.split('\r\n').slice(1)) {
    const colon = line.indexOf(':');
    if (colon > 0) headers[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim();
  }
  return { status, headers, body: rest.join('\r\n\r\n') };
}

/**
 * Writes `raw` (bytes as given, nothing added) to host:port and reads until the server closes or
 * `timeoutMs` passes (then the socket is closed and what came so far is returned).
 */
export function rawRequest(
  port: number,
  raw: string | Buffer,
  host = '127.0.0.1',
  timeoutMs = 5000,
): Promise<RawAnswer> {
  return exchange(net.connect({ port, host }), 'connect', raw, timeoutMs);
}

/**
 * As rawRequest, over TLS: the handshake is done by Node's client, which verifies the server's
 * certificate against `ca` (a handshake that fails counts as no answer, status 0); then `raw`
 * goes inside the TLS session as it is.
 */
export function rawTlsRequest(
  port: number,
  raw: string | Buffer,
  ca: string,
  host = '127.0.0.1',
  timeoutMs = 5000,
): Promise<RawAnswer> {
  return exchange(tls.connect({ port, host, ca }), 'secureConnect', raw, timeoutMs);
}

/** Writes `raw` once `socket` emits `ready`, then collects the answer (see rawRequest). */
function exchange(
  socket: net.Socket,
  ready: 'connect' | 'secureConnect',
  raw: string | Buffer,
  timeoutMs: number,
): Promise<RawAnswer> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    const finish = () => {
      clearTimeout(timer);
      socket.destroy();
      resolve(parse(Buffer.concat(chunks).toString('latin1')));
    };
    const timer = setTimeout(finish, timeoutMs);
    socket.on(ready, () => socket.write(raw));
    socket.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      // One whole answer with Content-Length is enough; keep-alive would otherwise wait for the timeout.
      const answer = parse(Buffer.concat(chunks).toString('latin1'));
      const length = Number(answer.headers['content-length']);
      if (answer.status > 0 && Number.isFinite(length) && Buffer.byteLength(answer.body, 'latin1') >= length)
        finish();
    });
    socket.on('error', finish);
    socket.on('close', finish);
  });
}

/** `METHOD target HTTP/1.1` with a Host header (and `headers`), connection closed after. */
export function rawGet(
  port: number,
  target: string,
  headers: Record<string, string> = {},
  method = 'GET',
  host = '127.0.0.1',
): Promise<RawAnswer> {
  const lines = [`${method} ${target} HTTP/1.1`];
  const all = {
    Host: host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`,
    Connection: 'close',
    ...headers,
  };
  for (const [name, value] of Object.entries(all)) lines.push(`${name}: ${value}`);
  return rawRequest(port, `${lines.join('\r\n')}\r\n\r\n`, host);
}
