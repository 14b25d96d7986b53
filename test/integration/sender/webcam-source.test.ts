/**
 * WebcamSource with a fake `fswebcam` (test/fixtures/bin/fswebcam) first on PATH: the command line
 * node-webcam builds, the JPEG read back, and hostile device names and options refused before
 * anything runs.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { type JpegFrame, WebcamSource } from '@udpcam/sender';
import { FakeClock } from '../../helpers/clock.js';
import { fixturePath } from '../../helpers/fixtures.js';
import { makeJpeg } from '../../helpers/jpeg.js';
import { turns } from '../../helpers/settle.js';

// Not yet exported from @udpcam/sender: load the built module by path, typed from its source.

const work = mkdtempSync(path.join(os.tmpdir(), 'udpcam-webcam-test-'));
const logPath = path.join(work, 'argv.log');
const jpegPath = path.join(work, 'camera.jpg');
const pwned = path.join(work, 'pwned');
const image = makeJpeg({ width: 64, height: 48, quality: 80 });
const saved = {
  PATH: process.env.PATH,
  log: process.env.FAKE_FSWEBCAM_LOG,
  jpeg: process.env.FAKE_FSWEBCAM_JPEG,
};

function invocations(): string[][] {
  if (!existsSync(logPath)) return [];
  return readFileSync(logPath, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as string[]);
}

describe('WebcamSource', () => {
  before(() => {
    writeFileSync(jpegPath, image);
    process.env.PATH = `${fixturePath('bin')}${path.delimiter}${process.env.PATH ?? ''}`;
    process.env.FAKE_FSWEBCAM_LOG = logPath;
    process.env.FAKE_FSWEBCAM_JPEG = jpegPath;
  });
  after(() => {
    process.env.PATH = saved.PATH;
    if (saved.log === undefined) delete process.env.FAKE_FSWEBCAM_LOG;
    else process.env.FAKE_FSWEBCAM_LOG = saved.log;
    if (saved.jpeg === undefined) delete process.env.FAKE_FSWEBCAM_JPEG;
    else process.env.FAKE_FSWEBCAM_JPEG = saved.jpeg;
    rmSync(work, { recursive: true, force: true });
  });

  test('runs fswebcam with the device, size and a temp output path, and returns its JPEG', async () => {
    rmSync(logPath, { force: true });
    const source = new WebcamSource('webcam:/dev/video3', {
      config: { width: 320, height: 240, fps: 30 },
      platform: 'linux',
    });
    try {
      await source.start();
      assert.ok(source.shotPath.startsWith(os.tmpdir()));
      const first = await source.grab();
      assert.equal(first.kind, 'jpeg');
      assert.deepEqual(first.data, image);
      const second = await source.grab();
      assert.ok(second.captureUs > first.captureUs);
      assert.equal(source.shots, 2);
      assert.ok(source.fps > 0);
      const calls = invocations();
      assert.equal(calls.length, 2);
      const argv = calls[0]!;
      assert.equal(argv[argv.indexOf('-d') + 1], '/dev/video3');
      assert.equal(argv[argv.indexOf('-r') + 1], '320x240');
      assert.equal(argv[argv.indexOf('--jpeg') + 1], '90');
      assert.equal(argv[argv.length - 1], source.shotPath);
    } finally {
      await source.stop();
    }
    assert.equal(existsSync(path.dirname(source.shotPath)), false, 'the temp folder is removed');
  });

  test('paces shots by the injected clock: a shot starts 1/fps after the previous one started, not sooner', async (t) => {
    // Fake time: the source reads the FakeClock and sleeps on node:test's mocked setTimeout, moved together.
    t.mock.timers.enable({ apis: ['setTimeout'] });
    const clock = new FakeClock();
    const advance = (ms: number) => {
      clock.advance(ms);
      t.mock.timers.tick(ms);
    };
    rmSync(logPath, { force: true });
    const source = new WebcamSource('webcam:/dev/video0', {
      config: { width: 320, height: 240, fps: 4 },
      platform: 'linux',
      clock: clock.now,
    });
    try {
      await source.start();
      const first = await source.grab();
      assert.equal(invocations().length, 1, 'the first shot waits for nothing');
      advance(100); // the shot took 100 ms: the next may start 150 ms from now (4 fps: 250 ms apart)
      let second: JpegFrame | undefined;
      const pending = source.grab().then((frame) => {
        second = frame;
      });
      await turns();
      advance(149);
      await turns();
      assert.equal(second, undefined, 'no shot 249 ms after the previous one started');
      advance(1);
      await pending;
      assert.equal(invocations().length, 2);
      // Capture stamps come from the same clock: the second shot ended at 250 ms.
      assert.equal(second!.captureUs - first.captureUs, 250_000);
      advance(1000); // a late grab (the interval is long gone) starts at once
      const third = await source.grab();
      assert.equal(third.captureUs - second!.captureUs, 1_000_000);
      assert.equal(source.shots, 3);
    } finally {
      await source.stop();
    }
  });

  test('refuses a hostile device name before anything runs', async () => {
    rmSync(logPath, { force: true });
    for (const spec of [
      `webcam:/dev/video0; touch ${pwned}`,
      `webcam:/dev/video0 $(touch ${pwned})`,
      `webcam:/dev/video0\`touch ${pwned}\``,
      'webcam:/dev/video0\n',
      'webcam:/dev/sda',
      'webcam:',
    ]) {
      assert.throws(
        () => new WebcamSource(spec, { platform: 'linux' }),
        { code: 'UDPCAM_ERR_SOURCE_SPEC' },
        spec,
      );
    }
    assert.throws(() => new WebcamSource(`webcam:cam; touch ${pwned}`, { platform: 'darwin' }), {
      code: 'UDPCAM_ERR_SOURCE_SPEC',
    });
    assert.ok(new WebcamSource('webcam:FaceTime_HD-Camera.1', { platform: 'darwin' }));
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.equal(existsSync(pwned), false, 'the marker file was not created');
    assert.deepEqual(invocations(), [], 'the fake fswebcam was not invoked');
  });

  test('refuses hostile options (the limits are in the schema: see the CLI tests)', () => {
    const bad: unknown[] = [
      { width: `640; touch ${pwned}`, height: 360, fps: 30 },
      { width: 640, height: -360, fps: 30 },
      { width: 640, height: 360, fps: 0 },
      { width: 640, height: 360, fps: Number.POSITIVE_INFINITY },
      { width: 640, height: 360, fps: Number.NaN },
      { width: 640, height: 360 },
    ];
    for (const config of bad) {
      assert.throws(
        () => new WebcamSource('webcam:/dev/video0', { config: config as never, platform: 'linux' }),
        { code: 'UDPCAM_ERR_SOURCE_SPEC' },
        JSON.stringify(config),
      );
    }
    assert.throws(() => new WebcamSource('webcam', { quality: 101 }), { code: 'UDPCAM_ERR_SOURCE_SPEC' });
    assert.equal(existsSync(pwned), false);
    assert.deepEqual(invocations(), []);
  });

  test('a capture that fails is a UDPCAM_ERR_SOURCE', async () => {
    const source = new WebcamSource('webcam:/dev/video0', { platform: 'linux' });
    delete process.env.FAKE_FSWEBCAM_JPEG;
    try {
      await source.start();
      await assert.rejects(source.grab(), { code: 'UDPCAM_ERR_SOURCE', message: /capture failed/ });
    } finally {
      process.env.FAKE_FSWEBCAM_JPEG = jpegPath;
      await source.stop();
    }
  });
});
