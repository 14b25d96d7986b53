/**
 * FfmpegSource against a real ffmpeg (lavfi test source): frames, newer frames over time, a
 * restart after ffmpeg is killed, growing retry delays with a fake ffmpeg that fails, and a
 * missing executable. Every source is stopped in `finally`, which kills its process.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { isWellFormedJpeg } from '@udpcam/protocol';
import { FfmpegSource } from '@udpcam/sender';
import jpeg from 'jpeg-js';
import { ffmpegArgv, splitArgs } from '#sender/sources/ffmpeg.js';
import { fixturePath } from '../../helpers/fixtures.js';
import { settle, turns } from '../../helpers/settle.js';

const LAVFI = 'ffmpeg:-f lavfi -i testsrc2=size=320x240:rate=15';

function until(predicate: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    const poll = () => {
      if (predicate()) resolve();
      else if (Date.now() > deadline) reject(new Error(`timed out waiting for ${what}`));
      else setTimeout(poll, 20);
    };
    poll();
  });
}

describe('splitArgs and ffmpegArgv', () => {
  test('splits like a shell without expanding anything', () => {
    assert.deepEqual(splitArgs(`  -f lavfi -i "testsrc2=size=320x240" 'a b' c\\ d "x\\"y" $HOME;rm `), [
      '-f',
      'lavfi',
      '-i',
      'testsrc2=size=320x240',
      'a b',
      'c d',
      'x"y',
      '$HOME;rm',
    ]);
    assert.deepEqual(splitArgs(`'' x`), ['', 'x']);
    assert.throws(() => splitArgs(`-i "open`), { code: 'UDPCAM_ERR_SOURCE_SPEC' });
  });

  test('builds the v4l2 and generic command lines', () => {
    assert.deepEqual(ffmpegArgv('v4l2:/dev/video2', { width: 640, height: 360, fps: 60 }).slice(5), [
      ...[
        '-f',
        'v4l2',
        '-input_format',
        'mjpeg',
        '-video_size',
        '640x360',
        '-framerate',
        '60',
        '-i',
        '/dev/video2',
      ],
      ...['-an', '-c:v', 'copy', '-f', 'mpjpeg', '-'],
    ]);
    assert.deepEqual(ffmpegArgv(LAVFI).slice(-8), ['-an', '-c:v', 'mjpeg', '-q:v', '3', '-f', 'mpjpeg', '-']);
    assert.ok(ffmpegArgv('ffmpeg:-f mjpeg -i http://cam/stream').includes('copy'));
    assert.throws(() => ffmpegArgv('v4l2:/dev/video0;rm'), { code: 'UDPCAM_ERR_SOURCE_SPEC' });
    assert.throws(() => ffmpegArgv('ffmpeg:-f lavfi'), { code: 'UDPCAM_ERR_SOURCE_SPEC' });
  });
});

describe('FfmpegSource', () => {
  test('delivers valid 320x240 JPEGs from lavfi, newer ones over time', async () => {
    const source = new FfmpegSource(LAVFI);
    try {
      await source.start();
      const first = await source.grab();
      assert.equal(first.kind, 'jpeg');
      assert.ok(isWellFormedJpeg(first.data));
      assert.equal(first.width, 320);
      assert.equal(first.height, 240);
      const decoded = jpeg.decode(first.data, { useTArray: true });
      assert.equal(decoded.width, 320);
      assert.equal(decoded.height, 240);
      const firstBytes = Buffer.from(first.data);
      const second = await source.grab();
      assert.ok(second.captureUs > first.captureUs);
      // Consecutive test frames may be identical; within a few grabs the picture moves.
      let changed = !second.data.equals(firstBytes);
      for (let i = 0; i < 10 && !changed; i++) changed = !(await source.grab()).data.equals(firstBytes);
      assert.ok(changed, 'the frames change over time');
      // Unread frames are replaced, not queued: once ffmpeg has sent frames nobody grabbed, the
      // next grab gets the newest one.
      await until(() => source.stats.skipped > 0, 20_000, 'a frame replaced before it was read');
      const third = await source.grab();
      assert.ok(third.captureUs > first.captureUs);
    } finally {
      await source.stop();
    }
    assert.equal(source.pid, undefined);
  });

  test('restarts ffmpeg after it is killed, and frames resume', async () => {
    const states: Array<[string, string]> = [];
    const source = new FfmpegSource(LAVFI, { onState: (state, detail) => states.push([state, detail]) });
    try {
      await source.start();
      await source.grab();
      const pid = source.pid;
      assert.ok(pid);
      process.kill(pid, 'SIGKILL');
      await until(() => states.some(([state]) => state === 'retrying'), 20_000, 'retrying');
      const retry = states.find(([state]) => state === 'retrying')!;
      assert.match(retry[1], /killed by SIGKILL; restarting in 250 ms/);
      // A frame captured just before the kill may still be the newest: wait for the new process.
      await until(
        () => source.state.state === 'streaming' && source.pid !== undefined && source.pid !== pid,
        20_000,
        'restarted',
      );
      const frame = await source.grab();
      assert.ok(isWellFormedJpeg(frame.data));
      assert.equal(source.stats.restarts, 1);
      assert.deepEqual(
        states.map(([state]) => state),
        ['starting', 'streaming', 'retrying', 'starting', 'streaming'],
      );
    } finally {
      await source.stop();
    }
  });

  test('a failing ffmpeg is reported with its stderr line and retried with growing delays, waited on the clock', async (t) => {
    // The backoff sleeps on setTimeout, mocked here: a restart happens when the test moves time
    // past its delay, never before, however fast or slow this machine is. ffmpeg itself is real.
    t.mock.timers.enable({ apis: ['setTimeout'] });
    const states: Array<[string, string]> = [];
    const source = new FfmpegSource('ffmpeg:-i /dev/video9', {
      ffmpegPath: fixturePath('bin', 'ffmpeg-fails'),
      grabTimeoutMs: 300,
      onState: (state, detail) => states.push([state, detail]),
    });
    const retries = () => states.filter(([state]) => state === 'retrying');
    const starts = () => states.filter(([state]) => state === 'starting').length;
    try {
      await source.start();
      for (const [i, delay] of [250, 500, 1000, 2000].entries()) {
        await settle(() => retries().length === i + 1, `retry ${i + 1}`);
        const detail = retries()[i]![1];
        assert.match(detail, /^ffmpeg exited with code 1: \/dev\/video9: No such file or directory; /);
        assert.match(detail, new RegExp(`restarting in ${delay} ms$`));
        if (i === 3) break;
        const started = starts();
        t.mock.timers.tick(delay - 1);
        await turns();
        assert.equal(starts(), started, `no restart 1 ms before the ${delay} ms delay is up`);
        t.mock.timers.tick(1);
        await settle(() => starts() === started + 1, `restart ${i + 1}`);
      }
      const grabbing = assert.rejects(source.grab(), {
        code: 'UDPCAM_ERR_SOURCE',
        message: /no frame from ffmpeg in 300 ms/,
      });
      t.mock.timers.tick(300);
      await grabbing;
    } finally {
      t.mock.timers.reset();
      await source.stop();
    }
  });

  test('a missing executable fails start() with UDPCAM_ERR_SOURCE_SPEC (a user error)', async () => {
    const source = new FfmpegSource(LAVFI, { ffmpegPath: '/nonexistent/udpcam-no-ffmpeg' });
    try {
      await assert.rejects(source.start(), {
        code: 'UDPCAM_ERR_SOURCE_SPEC',
        message: /^ffmpeg not found; install it \(apt-get install ffmpeg\)/,
      });
      await assert.rejects(source.grab(), { code: 'UDPCAM_ERR_CLOSED' });
    } finally {
      await source.stop();
    }
  });
});
