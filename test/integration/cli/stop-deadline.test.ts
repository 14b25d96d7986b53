/**
 * Stopping at once whatever the source does (issue 11, finding 12): an http source whose camera
 * accepts the connection and never answers used to hold SIGTERM until its grab timed out (~7.7 s).
 * Now the Sender stops the source under the grab. The 1 s backstop deadline is lifted here, so
 * what is seen is the sender's own stop: no grab timeout, a clean end — not how fast it came.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import net from 'node:net';
import path from 'node:path';
import { test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { REPO_ROOT, startCli } from '../../helpers/cli.js';

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

// A stop that outlives the deadline: the process must end then, even with a job still running on
// libuv's thread pool (a huge frame's sharp encode), which process.exit() would wait for. The
// job here is a pbkdf2 that runs far longer than any test; had the process waited for it, it
// would print "job done" and exit 0.
test('past the stop deadline the process ends by the signal, without waiting for the thread pool', {
  timeout: 60_000,
}, async () => {
  const output = pathToFileURL(path.join(REPO_ROOT, 'packages/cli/dist/output.js')).href;
  const script = `
    const { pbkdf2 } = await import('node:crypto');
    const { consoleOutput, exitAfterStopDeadline } = await import(${JSON.stringify(output)});
    exitAfterStopDeadline(consoleOutput(false), 50);
    pbkdf2('x', 'y', 2 ** 31 - 1, 64, 'sha512', () => console.log('job done'));
    console.log('ready');
    setInterval(() => {}, 1000);
  `;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (data: Buffer) => {
    stdout += data;
  });
  child.stderr.on('data', (data: Buffer) => {
    stderr += data;
  });
  const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
  while (!stdout.includes('ready')) {
    await Promise.race([once(child.stdout, 'data'), exited]);
    assert.equal(child.exitCode, null, stderr);
  }
  child.kill('SIGTERM');
  const [code, signal] = await exited;
  assert.deepEqual({ code, signal }, { code: null, signal: 'SIGTERM' }, stderr);
  assert.match(stderr, /still stopping 50 ms after SIGTERM: exiting now/);
  assert.doesNotMatch(stdout, /job done/);
});
