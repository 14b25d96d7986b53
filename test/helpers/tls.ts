/**
 * TLS for tests: a certificate made with `openssl req -x509`, a verifying HTTPS GET, and hostile
 * bytes for a TLS port (fast-check, seeded) — random bytes, a real ClientHello cut short, with
 * garbage before or inside it or after it, garbage inside an established session, plain HTTP.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { readFile } from 'node:fs/promises';
import https from 'node:https';
import net from 'node:net';
import path from 'node:path';
import { Duplex } from 'node:stream';
import type { TestContext } from 'node:test';
import tls from 'node:tls';
import fc from 'fast-check';
import { FUZZ_SEED, fuzzServer, rawRequests } from './http-fuzz.js';
import { rawTlsRequest } from './raw-http.js';

/** A skip reason when openssl is not installed (.ci/run installs it). */
export const OPENSSL_MISSING =
  spawnSync('openssl', ['version']).status === 0 ? false : 'openssl is not installed (apt: openssl)';

/** A self-signed P-256 certificate for 127.0.0.1 and localhost, valid two days, written to `dir`. */
export async function makeCertificate(
  dir: string,
): Promise<{ certFile: string; keyFile: string; cert: string }> {
  const certFile = path.join(dir, 'cert.pem');
  const keyFile = path.join(dir, 'key.pem');
  const made = spawnSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-keyout',
      keyFile,
      '-out',
      certFile,
      '-days',
      '2',
      '-subj',
      '/CN=udpcam test',
      '-addext',
      'subjectAltName=IP:127.0.0.1,DNS:localhost',
    ],
    { encoding: 'utf8' },
  );
  assert.equal(made.status, 0, made.stderr);
  return { certFile, keyFile, cert: await readFile(certFile, 'utf8') };
}

/** GET over TLS, trusting only `ca`: status and body (rejects after 10 s without an answer). */
export function httpsGet(
  url: string,
  ca: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const request = https.get(url, { ca, headers, agent: false }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks) }));
      response.on('error', reject);
    });
    request.setTimeout(10_000, () => request.destroy(new Error(`GET ${url}: no answer`)));
    request.on('error', reject);
  });
}

/** The first flight of Node's TLS client (its ClientHello record), caught by a plain TCP server. */
export async function captureClientHello(): Promise<Buffer> {
  const server = net.createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as net.AddressInfo;
  try {
    const caught = new Promise<Buffer>((resolve) => {
      server.once('connection', (socket) => {
        socket.once('data', (chunk: Buffer) => {
          resolve(chunk);
          socket.destroy();
        });
      });
    });
    const client = tls.connect({ port, host: '127.0.0.1', servername: 'localhost' });
    client.on('error', () => {}); // the server hangs up on it
    const hello = await caught;
    client.destroy();
    assert.equal(hello[0], 0x16, 'a TLS handshake record');
    return hello;
  } finally {
    server.close();
  }
}

/** One hostile connection to a TLS port: what it sends, and whether it first completes a handshake. */
export interface TlsGarbage {
  kind: string;
  /** Bytes written on the TCP socket (after the handshake when `afterHandshake`). */
  bytes: Buffer;
  afterHandshake: boolean;
}

const bytes = (min: number, max: number) =>
  fc.uint8Array({ minLength: min, maxLength: max }).map((array) => Buffer.from(array));

/** Hostile first bytes for a TLS port, built around a real `clientHello`; `host` goes in plain HTTP. */
export function tlsGarbage(clientHello: Buffer, host: string): fc.Arbitrary<TlsGarbage> {
  const at = (kind: string, arbitrary: fc.Arbitrary<Buffer>, afterHandshake = false) =>
    arbitrary.map((data) => ({ kind, bytes: data, afterHandshake }));
  const n = clientHello.length;
  return fc.oneof(
    at('random bytes', bytes(1, 600)),
    // A record header of any type, version and length, then fewer or more bytes than it says.
    at(
      'random record',
      fc
        .tuple(fc.integer({ min: 0x14, max: 0x18 }), fc.integer({ min: 0, max: 0xffff }), bytes(0, 600))
        .map(([type, length, body]) => {
          const header = Buffer.from([type, 0x03, 0x01, 0, 0]);
          header.writeUInt16BE(length, 3);
          return Buffer.concat([header, body]);
        }),
    ),
    at(
      'ClientHello cut short',
      fc.integer({ min: 1, max: n - 1 }).map((end) => clientHello.subarray(0, end)),
    ),
    at(
      'garbage, then a ClientHello',
      bytes(1, 64).map((junk) => Buffer.concat([junk, clientHello])),
    ),
    at(
      'ClientHello with bytes overwritten',
      fc
        .array(fc.tuple(fc.integer({ min: 0, max: n - 1 }), fc.integer({ min: 0, max: 255 })), {
          minLength: 1,
          maxLength: 8,
        })
        .map((edits) => {
          const copy = Buffer.from(clientHello);
          for (const [index, value] of edits) copy[index] = value;
          return copy;
        }),
    ),
    at(
      'ClientHello with garbage inserted',
      fc
        .tuple(fc.integer({ min: 0, max: n }), bytes(1, 64))
        .map(([index, junk]) =>
          Buffer.concat([clientHello.subarray(0, index), junk, clientHello.subarray(index)]),
        ),
    ),
    at(
      'ClientHello, then garbage for the rest of the handshake',
      bytes(1, 400).map((junk) => Buffer.concat([clientHello, junk])),
    ),
    at(
      'plain HTTP to the HTTPS port',
      rawRequests(['/', '/api/cameras', '/metrics'], host).map((raw) => Buffer.from(raw, 'utf8')),
    ),
    at('garbage inside an established TLS session', bytes(1, 600), true),
  );
}

