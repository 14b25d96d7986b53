/**
 * Recent-frame rings bounded in time and in total (issue 11, finding 3): frames past
 * --ring-seconds go on the prune pass whether or not the camera sends again, and all cameras
 * together hold at most ringTotalBytes. Time comes from an injected clock.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { wallClockUs } from '@udpcam/common';
import { HttpServer, type ReceivedFrame, Receiver } from '@udpcam/receiver';
import { getJson, startHttpReceiver, until } from '../../helpers/http.js';
import { TaggedFrames, TestCamera } from '../../helpers/test-camera.js';

test('a flood from 20 cameras stays within the total budget; a prune pass empties rings past their age', async () => {
  let nowMs = 1_000;
  const clock = () => nowMs;
  const receiver = await Receiver.open({ port: 0, host: '127.0.0.1', clock });
  const web = await HttpServer.listen(receiver, {
    port: 0,
    ring: { maxAgeUs: 2_000_000, maxFrames: 600, maxBytes: 4 * 1024 * 1024 },
    ringTotalBytes: 3 * 1024 * 1024,
    ringPruneMs: 3_600_000,
  });
  try {
    const frames = new TaggedFrames(100_000);
    let seq = 0;
    for (let round = 0; round < 20; round++) {
      for (let camera = 0; camera < 20; camera++) {
        nowMs += 1;
        const frame: ReceivedFrame = {
          sender: `127.0.0.1:${20_000 + camera}`,
          imageId: round,
          data: frames.frame(++seq),
          chunks: 1,
          firstChunkAt: nowMs,
          completedAt: nowMs,
          camera: `cam${camera}`,
          seq: round + 1,
          receivedUs: wallClockUs(clock),
          meta: undefined,
        };
        web.write(frame);
        assert.ok(web.ringBytes <= 3 * 1024 * 1024, `${web.ringBytes} bytes after frame ${seq}`);
      }
    }
    assert.ok(web.ringBytes > 2 * 1024 * 1024, 'the budget is used, not emptied');
    // Nothing new arrives; 1.9 s later the frames are within their age, 2.5 s later all are past it.
    nowMs += 1_900;
    web.pruneRings();
    assert.ok(web.ringBytes > 0);
    nowMs += 600;
    web.pruneRings();
    assert.equal(web.ringBytes, 0);
  } finally {
    await web.close();
    await receiver.close();
  }
});

test('udpcam receive --ring-bytes: 5 cameras sending over UDP stay within it (/api/receiver shows the bytes)', async () => {
  const { cli, base, udpPort } = await startHttpReceiver(['--ring-bytes', '200k']);
  const cameras = await Promise.all(Array.from({ length: 5 }, () => TestCamera.open(udpPort)));
  try {
    const frames = new TaggedFrames(30_000);
    // One frame at a time, each seen before the next: no burst for the socket buffer to drop.
    let sent = 0;
    for (let i = 0; i < 8; i++) {
      for (const camera of cameras) {
        await camera.send(frames.frame(i));
        sent++;
        await until(`frame ${sent}`, async () => {
          const list = await getJson<{ frames: number }[]>(`${base}api/cameras`);
          return list.reduce((sum, c) => sum + c.frames, 0) >= sent ? true : undefined;
        });
      }
    }
    const stats = await getJson<{ ringBytes: number; ringMaxBytes: number }>(`${base}api/receiver`);
    assert.equal(stats.ringMaxBytes, 200 * 1024);
    assert.ok(stats.ringBytes > 0 && stats.ringBytes <= 200 * 1024, String(stats.ringBytes));
  } finally {
    for (const camera of cameras) await camera.close();
    await cli.stop('SIGKILL');
  }
});
