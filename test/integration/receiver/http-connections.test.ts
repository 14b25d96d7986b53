/**
 * Connection limits (issue 11, finding 8): streams and waiting snapshots share --max-clients and
 * a per-address cap, and TCP connections past --max-connections are closed on accept, so a flood
 * cannot take the file descriptors frame writes need.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import net from 'node:net';
import { test } from 'node:test';
import { connectionLimit, FD_RESERVE } from '#receiver/http/connections.js';
import { getJson, request, startHttpReceiver, until } from '../../helpers/http.js';
import { type MjpegStream, readMjpeg } from '../../helpers/mjpeg-reader.js';
import { TaggedFrames, TestCamera } from '../../helpers/test-camera.js';

test('waiting snapshots take places like streams; one address holds at most --max-clients-per-address', async () => {
  const { cli, udpPort, base } = await startHttpReceiver([
    '--max-clients',
    '4',
    '--max-clients-per-address',
    '2',
  ]);
  const camera = await TestCamera.open(udpPort);
  const streams: MjpegStream[] = [];
  const waiting: AbortController[] = [];
  try {
    await camera.send(new TaggedFrames(4000).frame(0));
    await until('the camera', async () =>
      (await request(`${base}snapshot.jpg`)).status === 200 ? true : undefined,
    );
    // One stream and one waiting snapshot from 127.0.0.1: its two places.
    streams.push(await readMjpeg(`${base}stream.mjpg`, () => {}));
    const controller = new AbortController();
    waiting.push(controller);
    request(`${base}snapshot.jpg?wait=1`, { signal: controller.signal }).catch(() => {});
    await until('the waiter counted', async () =>
      (await getJson<{ waiting: number }>(`${base}api/receiver`)).waiting === 1 ? true : undefined,
    );
    const third = await readMjpeg(`${base}stream.mjpg`, () => {});
    assert.equal(third.status, 503);
    assert.match(JSON.parse((await third.body).toString()).error, /too many streams from this address/);
    const fourth = await request(`${base}snapshot.jpg?wait=1`);
    assert.equal(fourth.status, 503);
    // From 127.0.0.2 — another address — there is room.
    const other = net.connect({
      port: Number(new URL(base).port),
      host: '127.0.0.1',
      localAddress: '127.0.0.2',
    });
    other.write(`GET /stream.mjpg HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`);
    const [head] = (await once(other, 'data')) as [Buffer];
    assert.match(head.toString('latin1'), /^HTTP\/1\.1 200 /);
    other.destroy();
    // A plain snapshot is no long-lived answer: still served.
    assert.equal((await request(`${base}snapshot.jpg`)).status, 200);
    // A freed place can be taken again.
    streams.shift()!.close();
    await until('the place freed', async () =>
      (await getJson<{ clients: number }>(`${base}api/receiver`)).clients === 0 ? true : undefined,
    );
    const again = await readMjpeg(`${base}stream.mjpg`, () => {});
    assert.equal(again.status, 200);
    streams.push(again);
  } finally {
    for (const stream of streams) stream.close();
    for (const controller of waiting) controller.abort();
    await camera.close();
    await cli.stop('SIGKILL');
  }
});

test('--max-connections 4: a fifth connection is closed on accept while four are held', async () => {
  const { cli, base } = await startHttpReceiver(['--max-connections', '4']);
  const port = Number(new URL(base).port);
  const held: net.Socket[] = [];
  try {
    for (let i = 0; i < 4; i++) {
      const socket = net.connect(port, '127.0.0.1');
      await once(socket, 'connect');
      // Half a request: the connection stays open, waiting for the rest.
      socket.write('GET /api/cameras HTTP/1.1\r\n');
      held.push(socket);
    }
    const fifth = net.connect(port, '127.0.0.1');
    fifth.on('error', () => {});
    fifth.write('GET /api/cameras HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
    const data: Buffer[] = [];
    fifth.on('data', (chunk: Buffer) => data.push(chunk));
    // Closed or reset: either way no answer.
    await new Promise((resolve) => fifth.on('close', resolve));
    assert.equal(Buffer.concat(data).length, 0, 'closed without an answer');
    for (const socket of held) socket.destroy();
    // Once they are gone, requests are served again.
    await until('served again', async () =>
      (await request(`${base}api/cameras`).catch(() => undefined))?.status === 200 ? true : undefined,
    );
  } finally {
    for (const socket of held) socket.destroy();
    await cli.stop('SIGKILL');
  }
});

test('the default connection limit stays FD_RESERVE below the open-file limit', () => {
  assert.equal(connectionLimit(256, 1_000_000), 576);
  assert.equal(connectionLimit(256, 512), 512 - FD_RESERVE);
  assert.equal(
    connectionLimit(1000, 1024),
    1024 - FD_RESERVE,
    'a large --max-clients cannot eat the reserve',
  );
  assert.equal(connectionLimit(256, 65_536), 576);
  assert.equal(connectionLimit(256, 100), 16, 'never below 16');
});