/** What one hostile connection saw. */
export interface GarbageOutcome {
  /** Bytes the server sent back (a TLS alert, a ServerHello, …). */
  received: number;
  /** The server closed the connection (after ours was half-closed) before the hang guard. */
  closed: boolean;
}

/**
 * Sends one hostile connection's bytes to 127.0.0.1:port, half-closes it and waits for the
 * server to close it too; `guardMs` only catches a hang (the connection is then destroyed and
 * `closed` is false). With `afterHandshake`, Node's TLS client (trusting `ca`) first completes a
 * real handshake through the same TCP connection, and the bytes then go on that connection as
 * they are, in the middle of the session.
 */
export async function sendGarbage(
  port: number,
  garbage: TlsGarbage,
  ca: string,
  guardMs = 30_000,
): Promise<GarbageOutcome> {
  const socket = net.connect({ port, host: '127.0.0.1' });
  let received = 0;
  socket.on('error', () => {});
  const closed = new Promise<boolean>((resolve) => {
    const timer = setTimeout(() => resolve(false), guardMs);
    socket.once('close', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
  // Every byte the server sends, TLS records or not; during a handshake, also fed to the client.
  let carrier: Duplex | undefined;
  socket.on('data', (chunk: Buffer) => {
    received += chunk.length;
    carrier?.push(chunk);
  });
  socket.on('end', () => carrier?.push(null));
  const connected = await Promise.race([once(socket, 'connect').then(() => true), closed.then(() => false)]);
  let session: tls.TLSSocket | undefined;
  if (connected && garbage.afterHandshake) {
    carrier = new Duplex({
      read() {},
      write(chunk: Buffer, _encoding, callback) {
        socket.write(chunk, callback);
      },
    });
    session = tls.connect({ socket: carrier, ca, host: '127.0.0.1' });
    session.on('error', () => {});
    const secured = await Promise.race([
      once(session, 'secureConnect').then(() => true),
      closed.then(() => false),
    ]);
    // Else this case would test nothing: a real client must get through the handshake.
    assert.ok(secured, 'the TLS handshake before the garbage failed');
  }
  if (!socket.destroyed) {
    socket.write(garbage.bytes);
    socket.end();
  }
  const wasClosed = await closed;
  socket.destroy();
  session?.destroy();
  return { received, closed: wasClosed };
}

/**
 * Runs `runs` seeded hostile connections (tlsGarbage) against a TLS port; after each,
 * `alive` checks the process, and every `checkEvery` connections (and after the last) `serves`
 * checks that a real client is still served. Each connection must end with the server closing
 * it. Returns how many of each kind were sent, by whether the server sent anything back (a TLS
 * alert, a ServerHello) before closing.
 */
export async function fuzzTlsPort(
  port: number,
  ca: string,
  runs: number,
  alive: () => void,
  serves: () => Promise<void>,
  checkEvery = 25,
): Promise<Map<string, number>> {
  const clientHello = await captureClientHello();
  const kinds = new Map<string, number>();
  let done = 0;
  await fc.assert(
    fc.asyncProperty(tlsGarbage(clientHello, `127.0.0.1:${port}`), async (garbage) => {
      const outcome = await sendGarbage(port, garbage, ca);
      const key = `${garbage.kind} (${outcome.received > 0 ? 'answered' : 'closed silently'})`;
      kinds.set(key, (kinds.get(key) ?? 0) + 1);
      alive();
      assert.ok(outcome.closed, `${garbage.kind}: the server never closed the connection`);
      if (++done % checkEvery === 0 || done === runs) await serves();
    }),
    { numRuns: runs, seed: FUZZ_SEED, endOnFailure: true },
  );
  return kinds;
}

/**
 * Opens `count` connections that each send the start of a ClientHello and then stall (a slow or
 * malicious client mid-handshake); returns a function closing them all.
 */
export async function stallHandshakes(port: number, count: number): Promise<() => void> {
  const clientHello = await captureClientHello();
  const sockets: net.Socket[] = [];
  for (let i = 0; i < count; i++) {
    const socket = net.connect({ port, host: '127.0.0.1' });
    socket.on('error', () => {});
    await once(socket, 'connect');
    socket.write(clientHello.subarray(0, 1 + (i % (clientHello.length - 1))));
    sockets.push(socket);
  }
  return () => {
    for (const socket of sockets) socket.destroy();
  };
}

/**
 * The HTTPS fuzz every web server gets, on its port and trusting `ca`: 150 hostile TLS connections
 * (fuzzTlsPort; every kind of garbage must be sent), 20 handshakes left hanging while `serves`
 * checks a real client, then 300 random and malformed requests to `paths` inside TLS sessions
 * (fuzzServer). `alive` checks the process after each connection and request.
 */
export async function fuzzHttps(
  t: TestContext,
  port: number,
  ca: string,
  paths: readonly string[],
  alive: () => void,
  serves: () => Promise<void>,
): Promise<void> {
  const kinds = await fuzzTlsPort(port, ca, 150, alive, serves);
  t.diagnostic(`TLS garbage: ${JSON.stringify([...kinds].sort())}`);
  assert.equal(
    new Set([...kinds.keys()].map((key) => key.replace(/ \(.*\)$/, ''))).size,
    9,
    'every kind of garbage was sent',
  );

  const release = await stallHandshakes(port, 20);
  try {
    await serves();
  } finally {
    release();
  }

  const statuses = await fuzzServer(
    port,
    paths,
    300,
    async () => alive(),
    (p, raw) => rawTlsRequest(p, raw, ca),
  );
  t.diagnostic(`statuses: ${JSON.stringify([...statuses].sort())}`);
}
