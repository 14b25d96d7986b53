/**
 * Random and malformed HTTP requests (fast-check) for the web servers' fuzz tests: methods,
 * request targets and headers a browser would never send, written raw to a real socket.
 */
import fc from 'fast-check';
import { type RawAnswer, rawRequest } from './raw-http.js';

/** Seed: fixed so a failure replays; FUZZ_SEED=<n> explores another corner. */
export const FUZZ_SEED = Number(process.env.FUZZ_SEED ?? 11);

/** `udpcam area`'s paths. No /api/quit and no ?after= (a legitimate wait of up to 10 s): the fuzz is about malformed input. */
export const AREA_PATHS = [
  '/',
  '/index.html',
  '/app.js',
  '/style.css',
  '/api/area',
  '/frame.jpg',
  '/preview.jpg',
];

/**
 * `udpcam receive --http`'s paths. /stream.mjpg of a live camera never ends, so it is left out
 * unless `auth` is on (then it is only reached past a 401).
 */
export function receiverPaths(auth: boolean): string[] {
  return [
    '/',
    '/api/cameras',
    '/api/receiver',
    '/metrics',
    '/app.js',
    '/snapshot.jpg',
    ...(auth ? ['/stream.mjpg'] : []),
    '/cameras/x/frames',
    '/cameras/x/frame.jpg',
    '/cameras/x/frames/1.jpg',
  ];
}

const METHODS = [
  'GET',
  'HEAD',
  'POST',
  'PUT',
  'DELETE',
  'OPTIONS',
  'PATCH',
  'CONNECT',
  'TRACE',
  'PROPFIND',
  'get',
  'G ET',
  '',
];
const PREFIXES = [
  '/',
  '//',
  '/\\',
  '\\',
  '//x:99999/',
  '//[',
  '//%',
  'http://',
  'http://evil.example/',
  '*',
  '',
  '/./',
  '/../',
  '/%2e%2e/',
  '%',
  '?',
];

/** Printable text with the characters that matter to URL and header parsers. */
const mild = fc
  .array(
    fc.oneof(
      fc.constantFrom(
        '/',
        '\\',
        '%',
        '%00',
        '%2f',
        '%2e%2e',
        '%zz',
        '?',
        '#',
        ':',
        '@',
        '[',
        ']',
        '..',
        '.',
        '=',
        '&',
        ';',
        '"',
        '~',
      ),
      fc.string({ maxLength: 8 }),
    ),
    { maxLength: 12 },
  )
  .map((parts) => parts.join(''));

/** Anything: control characters, high bytes, line breaks, any code point. */
const wild = fc
  .array(
    fc.oneof(
      fc.constantFrom(' ', '\t', '\u00ff', '\u2028', '\u0000', '\r', '\n', '\r\n'),
      fc.integer({ min: 0, max: 0x10ffff }).map((c) => String.fromCodePoint(c)),
      fc.string({ maxLength: 4 }),
    ),
    { maxLength: 12 },
  )
  .map((parts) => parts.join(''));

/** Mostly `mild`, now and then `wild`: most requests get past the parser to the handlers. */
const nasty = fc.oneof({ arbitrary: mild, weight: 5 }, { arbitrary: wild, weight: 1 });

/** One raw request. `paths` are the server's own routes, so the fuzz also reaches the handlers. */
export function rawRequests(paths: readonly string[], hostHeader: string): fc.Arbitrary<string> {
  return fc.oneof(chaotic(paths, hostHeader), plausible(paths, hostHeader));
}

