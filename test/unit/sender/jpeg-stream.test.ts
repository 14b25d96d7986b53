/**
 * JpegStreamSplitter: real JPEGs (jpeg-js) concatenated with garbage, fed in every split and in
 * one-byte pieces, an FFD9 inside an APP segment, oversize frames and resync.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { isWellFormedJpeg } from '@udpcam/protocol';
import { JpegStreamSplitter } from '@udpcam/sender';
import { makeJpeg } from '../../helpers/jpeg.js';

// Not yet exported from @udpcam/sender: load the built module by path, typed from its source.

const small = [
  makeJpeg({ width: 8, height: 8, quality: 50, seed: 1 }),
  makeJpeg({ width: 16, height: 8, quality: 70, seed: 2 }),
  makeJpeg({ width: 8, height: 16, quality: 90, seed: 3 }),
];

/** SOI, an APP1 whose payload holds FF D9 and FF D8, then the rest of `jpeg`. */
function withTrickyApp(jpeg: Buffer): Buffer {
  const payload = Buffer.from([0x45, 0x78, 0xff, 0xd9, 0x00, 0xff, 0xd8, 0xff, 0xd9, 0xff]);
  const app = Buffer.alloc(4 + payload.length);
  app.writeUInt16BE(0xffe1, 0);
  app.writeUInt16BE(payload.length + 2, 2);
  payload.copy(app, 4);
  return Buffer.concat([jpeg.subarray(0, 2), app, jpeg.subarray(2)]);
}

const garbage = (n: number, seed: number) =>
  Buffer.from(Array.from({ length: n }, (_, i) => (i * 37 + seed) & 0xff));

function feedAll(
  chunks: Buffer[],
  options = {},
): { frames: Buffer[]; splitter: InstanceType<typeof JpegStreamSplitter> } {
  const splitter = new JpegStreamSplitter(options);
  const frames = chunks.flatMap((chunk) => splitter.feed(chunk));
  return { frames, splitter };
}

describe('JpegStreamSplitter', () => {
  test('splits concatenated JPEGs with garbage between them, in one chunk', () => {
    const stream = Buffer.concat([
      garbage(100, 1),
      small[0]!,
      Buffer.from([0xff, 0xff, 0xd9, 0xff]),
      small[1]!,
      garbage(33, 2),
      small[2]!,
      small[0]!,
      garbage(5, 3),
    ]);
    const { frames, splitter } = feedAll([stream]);
    assert.deepEqual(frames, [small[0], small[1], small[2], small[0]]);
    for (const frame of frames) assert.ok(isWellFormedJpeg(frame));
    assert.equal(splitter.stats.frames, 4);
    assert.equal(splitter.stats.malformed, 0);
    assert.equal(splitter.inFrame, false);
  });

  test('gives the same frames for a split at every byte position, and byte by byte', () => {
    const tricky = withTrickyApp(small[1]!);
    const stream = Buffer.concat([
      garbage(7, 9),
      small[0]!,
      Buffer.from([0xff]),
      tricky,
      garbage(3, 4),
      small[2]!,
    ]);
    const expected = [small[0], tricky, small[2]];
    for (let at = 0; at <= stream.length; at++) {
      const { frames } = feedAll([stream.subarray(0, at), stream.subarray(at)]);
      assert.deepEqual(frames, expected, `split at ${at}`);
    }
    for (let a = 0; a < stream.length; a += 13) {
      for (let b = a; b <= stream.length; b += 7) {
        const { frames } = feedAll([stream.subarray(0, a), stream.subarray(a, b), stream.subarray(b)]);
        assert.deepEqual(frames, expected, `split at ${a} and ${b}`);
      }
    }
    const bytes = Array.from(stream, (byte) => Buffer.from([byte]));
    assert.deepEqual(feedAll(bytes).frames, expected);
  });

  test('an FFD9 inside an APP segment does not end the frame', () => {
    const tricky = withTrickyApp(small[0]!);
    assert.ok(isWellFormedJpeg(tricky));
    assert.deepEqual(feedAll([tricky]).frames, [tricky]);
  });

  test('a frame over maxFrameBytes is dropped and the splitter resyncs on the next SOI', () => {
    const big = makeJpeg({ width: 64, height: 64, quality: 95 });
    assert.ok(big.length > 1000);
    const stream = Buffer.concat([small[0]!, big, small[1]!, big, small[2]!]);
    for (const chunkSize of [stream.length, 100, 1]) {
      const chunks: Buffer[] = [];
      for (let at = 0; at < stream.length; at += chunkSize) chunks.push(stream.subarray(at, at + chunkSize));
      const { frames, splitter } = feedAll(chunks, { maxFrameBytes: 1000 });
      assert.deepEqual(frames, [small[0], small[1], small[2]], `chunks of ${chunkSize}`);
      assert.equal(splitter.stats.oversize, 2);
    }
  });

  test('a truncated frame is dropped when the next SOI comes', () => {
    // Cut inside the scan data (a cut inside a header segment swallows bytes by its length).
    const cut = small[0]!.subarray(0, small[0]!.length - 3);
    const { frames, splitter } = feedAll([Buffer.concat([cut, small[1]!])]);
    assert.deepEqual(frames, [small[1]]);
    assert.equal(splitter.stats.malformed, 1);
  });

  test('feedLatest returns only the newest frame of a chunk', () => {
    const splitter = new JpegStreamSplitter();
    assert.deepEqual(
      splitter.feedLatest(Buffer.concat([small[0]!, small[1]!, small[2]!.subarray(0, 10)])),
      small[1],
    );
    assert.deepEqual(splitter.feedLatest(small[2]!.subarray(10)), small[2]);
    assert.equal(splitter.feedLatest(garbage(10, 0)), undefined);
  });
});
