/**
 * The mjpg-streamer style short URLs follow the camera that is online (a restarted sender comes
 * back from a new source port); kept frames past --ring-seconds go even with no new frame; bad
 * times are refused; the latency summary is a complete Prometheus summary.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { epochMicrosAt } from '@udpcam/common';
import { withFrameMeta } from '@udpcam/protocol';
import { HttpServer } from '@udpcam/receiver';
import { request, until } from '../../helpers/http.js';
import { startInProcessReceiver } from '../../helpers/in-process.js';
import { frameIndex, TaggedFrames, TestCamera } from '../../helpers/test-camera.js';

test('short URLs, ring pruning, time parsing and the latency summary', async () => {
  // In-process on a fake clock: "quiet for 3.5 s" is the clock moved by 3.5 s, not a wait.
  const rx = await startInProcessReceiver({
    http: { ring: { ...HttpServer.defaults.ring, maxAgeUs: 1_000_000 } },
  });
  const udpPort = rx.receiver.address.port;
  const base = rx.web.url;
  const frames = new TaggedFrames(20_000);
  const first = await TestCamera.open(udpPort);
  // Another camera (from another address: a restart from the same one continues the first camera).
  const second = await TestCamera.open(udpPort, '127.0.0.1', '127.0.0.3');
  try {
    await first.send(frames.frame(1));
    // `|| undefined`: until() stops at any value but undefined, so a bare `false` did not wait.
    await until(
      'first camera served',
      async () => (await request(`${base}snapshot.jpg`)).status === 200 || undefined,
    );
    // The first camera goes quiet; another one appears.
    rx.clock.advance(3500);
    // Stamped with a capture time (5 ms before now), so the latency summary has a sample.
    const stamped = withFrameMeta(frames.frame(2), {
      seq: 0,
      captureUs: epochMicrosAt(rx.clock.now()) - 5000,
    });
    await second.send(stamped);
    await until('/snapshot.jpg follows the online camera', async () =>
      (await request(`${base}snapshot.jpg`)).body.equals(stamped) ? true : undefined,
    );
    assert.ok((await request(`${base}?action=snapshot`)).body.equals(stamped));
    assert.equal(frameIndex((await request(`${base}cameras/${first.id}/snapshot.jpg`)).body), 1);

    // The first camera's only frame is older than --ring-seconds: listed no more.
    const kept = (await request(`${base}cameras/${first.id}/frames`)).json<unknown[]>();
    assert.deepEqual(kept, []);

    assert.equal((await request(`${base}cameras/${second.id}/frame.jpg?at=-5`)).status, 400);
    assert.equal((await request(`${base}cameras/${second.id}/frame.jpg?at=yesterday`)).status, 400);

    const metrics = (await request(`${base}metrics`)).body.toString();
    assert.match(metrics, new RegExp(`^udpcam_latency_seconds_count\\{camera="${second.id}"\\} 1$`, 'm'));
    assert.match(metrics, new RegExp(`^udpcam_latency_seconds_sum\\{camera="${second.id}"\\} \\d`, 'm'));
  } finally {
    await first.close();
    await second.close();
    await rx.close();
  }
});
