/** MultipartParser: multipart/x-mixed-replace bytes in, parts out, at any split, with bounded memory. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { boundaryFromContentType, MultipartParser, type MultipartPart } from '@udpcam/common';
import { makeJpeg, padJpegTo } from '../../helpers/frames.js';

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

  it('skips bodies with a Content-Length unbuffered when asked, at any split', () => {
    const bytes = stream({ boundary: 'b', eol: '\r\n', lengths: true });
    for (let split = 0; split <= bytes.length; split += 97) {
      const parser = new MultipartParser('b', { keepBodies: false });
      const parts = [...parser.feed(bytes.subarray(0, split)), ...parser.feed(bytes.subarray(split))];
      assert.equal(parts.length, 3, `split at ${split}`);
      for (const part of parts) assert.equal(part.body.length, 0);
      assert.deepEqual(
        parts.map((p) => Number(p.headers['content-length'])),
        jpegs.map((j) => j.length),
      );
    }
  });

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

  it('counts the bytes it skips, and says when a part is cut', () => {
    const strict = stream({ boundary: 'b', eol: '\r\n', lengths: true }).subarray('preamble junk\r\n'.length);
    const parser = new MultipartParser('b');
    assert.equal(parser.feed(strict).length, 3);
    assert.equal(parser.skippedBytes, 0, 'a stream to the letter skips nothing');
    assert.equal(parser.inPart, false, 'the closing "--b--" line opens no part');

    const junk = new MultipartParser('b');
    junk.feed(stream({ boundary: 'b', eol: '\r\n', lengths: true }));
    assert.equal(junk.skippedBytes, 'preamble junk\r\n'.length);

    const cut = new MultipartParser('b');
    cut.feed(Buffer.from(`--b\r\nContent-Length: ${jpegs[0]!.length}\r\n\r\n`));
    cut.feed(jpegs[0]!.subarray(0, 10));
    assert.equal(cut.inPart, true);
    assert.equal(cut.pendingBytes, 10);
    cut.feed(Buffer.concat([jpegs[0]!.subarray(10), Buffer.from('\r\n')]));
    assert.equal(cut.inPart, false);
    assert.equal(cut.pendingBytes, 0);
  });
});
