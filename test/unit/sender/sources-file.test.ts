import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { isUdpcamError } from '@udpcam/protocol';
import { DirectorySource, FileSource } from '@udpcam/sender';
import { makeJpeg, padJpegTo } from '../../helpers/frames.js';

const isSourceError = (error: unknown, text?: string): boolean =>
  isUdpcamError(error) &&
  error.code === 'UDPCAM_ERR_SOURCE' &&
  (text === undefined || error.message.includes(text));

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'udpcam-sources-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('FileSource', () => {
  it('repeats the same JPEG with fresh capture times and its size', async () => {
    const image = padJpegTo(makeJpeg(32, 24, 1), 5000);
    const path = join(dir, 'still.jpg');
    await writeFile(path, image);
    const source = new FileSource(path);
    await source.start();
    const beforeUs = Date.now() * 1000;
    const a = await source.grab();
    const afterUs = Date.now() * 1000;
    await new Promise((resolve) => setTimeout(resolve, 2));
    const b = await source.grab();
    assert.deepEqual(a.data, image);
    assert.deepEqual(b.data, image);
    assert.equal(a.kind, 'jpeg');
    assert.equal(a.width, 32);
    assert.equal(a.height, 24);
    assert.ok(b.captureUs > a.captureUs);
    // Stamped during the grab, on the wall clock (performance.timeOrigin may sit a ms or two off Date.now()).
    assert.ok(a.captureUs >= beforeUs - 5000 && a.captureUs <= afterUs + 5000, `captureUs ${a.captureUs}`);
    await source.stop();
    await source.stop();
  });

  it('rejects a missing file and a non-JPEG, naming the path', async () => {
    const missing = join(dir, 'nope.jpg');
    await assert.rejects(new FileSource(missing).start(), (e) => isSourceError(e, missing));
    const text = join(dir, 'text.jpg');
    await writeFile(text, 'hello, not a jpeg');
    await assert.rejects(new FileSource(text).start(), (e) => isSourceError(e, text));
    await assert.rejects(new FileSource(dir).start(), (e) => isSourceError(e, dir));
  });
});

describe('DirectorySource', () => {
  it('loops over the JPEGs in natural order, skipping bad files with a warning', async () => {
    const folder = join(dir, 'frames');
    await mkdir(folder);
    const images = new Map<string, Buffer>();
    for (const [name, seed] of [
      ['frame10.jpg', 10],
      ['frame2.JPG', 2],
      ['frame1.jpeg', 1],
    ] as const) {
      const image = makeJpeg(16, 16, seed);
      images.set(name, image);
      await writeFile(join(folder, name), image);
    }
    await writeFile(join(folder, 'frame3.jpg'), 'garbage');
    await writeFile(join(folder, 'notes.txt'), 'ignored');
    await mkdir(join(folder, 'sub.jpg'));
    const warnings: string[] = [];
    const source = new DirectorySource(folder, { onWarning: (message) => warnings.push(message) });
    await source.start();
    assert.deepEqual(source.files, ['frame1.jpeg', 'frame2.JPG', 'frame3.jpg', 'frame10.jpg']);
    const order = ['frame1.jpeg', 'frame2.JPG', 'frame10.jpg', 'frame1.jpeg', 'frame2.JPG'];
    for (const name of order) {
      const frame = await source.grab();
      assert.deepEqual(frame.data, images.get(name), name);
      assert.equal(frame.width, 16);
    }
    assert.equal(warnings.length, 1);
    assert.match(warnings[0]!, /frame3\.jpg.*not a JPEG/);
    await source.stop();
  });

  it('fails at start on an empty or missing folder, and on a folder of bad files at grab', async () => {
    const empty = join(dir, 'empty');
    await mkdir(empty);
    await writeFile(join(empty, 'readme.txt'), 'x');
    await assert.rejects(new DirectorySource(empty).start(), (e) => isSourceError(e, empty));
    await assert.rejects(new DirectorySource(join(dir, 'missing')).start(), (e) => isSourceError(e));
    const bad = join(dir, 'bad');
    await mkdir(bad);
    await writeFile(join(bad, 'a.jpg'), 'x');
    const source = new DirectorySource(bad, { onWarning: () => {} });
    await source.start();
    await assert.rejects(source.grab(), (e) => isSourceError(e, 'none of'));
  });
});
