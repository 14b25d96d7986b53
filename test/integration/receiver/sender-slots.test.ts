/**
 * 64 injectors on the receiver's own host cannot lock out a named camera (issue 11, finding 4):
 * over real UDP, with `udpcam receive --name`.
 */
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { once } from 'node:events';
import { test } from 'node:test';
import { chunkFrame } from '@udpcam/protocol';
import { getJson, startHttpReceiver, until } from '../../helpers/http.js';
import { TaggedFrames, TestCamera } from '../../helpers/test-camera.js';
import { toDatagram } from '../../helpers/wire.js';

test('64 ports delivering frames fill at most --max_senders_per_address slots, and the named camera still gets in', async () => {
  const door = dgram.createSocket('udp4');
  door.bind(0, '127.0.0.1');
  await once(door, 'listening');
  const { cli, base, udpPort } = await startHttpReceiver([
    '--name',
    `127.0.0.1:${door.address().port}=door`,
    '--max_senders',
    '32',
  ]);
  const injectors = await Promise.all(Array.from({ length: 64 }, () => TestCamera.open(udpPort)));
  try {
    const frames = new TaggedFrames(2000);
    for (let round = 0; round < 2; round++)
      for (const injector of injectors) await injector.send(frames.frame(round));
    const seen = await until('the injectors counted', async () => {
      const cameras = await getJson<{ id: string; frames: number }[]>(`${base}api/cameras`);
      return cameras.filter((c) => c.frames > 0).length >= 16 ? cameras : undefined;
    });
    assert.ok(seen.length <= 16, `${seen.length} injectors hold slots (cap 16 per address)`);

    for (const datagram of chunkFrame(frames.frame(99), 1, 1400)) {
      await new Promise<void>((resolve, reject) =>
        door.send(toDatagram(datagram), udpPort, '127.0.0.1', (error) => (error ? reject(error) : resolve())),
      );
    }
    const named = await until('the named camera', async () => {
      const cameras = await getJson<{ id: string; frames: number }[]>(`${base}api/cameras`);
      return cameras.find((c) => c.id === 'door' && c.frames === 1);
    });
    assert.equal(named.frames, 1);
  } finally {
    door.close();
    for (const injector of injectors) await injector.close();
    await cli.stop('SIGKILL');
  }
});
