/** The camera list stays bounded when senders come and go (restarts, many source ports). */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { HttpServer, Receiver } from '@udpcam/receiver';
import { FakeClock } from '../../helpers/clock.js';
import { until } from '../../helpers/http.js';
import { TaggedFrames, TestCamera } from '../../helpers/test-camera.js';

test('past 2 × maxSenders cameras, offline ones are forgotten, on the HTTP side too', async () => {
  const clock = new FakeClock();
  const receiver = await Receiver.open({
    port: 0,
    host: '127.0.0.1',
    offlineAfterMs: 40,
    assembler: { maxSenders: 2, senderIdleMs: 40 },
    clock: clock.now,
  });
  const web = await HttpServer.listen(receiver, { port: 0, host: '127.0.0.1' });
  const forgotten: string[] = [];
  let seen = 0;
  receiver.on('frame', () => seen++);
  receiver.on('cameraForgotten', (id) => forgotten.push(id));
  const frames = new TaggedFrames(8000);
  let sentBytes = 0;
  try {
    const ids: string[] = [];
    for (let i = 0; i < 10; i++) {
      // A new sender each time, from a new address (a restart from the same address would
      // continue its camera once it went offline: identity.ts).
      const camera = await TestCamera.open(receiver.address.port, '127.0.0.1', `127.0.0.${i + 2}`);
      ids.push(camera.id);
      sentBytes += frames.frame(i).length;
      await camera.send(frames.frame(i));
      await until(`frame ${i}`, () => (seen === i + 1 ? true : undefined));
      // 80 ms of silence: past offlineAfterMs and senderIdleMs (40 ms) of the receiver's clock.
      clock.advance(80);
      await camera.close();
    }
    const known = receiver.stats().cameras.map((c) => c.id);
    assert.equal(known.length, 4, 'maxCameras = 2 × maxSenders');
    assert.deepEqual(known, ids.slice(-4), 'the most recent cameras are kept');
    assert.deepEqual(forgotten, ids.slice(0, 6), 'the longest silent went first');
    // Totals outlive forgotten senders and cameras (issue 11, finding 17): every frame counts.
    const { totals } = receiver.stats();
    assert.deepEqual([totals.frames, totals.frameBytes], [10, sentBytes]);
    const listed = (await (await fetch(`${web.url}api/cameras`)).json()) as { id: string }[];
    assert.deepEqual(
      listed.map((c) => c.id),
      ids.slice(-4),
    );
    assert.equal((await fetch(`${web.url}cameras/${ids[0]}/snapshot.jpg`)).status, 404);
  } finally {
    await web.close();
    await receiver.close();
  }
});
