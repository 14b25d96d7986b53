/**
 * guardServer's timeouts on a real socket (issue 11, finding 8): a client trickling its request
 * body is answered 408 and cut once requestTimeoutMs passes, instead of holding the socket for
 * ever (the receiver used to set requestTimeout = 0). The deadline is short here; only the
 * outcome is asserted, not when it came.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import http from 'node:http';
import net from 'node:net';
import { test } from 'node:test';
import { GUARD_TIMEOUTS, guardServer } from '@udpcam/common';

test('a request body that never ends gets 408 and the connection is closed', async () => {
  const server = http.createServer({ connectionsCheckingInterval: 50 });
  // The handler reads the body as the area tool's POSTs do. Headers ≤ request timeout, as the defaults.
  guardServer(
    server,
    async (request, response) => {
      for await (const _ of request) {
        // the body is read to its end, which never comes
      }
      response.end('never reached');
    },
    { headersTimeoutMs: 200, requestTimeoutMs: 300 },
  );
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as net.AddressInfo;
  try {
    const socket = net.connect(port, '127.0.0.1');
    socket.write(
      `POST /x HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 1000\r\nContent-Type: application/json\r\n\r\n{`,
    );
    // One byte now and then, never all 1000.
    const trickle = setInterval(() => socket.writable && socket.write(' '), 20);
    const chunks: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', () => {});
    await new Promise((resolve) => socket.on('close', resolve));
    clearInterval(trickle);
    assert.match(Buffer.concat(chunks).toString('latin1'), /^HTTP\/1\.1 408 /);
  } finally {
    server.close();
  }
});

test('the defaults: headers 10 s, a whole request 30 s, keep-alive 5 s', () => {
  const server = http.createServer();
  guardServer(server, () => {});
  assert.deepEqual(
    [server.headersTimeout, server.requestTimeout, server.keepAliveTimeout],
    [GUARD_TIMEOUTS.headersTimeoutMs, GUARD_TIMEOUTS.requestTimeoutMs, GUARD_TIMEOUTS.keepAliveTimeoutMs],
  );
  assert.deepEqual(
    [server.headersTimeout, server.requestTimeout, server.keepAliveTimeout],
    [10_000, 30_000, 5_000],
  );
});
