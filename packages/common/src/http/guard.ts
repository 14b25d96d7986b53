/**
 * What stands in front of every request to a udpcam web server (the receiver, the area tool):
 * a defensive parse of the request target, the Host and Origin checks against DNS rebinding and
 * cross-site writes, security headers, timeouts, and one error boundary, so no request and no
 * socket event can end the process (issue 11, findings 1, 6, 8 and 16).
 */
import type http from 'node:http';
import { type IncomingMessage, type ServerResponse, STATUS_CODES } from 'node:http';
import type https from 'node:https';
import { isIP } from 'node:net';
import { hostname } from 'node:os';
import type { Duplex } from 'node:stream';
import { isUdpcamError, UdpcamError } from '@udpcam/protocol';
import { sendJson } from './page.js';

/** A request a server does not take: answered with `status` and the message (see answerError). */
export function requestError(status: number, message: string): UdpcamError {
  return new UdpcamError('UDPCAM_ERR_HTTP_REQUEST', message, { status });
}

/** Options of `guardServer`. */
export interface GuardOptions {
  /**
   * Host names (no port) accepted in the Host header besides IP literals, `localhost`, `*.localhost`
   * and this machine's name. A DNS name an attacker controls is what DNS rebinding needs.
   */
  allowedHosts?: readonly string[];
  /** Whole-request timeout: until the request (headers and body) is in (ms). */
  requestTimeoutMs?: number;
  /** Until the request's headers are in (ms). */
  headersTimeoutMs?: number;
  /** An idle keep-alive connection is closed after this long (ms). */
  keepAliveTimeoutMs?: number;
}

/**
 * Headers on every answer: no MIME sniffing, no framing by other sites (clickjacking), no
 * referrer (a page URL may carry `?token=`), and a CSP that lets the pages load only their own files.
 */
const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  'Referrer-Policy': 'no-referrer',
  'Content-Security-Policy':
    "default-src 'self'; img-src 'self' blob: data:; style-src 'self'; script-src 'self'; connect-src 'self' blob:; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
};

/** Default timeouts (ms): headers 10 s, the whole request 30 s, an idle keep-alive 5 s. */
export const GUARD_TIMEOUTS = {
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 30_000,
  keepAliveTimeoutMs: 5_000,
};

/** The host part of a Host header (`name`, `1.2.3.4`, `::1`), lower case; undefined when malformed. */
function hostOf(header: string): string | undefined {
  const match = /^(?:\[([0-9a-fA-F:.]+)\]|([A-Za-z0-9.-]+))(?::(\d{1,5}))?$/.exec(header);
  if (!match) return undefined;
  return (match[1] ?? match[2]!).toLowerCase();
}

/** True when `host` (no port) may appear in a Host header; see GuardOptions.allowedHosts. */
function isAllowedHost(host: string, allowedHosts: readonly string[] = []): boolean {
  const name = host.toLowerCase().replace(/\.$/, '');
  // An IP literal cannot be rebound: the browser's origin is the address itself.
  if (isIP(name) !== 0) return true;
  if (name === 'localhost' || name.endsWith('.localhost')) return true;
  const self = hostname().toLowerCase();
  if (name === self || name === `${self}.local`) return true;
  return allowedHosts.some((allowed) => allowed.toLowerCase() === name);
}

/**
 * The request target as a URL, or a requestError (400 for a malformed or foreign target, 421 for a
 * Host this server does not answer to). Only origin-form (`/path?query`, one leading slash) and
 * absolute-form naming an accepted host are routed: `//x/metrics` and `/\x/metrics` would
 * otherwise reach `/metrics` past a proxy's path rules.
 */
function parseTarget(request: IncomingMessage, allowedHosts: readonly string[] = []): URL {
  const target = request.url ?? '';
  const hostHeader = request.headers.host;
  if (hostHeader !== undefined) {
    const host = hostOf(hostHeader);
    if (host === undefined) throw requestError(400, 'malformed Host header');
    if (!isAllowedHost(host, allowedHosts)) {
      throw requestError(421, `this server does not answer to host ${host}; see --allow-host`);
    }
  }
  if (/^\/(?![/\\])/.test(target)) {
    // Control characters and raw backslashes have no place in a path; Node lets some through.
    // biome-ignore lint/suspicious/noControlCharactersInRegex: refusing control characters is the point
    if (/[\u0000-\u001f\u007f\\]/.test(target)) throw requestError(400, 'bad request target');
    return targetUrl(target, 'http://udpcam');
  }
  if (/^https?:\/\//i.test(target)) {
    const url = targetUrl(target);
    const host = url.hostname.replace(/^\[|\]$/g, '');
    if (url.username || url.password || !isAllowedHost(host, allowedHosts)) {
      throw requestError(400, 'request target names another host');
    }
    return new URL(`${url.pathname}${url.search}`, 'http://udpcam');
  }
  throw requestError(400, 'request target must be a path starting with one /');
}

function targetUrl(target: string, base?: string): URL {
  if (!URL.canParse(target, base)) throw requestError(400, 'bad request target');
  return new URL(target, base);
}