/** Well-formed requests with odd values: they reach the routes and their parameter parsing. */
function plausible(paths: readonly string[], hostHeader: string): fc.Arbitrary<string> {
  const token = fc.stringMatching(/^[!-~]{0,24}$/);
  const value = fc.stringMatching(/^[ -~]{0,40}$/).map((v) => v.trim());
  const query = fc.array(
    fc.tuple(fc.constantFrom('token', 'action', 'wait', 'at', 'size', 'points', 'after', 'x'), token),
    {
      maxLength: 3,
    },
  );
  return fc
    .tuple(
      fc.constantFrom('GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'OPTIONS'),
      fc.constantFrom(...paths),
      query,
      fc.array(
        fc.tuple(
          fc.constantFrom(
            'Origin',
            'Authorization',
            'Cookie',
            'Content-Type',
            'Accept',
            'Sec-Fetch-Site',
            'Range',
            'If-None-Match',
          ),
          value,
        ),
        { maxLength: 4 },
      ),
      fc.option(value, { nil: undefined }),
    )
    .map(([method, path, params, headers, body]) => {
      const search = params.map(([k, v]) => `${k}=${encodeURIComponent(v)}`).join('&');
      const lines = [
        `${method} ${path}${search ? `?${search}` : ''} HTTP/1.1`,
        `Host: ${hostHeader}`,
        'Connection: close',
      ];
      for (const [name, v] of headers) lines.push(`${name}: ${v}`);
      return request(lines, body);
    });
}

/** A request of `lines` (request line and headers), then a Content-Length and `body` if there is one. */
function request(lines: string[], body = ''): string {
  if (body !== '') lines.push(`Content-Length: ${Buffer.byteLength(body)}`);
  return `${lines.join('\r\n')}\r\n\r\n${body}`;
}

/** Anything goes: broken request lines, targets, header names and values. */
function chaotic(paths: readonly string[], hostHeader: string): fc.Arbitrary<string> {
  const target = fc.oneof(
    fc
      .tuple(fc.constantFrom(...paths), fc.option(nasty, { nil: '' }))
      .map(([p, q]) => `${p}${q ? `?${q}` : ''}`),
    fc.tuple(fc.constantFrom(...PREFIXES), nasty).map(([p, rest]) => p + rest),
    nasty,
  );
  const headerName = fc.oneof(
    {
      arbitrary: fc.constantFrom(
        'Host',
        'Origin',
        'Authorization',
        'Cookie',
        'Content-Type',
        'Accept',
        'Sec-Fetch-Site',
        'X-Forwarded-For',
        'Range',
        'Expect',
        'Upgrade',
      ),
      weight: 4,
    },
    { arbitrary: nasty, weight: 1 },
  );
  const headerValue = fc.oneof(
    fc.constantFrom(
      hostHeader,
      'application/json',
      'Basic !!!',
      'Bearer ',
      'null',
      'bytes=0-',
      '100-continue',
      'websocket',
    ),
    nasty,
  );
  const headers = fc.array(fc.tuple(headerName, headerValue), { maxLength: 4 });
  // Mostly well-formed around the part under test, so requests get past the parser to the handlers.
  const method = fc.oneof(
    { arbitrary: fc.constantFrom(...METHODS), weight: 9 },
    { arbitrary: nasty, weight: 1 },
  );
  const version = fc.oneof(
    { arbitrary: fc.constant('HTTP/1.1'), weight: 8 },
    { arbitrary: fc.constantFrom('HTTP/1.0', 'HTTP/2.0', '', 'HTTP/1.1 x'), weight: 1 },
  );
  return fc
    .tuple(method, target, version, fc.boolean(), headers, fc.option(nasty, { nil: undefined }))
    .map(([m, t, v, withHost, hs, body]) => {
      const lines = [`${m} ${t} ${v}`.trimEnd()];
      if (withHost) lines.push(`Host: ${hostHeader}`);
      // A declared body is sent whole, so no request waits for bytes that never come.
      for (const [name, value] of hs)
        if (!/^(content-length|transfer-encoding)$/i.test(name)) lines.push(`${name}: ${value}`);
      lines.push('Connection: close');
      return request(lines, body);
    });
}

/**
 * Throws `runs` random requests at 127.0.0.1:port. Each must get an HTTP answer (never a 5xx)
 * within 5 s; `alive` is checked after each. Returns the statuses seen. `send` carries one raw
 * request and its answer: plain TCP by default (rawTlsRequest for an HTTPS server).
 */
export async function fuzzServer(
  port: number,
  paths: readonly string[],
  runs: number,
  alive: () => Promise<void>,
  send: (port: number, raw: Buffer) => Promise<RawAnswer> = (p, raw) => rawRequest(p, raw, '127.0.0.1', 5000),
): Promise<Map<number, number>> {
  const statuses = new Map<number, number>();
  await fc.assert(
    fc.asyncProperty(rawRequests(paths, `127.0.0.1:${port}`), async (raw) => {
      const answer = await send(port, Buffer.from(raw, 'utf8'));
      statuses.set(answer.status, (statuses.get(answer.status) ?? 0) + 1);
      if (answer.status === 0) throw new Error(`no answer to ${JSON.stringify(raw)}`);
      if (answer.status >= 500) throw new Error(`server error ${answer.status}: ${answer.body}`);
      await alive();
    }),
    { numRuns: runs, seed: FUZZ_SEED, endOnFailure: true },
  );
  return statuses;
}
