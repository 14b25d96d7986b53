/**
 * Stopping at once whatever the source does (issue 11, finding 12): an http source whose camera
 * accepts the connection and never answers used to hold SIGTERM until its grab timed out (~7.7 s).
 * Now the Sender stops the source under the grab. The 1 s backstop deadline is lifted here, so
 * what is seen is the sender's own stop: no grab timeout, a clean end — not how fast it came.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import net from 'node:net';
import { test } from 'node:test';
import { startCli } from '../../helpers/cli.js';

test('udpcam send with an http camera that never answers exits on SIGTERM', async () => {
  const sockets: net.Socket[] = [];
  const silent = net.createServer((socket) => {
    sockets.push(socket);
    socket.on('error', () => {});
  });
  silent.listen(0, '127.0.0.1');
  await once(silent, 'listening');
  const { port } = silent.address() as net.AddressInfo;
  const cli = startCli(['send', '--port', '9', '--source', `http://127.0.0.1:${port}/video.mjpg`], {
    UDPCAM_STOP_DEADLINE_MS: '600000',
  });
  try {
    // The connection is made (nothing will come on it).
    while (sockets.length === 0) await new Promise((resolve) => setTimeout(resolve, 20));
    const code = await cli.stop('SIGTERM');
    const stderr = cli.stderr.join('\n');
    assert.equal(code, 0, stderr);
    assert.doesNotMatch(stderr, /no frame for \d+ ms/, 'the grab did not have to time out');
    assert.doesNotMatch(stderr, /still stopping/);
    assert.match(cli.stdout.join('\n'), /\| done$/m);
  } finally {
    for (const socket of sockets) socket.destroy();
    silent.close();
  }
});