/**
 * Refuses a state-changing request (anything but GET, HEAD, OPTIONS) that a browser sent from
 * another site: its Origin must be this server's own (same Host), and Sec-Fetch-Site, when sent,
 * must not be cross-site.
 */
function checkOrigin(request: IncomingMessage): void {
  const method = request.method ?? 'GET';
  if (method === 'GET' || method === 'HEAD' || method === 'OPTIONS') return;
  const site = request.headers['sec-fetch-site'];
  if (site === 'cross-site' || site === 'same-site') throw requestError(403, 'cross-site request refused');
  const origin = request.headers.origin;
  if (origin === undefined) return;
  const originHost = URL.canParse(origin) ? new URL(origin).host.toLowerCase() : undefined;
  if (originHost !== (request.headers.host ?? '').toLowerCase()) {
    throw requestError(403, 'cross-site request refused');
  }
}

/**
 * The one way an error is answered (every 4xx/5xx of the receiver's routes, the guard and auth):
 * `{ error: message, ...details }` as JSON with Content-Type, Content-Length, no caching and the
 * security headers, plus `headers` (Allow, WWW-Authenticate, Retry-After…).
 */
export function sendError(
  response: ServerResponse,
  status: number,
  message: string,
  details?: Readonly<Record<string, unknown>>,
  headers?: Readonly<Record<string, string | readonly string[]>>,
): void {
  for (const [name, value] of Object.entries({ ...SECURITY_HEADERS, ...headers })) {
    if (!(name in SECURITY_HEADERS) || !response.hasHeader(name)) response.setHeader(name, value);
  }
  sendJson(response, status, { error: message, ...details });
}

/** Answers an error as JSON when nothing was sent yet, else cuts the connection. */
function answerError(response: ServerResponse, error: unknown): void {
  if (response.headersSent || response.destroyed) {
    response.destroy();
    return;
  }
  const status = isUdpcamError(error) ? error.status : undefined;
  try {
    sendError(response, status ?? 500, status === undefined ? 'internal error' : (error as Error).message);
  } catch {
    response.destroy();
  }
}

/** Answers on a bare socket (no ServerResponse exists for it) and closes it. */
function rawAnswer(socket: Duplex, status: number, message: string): void {
  socket.on('error', () => {});
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  const body = JSON.stringify({ error: message });
  const head = [
    `HTTP/1.1 ${status} ${STATUS_CODES[status]}`,
    'Content-Type: application/json; charset=utf-8',
    `Content-Length: ${Buffer.byteLength(body)}`,
    ...Object.entries(SECURITY_HEADERS).map(([name, value]) => `${name}: ${value}`),
    'Connection: close',
  ];
  socket.end(`${head.join('\r\n')}\r\n\r\n${body}`);
}

/** A request handler behind the guard: the parsed URL comes with it. */
export type GuardedHandler = (request: IncomingMessage, response: ServerResponse, url: URL) => unknown;

/**
 * Puts the guard in front of `handler` on `server`: timeouts, 'clientError' answered with 400,
 * socket errors swallowed, Host/target/Origin checks, security headers, and any throw or
 * rejection of the handler answered (or the connection cut) instead of ending the process.
 */
export function guardServer(
  server: http.Server | https.Server,
  handler: GuardedHandler,
  options: GuardOptions = {},
): void {
  const timeouts = { ...GUARD_TIMEOUTS, ...options };
  server.headersTimeout = timeouts.headersTimeoutMs;
  server.requestTimeout = timeouts.requestTimeoutMs;
  server.keepAliveTimeout = timeouts.keepAliveTimeoutMs;
  server.on('connection', (socket: Duplex) => socket.on('error', () => {}));
  // HTTPS: a failed handshake is the client's problem, never the process's.
  server.on('tlsClientError', (_error: Error, socket: Duplex) => socket.destroy());
  server.on('clientError', (error: NodeJS.ErrnoException, socket) => {
    if (error.code === 'HPE_HEADER_OVERFLOW') rawAnswer(socket, 431, 'headers too large');
    else if (error.code === 'ERR_HTTP_REQUEST_TIMEOUT') rawAnswer(socket, 408, 'request timeout');
    else rawAnswer(socket, 400, 'bad request');
  });
  // Without listeners Node drops these sockets silently: answer them like any refused request.
  server.on('connect', (_request, socket: Duplex) => rawAnswer(socket, 405, 'CONNECT is not supported'));
  server.on('upgrade', (_request, socket: Duplex) =>
    rawAnswer(socket, 400, 'protocol upgrades are not supported'),
  );
  server.on('request', (request: IncomingMessage, response: ServerResponse) => {
    request.on('error', () => {});
    response.on('error', () => {});
    try {
      for (const [name, value] of Object.entries(SECURITY_HEADERS)) response.setHeader(name, value);
      const url = parseTarget(request, options.allowedHosts);
      checkOrigin(request);
      const result = handler(request, response, url);
      if (result instanceof Promise) result.catch((error: unknown) => answerError(response, error));
    } catch (error) {
      answerError(response, error);
    }
  });
}
