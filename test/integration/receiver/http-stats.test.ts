/**
 * Statistics an attacker or a bad clock could skew (issue 11, finding 17): senders that never
 * complete a frame are visible (/api/receiver, /metrics), and an implausible capture stamp is
 * flagged instead of becoming a latency of minutes.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { chunkFrame, withFrameMeta } from '@udpcam/protocol';
import { getJson, request, startHttpReceiver, until } from '../../helpers/http.js';
import { TaggedFrames, TestCamera } from '../../helpers/test-camera.js';
import { toDatagram } from '../../helpers/wire.js';

test('a sender with no whole frame shows up as pending; a stamp 354 s old is flagged, not a latency', async () => {
  const { cli, base, udpPort } = await startHttpReceiver();
  const junk = await TestCamera.open(udpPort);
  const skewed = await TestCamera.open(udpPort);
  try {
    const frames = new TaggedFrames(8000);
    // Only the second chunk of a frame: this sender never completes one.
    const [, lone] = chunkFrame(frames.frame(1), 7, 1400);
    await junk.sendRaw(toDatagram(lone!));
    const info = await until('the pending sender', async () => {
      const receiver = await getJson<{ pendingSenders: { sender: string; datagrams: number }[] }>(
        `${base}api/receiver`,
      );
      return receiver.pendingSenders.length === 1 ? receiver : undefined;
    });
    assert.equal(info.pendingSenders[0]!.datagrams, 1);
    const metrics = (await request(`${base}metrics`)).body.toString();
    assert.match(metrics, /^udpcam_pending_senders 1$/m);
    assert.match(metrics, /^udpcam_pending_sender_datagrams_total\{sender="127\.0\.0\.1:\d+"\} 1$/m);

    await skewed.send(withFrameMeta(frames.frame(2), { seq: 0, captureUs: Date.now() * 1000 - 354_457_000 }));
    const camera = await until('the skewed camera', async () => {
      const cameras = await getJson<{ id: string; latencyMs: unknown; senderClockSuspect: boolean }[]>(
        `${base}api/cameras`,
      );
      return cameras.find((c) => c.id === skewed.id);
    });
    assert.equal(camera.latencyMs, null, 'no latency from a clock 354 s off');
    assert.equal(camera.senderClockSuspect, true);
    const after = (await request(`${base}metrics`)).body.toString();
    assert.match(after, new RegExp(`^udpcam_latency_implausible_total\\{camera="${skewed.id}"\\} 1$`, 'm'));
  } finally {
    await junk.close();
    await skewed.close();
    await cli.stop('SIGKILL');
  }
});
