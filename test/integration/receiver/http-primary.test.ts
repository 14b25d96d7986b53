/**
 * Who is behind /snapshot.jpg, /stream.mjpg and ?action= (issue 11, finding 5): another process
 * that sends first cannot take over — a named camera wins, and --primary pins one camera.
 */
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { once } from 'node:events';
import { test } from 'node:test';
import { chunkFrame } from '@udpcam/protocol';
import { request, startHttpReceiver, until } from '../../helpers/http.js';
import { frameIndex, TaggedFrames, TestCamera } from '../../helpers/test-camera.js';
import { toDatagram } from '../../helpers/wire.js';

const frames = new TaggedFrames(4000);

/** A socket bound before the receiver starts, so --name can name its port. */
async function namedSocket(): Promise<dgram.Socket> {
  const socket = dgram.createSocket('udp4');
  socket.bind(0, '127.0.0.1');
  await once(socket, 'listening');
  return socket;
}

async function sendFrom(socket: dgram.Socket, port: number, frame: Buffer, imageId: number): Promise<void> {
  for (const datagram of chunkFrame(frame, imageId, 1400)) {
    await new Promise<void>((resolve, reject) =>
      socket.send(toDatagram(datagram), port, '127.0.0.1', (error) => (error ? reject(error) : resolve())),
    );
  }
}

test('a named camera wins the short URLs over an injector that sent first', async () => {
  const door = await namedSocket();
  const { cli, base, udpPort } = await startHttpReceiver(['--name', `127.0.0.1:${door.address().port}=door`]);
  const injector = await TestCamera.open(udpPort);
  try {
    await injector.send(frames.frame(666));
    await until(
      'the injector is the only camera',
      async () => (await request(`${base}snapshot.jpg`)).status === 200 || undefined,
    );
    await sendFrom(door, udpPort, frames.frame(1), 1);
    for (const path of ['snapshot.jpg', '?action=snapshot']) {
      const shown = await until(`/${path} shows the named camera`, async () => {
        const index = frameIndex((await request(base + path)).body);
        return index === 1 ? index : undefined;
      });
      assert.equal(shown, 1);
    }
    await injector.send(frames.frame(667));
    await until(
      'the injector’s second frame is in',
      async () =>
        frameIndex((await request(`${base}cameras/${injector.id}/snapshot.jpg`)).body) === 667 || undefined,
    );
    assert.equal(frameIndex((await request(`${base}snapshot.jpg`)).body), 1, 'still the named camera');
  } finally {
    door.close();
    await injector.close();
    await cli.stop('SIGKILL');
  }
});

test('--primary pins the camera: until it sends, the short URLs answer 503, never another camera', async () => {
  const door = await namedSocket();
  const { cli, base, udpPort } = await startHttpReceiver([
    '--name',
    `127.0.0.1:${door.address().port}=door`,
    '--primary',
    'door',
  ]);
  const injector = await TestCamera.open(udpPort);
  try {
    await injector.send(frames.frame(666));
    await until(
      'the injector is in',
      async () => (await request(`${base}cameras/${injector.id}/snapshot.jpg`)).status === 200 || undefined,
    );
    const refused = await request(`${base}snapshot.jpg`);
    assert.equal(refused.status, 503);
    assert.match(refused.json<{ error: string }>().error, /camera door has not sent a frame yet/);
    await sendFrom(door, udpPort, frames.frame(2), 1);
    await until(
      'the primary camera',
      async () => frameIndex((await request(`${base}snapshot.jpg`)).body) === 2 || undefined,
    );
  } finally {
    door.close();
    await injector.close();
    await cli.stop('SIGKILL');
  }
});
