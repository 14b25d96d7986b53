import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { isUdpcamError } from '@udpcam/protocol';
import {
  boundaryFromContentType,
  DirectorySource,
  FileSource,
  MultipartParser,
  type MultipartPart,
} from '@udpcam/sender';
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
    const a = await source.grab();
    await new Promise((resolve) => setTimeout(resolve, 2));
    const b = await source.grab();
    assert.deepEqual(a.data, image);
    assert.deepEqual(b.data, image);
    assert.equal(a.kind, 'jpeg');
    assert.equal(a.width, 32);
    assert.equal(a.height, 24);
    assert.ok(b.captureUs > a.captureUs);
    assert.ok(Math.abs(a.captureUs / 1000 - Date.now()) < 5000);
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

describe('MultipartParser', () => {
  const jpegs = [makeJpeg(16, 16, 1), padJpegTo(makeJpeg(8, 8, 2), 3000), makeJpeg(24, 8, 3)];

  function stream(options: { boundary: string; eol: string; lengths: boolean; lead?: string }): Buffer {
    const pieces: Buffer[] = [Buffer.from(`preamble junk${options.eol}`)];
    for (const image of jpegs) {
      const headers = [`${options.lead ?? '--'}${options.boundary}`, 'Content-Type: image/jpeg'];
      if (options.lengths) headers.push(`Content-Length: ${image.length}`);
      pieces.push(Buffer.from(headers.join(options.eol) + options.eol + options.eol), image);
      pieces.push(Buffer.from(options.eol));
    }
    pieces.push(Buffer.from(`${options.lead ?? '--'}${options.boundary}--${options.eol}`));
    return Buffer.concat(pieces);
  }

  function parseSplit(bytes: Buffer, boundary: string | undefined, split: number): MultipartPart[] {
    const parser = new MultipartParser(boundary);
    return [...parser.feed(bytes.subarray(0, split)), ...parser.feed(bytes.subarray(split))];
  }

  const cases = [
    { name: 'CRLF with Content-Length', boundary: 'myboundary', eol: '\r\n', lengths: true },
    { name: 'CRLF without Content-Length', boundary: 'myboundary', eol: '\r\n', lengths: false },
    { name: 'LF only with Content-Length', boundary: 'frame', eol: '\n', lengths: true },
    { name: 'LF only without Content-Length', boundary: 'frame', eol: '\n', lengths: false },
  ];
  for (const c of cases) {
    it(`gives the same parts split at every byte: ${c.name}`, () => {
      const bytes = stream(c);
      const whole = new MultipartParser(c.boundary).feed(bytes);
      assert.equal(whole.length, 3);
      whole.forEach((part, i) => {
        assert.deepEqual(part.body, jpegs[i]);
        assert.equal(part.headers['content-type'], 'image/jpeg');
      });
      for (let split = 0; split <= bytes.length; split++) {
        const parts = parseSplit(bytes, c.boundary, split);
        assert.equal(parts.length, 3, `split at ${split}`);
        for (const [i, part] of parts.entries()) {
          assert.ok(part.body.equals(jpegs[i]!), `part ${i} split at ${split}`);
        }
      }
    });
  }

  it('parses a stream fed one byte at a time', () => {
    const bytes = stream({ boundary: 'b', eol: '\r\n', lengths: false });
    const parser = new MultipartParser('b');
    const parts: MultipartPart[] = [];
    for (let i = 0; i < bytes.length; i++) parts.push(...parser.feed(bytes.subarray(i, i + 1)));
    assert.deepEqual(
      parts.map((p) => p.body),
      jpegs,
    );
  });

  it('reads quoted and unquoted boundaries, with or without their own leading dashes', () => {
    assert.equal(boundaryFromContentType('multipart/x-mixed-replace; boundary="my frame"'), 'my frame');
    assert.equal(boundaryFromContentType('multipart/x-mixed-replace;boundary=ffmpeg'), 'ffmpeg');
    assert.equal(boundaryFromContentType('Multipart/X-Mixed-Replace; BOUNDARY=--abc; charset=x'), '--abc');
    assert.equal(boundaryFromContentType('multipart/x-mixed-replace'), undefined);
    // Declared "--abc", lines "--abc" (the quirk) and "----abc" (by the book) both work.
    for (const lead of ['--', '----', '']) {
      const bytes = stream({ boundary: 'abc', eol: '\r\n', lengths: false, lead });
      const parts = new MultipartParser('--abc').feed(bytes);
      assert.deepEqual(
        parts.map((p) => p.body),
        jpegs,
        `lead "${lead}"`,
      );
    }
    const quoted = stream({ boundary: 'my frame', eol: '\r\n', lengths: true });
    const type = 'multipart/x-mixed-replace; boundary="my frame"';
    assert.equal(new MultipartParser(boundaryFromContentType(type)).feed(quoted).length, 3);
  });

  it('learns the boundary from the stream when none is declared', () => {
    const bytes = stream({ boundary: 'ffmpeg', eol: '\r\n', lengths: true }).subarray(
      'preamble junk\r\n'.length,
    );
    for (let split = 0; split <= bytes.length; split += 7) {
      const parts = parseSplit(bytes, undefined, split);
      assert.equal(parts.length, 3, `split at ${split}`);
    }
  });

  it('drops a part over the limit and resyncs on the next boundary', () => {
    const big = padJpegTo(makeJpeg(8, 8, 9), 20_000);
    for (const lengths of [true, false]) {
      const pieces = [jpegs[0]!, big, jpegs[1]!].map((image) =>
        Buffer.concat([
          Buffer.from(
            `--b\r\nContent-Type: image/jpeg\r\n${lengths ? `Content-Length: ${image.length}\r\n` : ''}\r\n`,
          ),
          image,
          Buffer.from('\r\n'),
        ]),
      );
      const bytes = Buffer.concat(pieces);
      const parser = new MultipartParser('b', { maxPartBytes: 10_000 });
      const parts: MultipartPart[] = [];
      for (let at = 0; at < bytes.length; at += 1000)
        parts.push(...parser.feed(bytes.subarray(at, at + 1000)));
      parts.push(...parser.feed(Buffer.from('--b\r\n')));
      assert.deepEqual(
        parts.map((p) => p.body),
        [jpegs[0], jpegs[1]],
        `lengths ${lengths}`,
      );
      assert.equal(parser.droppedParts, 1);
      assert.ok(parser.pendingBytes < 11_000);
    }
  });
});
