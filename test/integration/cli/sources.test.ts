/** `udpcam send --source ...` for each kind of source, into a real `udpcam receive`. */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { isWellFormedJpeg } from '@udpcam/protocol';
import { runCli, startDiskReceiver } from '../../helpers/cli.js';
import { makeJpeg } from '../../helpers/frames.js';

let dir: string;
before(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'udpcam-sources-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Sends with `args` into a fresh receiver; returns the frames it wrote, in order. */
async function sendAndCollect(args: string[], frames: number): Promise<Buffer[]> {
  const out = await mkdtemp(path.join(dir, 'out-'));
  const { cli, port } = await startDiskReceiver(out);
  try {
    const sent = await runCli(
      ['send', '--port', String(port), '--frames', String(frames), '--json', ...args],
      30_000,
    );
    assert.equal(sent.code, 0, sent.stderr);
    await cli.waitFor(new RegExp(`"frames":${frames}[,}]`), 10_000);
  } finally {
    assert.equal(await cli.stop(), 0);
  }
  const [camera] = await readdir(out);
  const names = (await readdir(path.join(out, camera!))).sort();
  return Promise.all(names.map((name) => readFile(path.join(out, camera!, name))));
}

test('file: and dir: pass the JPEG bytes through unchanged (--no-meta)', async () => {
  const file = path.join(dir, 'one.jpg');
  const image = makeJpeg(160, 120, 1);
  await writeFile(file, image);
  for (const frame of await sendAndCollect(['--source', `file:${file}`, '--no-meta', '--fps', '20'], 5)) {
    assert.ok(frame.equals(image));
  }
  const folder = path.join(dir, 'folder');
  await mkdir(folder);
  const images = [1, 2, 3].map((i) => makeJpeg(96, 64, 10 + i));
  for (const [i, image] of images.entries()) await writeFile(path.join(folder, `frame${i + 1}.jpg`), image);
  const got = await sendAndCollect(['--source', `dir:${folder}`, '--no-meta', '--fps', '20'], 6);
  assert.deepEqual(got, [...images, ...images], 'name order, looped');
});

test('ffmpeg: a persistent ffmpeg (lavfi test source) as the camera', async () => {
  const frames = await sendAndCollect(
    ['--source', 'ffmpeg:-f lavfi -i testsrc2=size=320x240:rate=15', '--fps', '15'],
    10,
  );
  for (const frame of frames) assert.ok(isWellFormedJpeg(frame));
});

test('http: an IP camera serving MJPEG (ffmpeg -listen 1 as the camera)', async () => {
  const probe = net.createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const port = (probe.address() as net.AddressInfo).port;
  await new Promise((resolve) => probe.close(resolve));
  const camera: ChildProcess = spawn('ffmpeg', [
    '-loglevel',
    'error',
    '-re',
    '-f',
    'lavfi',
    '-i',
    'testsrc2=size=320x240:rate=10',
    '-f',
    'mpjpeg',
    '-listen',
    '1',
    `http://127.0.0.1:${port}/`,
  ]);
  try {
    const frames = await sendAndCollect(['--source', `http://127.0.0.1:${port}/`, '--fps', '10'], 8);
    for (const frame of frames) assert.ok(isWellFormedJpeg(frame));
  } finally {
    camera.kill('SIGKILL');
  }
});

test('--camera_config is checked against its schema: one line naming the field', async () => {
  const bad = path.join(dir, 'camera.json');
  await writeFile(bad, JSON.stringify({ width: 640, height: 360, fps: 0 }));
  const { code, stderr } = await runCli([
    'send',
    '--source',
    'test',
    '--camera_config',
    bad,
    '--frames',
    '1',
  ]);
  assert.equal(code, 1);
  assert.match(stderr, /camera\.json: fps: must be > 0/);
  assert.match(stderr, /UDPCAM_ERR_CONFIG/);
  // The limits live only in the schema: the sources no longer check them again.
  await writeFile(bad, JSON.stringify({ width: 640.5, height: 9999, fps: 30 }));
  const tooLarge = await runCli([
    'send',
    '--source',
    'v4l2:/dev/video0',
    '--camera_config',
    bad,
    '--frames',
    '1',
  ]);
  assert.equal(tooLarge.code, 1);
  assert.match(tooLarge.stderr, /camera\.json: width: must be integer.*height: must be <= 4320/);
  assert.match(tooLarge.stderr, /UDPCAM_ERR_CONFIG/);
});

test('a hostile webcam device name is refused before anything runs', async () => {
  const marker = path.join(dir, 'pwned');
  const { code, stderr } = await runCli([
    'send',
    '--source',
    `webcam:/dev/video0;touch ${marker}`,
    '--frames',
    '1',
  ]);
  assert.equal(code, 1, stderr);
  assert.match(stderr, /UDPCAM_ERR_SOURCE/);
  await assert.rejects(readFile(marker));
});
