import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { isWellFormedJpeg } from '@udpcam/protocol';
import {
  type CapturedFrame,
  type FrameSource,
  type JpegCodec,
  loadCodec,
  type RgbaImage,
  type SenderOptions,
  TestPatternSource,
  Transmitter,
  WorkerWarp,
} from '@udpcam/sender';
import { JpegJsCodec } from '#sender/encoders/jpeg-js.js';
import { meanError } from '../../helpers/jpeg.js';
import { watchedSender } from '../../helpers/sender.js';
import { UdpCollector } from './helpers/udp-collector.js';

const WIDTH = 320;
const HEIGHT = 180;
const pattern = Buffer.from(
  new TestPatternSource({ width: WIDTH, height: HEIGHT }).render(3, 1_700_000_000_000),
);

/** A source that hands out the same JPEG every time. */
class JpegSource implements FrameSource {
  readonly name = 'fixed-jpeg';
  constructor(readonly jpeg: Buffer) {}
  async start(): Promise<void> {}
  async grab(): Promise<CapturedFrame> {
    return { kind: 'jpeg', data: this.jpeg, captureUs: Date.now() * 1000 };
  }
  async stop(): Promise<void> {}
}

/** Counts the calls and closes of a codec. */
class CountingCodec implements JpegCodec {
  readonly name = 'counting';
  encodes = 0;
  decodes = 0;
  closed = 0;
  constructor(readonly inner: JpegCodec) {}
  encode(rgba: Buffer, width: number, height: number, quality: number): Promise<Buffer> {
    this.encodes++;
    return this.inner.encode(rgba, width, height, quality);
  }
  decode(jpeg: Buffer): Promise<RgbaImage> {
    this.decodes++;
    return this.inner.decode(jpeg);
  }
  async close(): Promise<void> {
    this.closed++;
    await this.inner.close?.();
  }
}

function inverted(rgba: Buffer): Buffer {
  const out = Buffer.allocUnsafe(rgba.length);
  for (let i = 0; i < rgba.length; i += 4) {
    out[i] = 255 - rgba[i]!;
    out[i + 1] = 255 - rgba[i + 1]!;
    out[i + 2] = 255 - rgba[i + 2]!;
    out[i + 3] = 255;
  }
  return out;
}

/** A transform that inverts the colours. */
const invert = {
  width: WIDTH,
  height: HEIGHT,
  apply: (image: RgbaImage) => inverted(image.data),
};

describe('Sender with a codec', () => {
  let collector: UdpCollector;
  before(async () => {
    collector = await UdpCollector.open('127.0.0.1');
  });
  after(async () => {
    await collector.close();
  });

  function setup(
    options: Partial<SenderOptions> & { source: FrameSource; encoder: JpegCodec },
    packetSize = 1400,
  ) {
    collector.reset();
    return watchedSender(collector.port, { fps: 50, frames: 2, ...options }, { packetSize });
  }

  for (const name of ['sharp', 'jpeg-js'] as const) {
    it(`decodes, transforms and encodes a JPEG source frame when a transform is set (${name})`, async () => {
      const codec = new CountingCodec(await loadCodec(name));
      const original = await codec.inner.encode(pattern, WIDTH, HEIGHT, 95);
      const { sender, events, warnings } = setup({
        source: new JpegSource(original),
        encoder: codec,
        transform: invert,
      });
      await sender.run();
      await collector.waitFor(() => collector.frames.length >= 2);
      assert.deepEqual(warnings, []);
      assert.equal(codec.decodes, 2);
      assert.equal(codec.encodes, 2);
      assert.equal(codec.closed, 1, 'the Sender closes its codec');
      assert.equal(events[0]!.quality, 80);
      const received = collector.frames[0]!.data;
      assert.ok(isWellFormedJpeg(received));
      const image = await new JpegJsCodec().decode(received);
      assert.equal(image.width, WIDTH);
      assert.equal(image.height, HEIGHT);
      const error = meanError(image.data, inverted(pattern));
      assert.ok(error < 8, `received frame is the inverted pattern (mean error ${error.toFixed(2)})`);
      assert.ok(meanError(image.data, pattern) > 50, 'and not the original');
    });
  }

  it('transforms RGBA frames before encoding them', async () => {
    const source = new TestPatternSource({ width: WIDTH, height: HEIGHT });
    const seen: Array<[number, number]> = [];
    const transform = {
      width: 160,
      height: 90,
      apply(image: RgbaImage): Buffer {
        seen.push([image.width, image.height]);
        return Buffer.alloc(160 * 90 * 4, 200);
      },
    };
    const { sender } = setup({ source, encoder: new JpegJsCodec(), transform });
    await sender.run();
    await collector.waitFor(() => collector.frames.length >= 2);
    assert.deepEqual(seen, [
      [WIDTH, HEIGHT],
      [WIDTH, HEIGHT],
    ]);
    const image = await new JpegJsCodec().decode(collector.frames[0]!.data);
    assert.deepEqual([image.width, image.height], [160, 90]);
  });

  it('awaits an async transform (the area warp on its worker) and closes it when it stops', async () => {
    const half: [number, number][] = [
      [0, 0],
      [WIDTH / 2, 0],
      [WIDTH / 2, HEIGHT / 2],
      [0, HEIGHT / 2],
    ];
    const area = { selected_rect: half, visible_rect: half };
    const warp = new WorkerWarp(area);
    const { sender } = setup({
      source: new TestPatternSource({ width: WIDTH, height: HEIGHT }),
      encoder: new JpegJsCodec(),
      transform: warp,
    });
    await sender.run();
    await collector.waitFor(() => collector.frames.length >= 2);
    const image = await new JpegJsCodec().decode(collector.frames[0]!.data);
    assert.deepEqual([image.width, image.height], [WIDTH / 2, HEIGHT / 2]);
    await assert.rejects(
      warp.apply({ data: pattern, width: WIDTH, height: HEIGHT }),
      { code: 'UDPCAM_ERR_CLOSED' },
      'the Sender closed the warp worker',
    );
  });

  it('fails with UDPCAM_ERR_INVALID_OPTION when a transform returns the wrong size', async () => {
    const transform = { width: 10, height: 10, apply: () => Buffer.alloc(12) };
    const { sender } = setup({ source: new TestPatternSource(), encoder: new JpegJsCodec(), transform });
    await assert.rejects(sender.run(), { code: 'UDPCAM_ERR_INVALID_OPTION' });
  });

  it('sends a JPEG frame that fits as is, without decoding it', async () => {
    const codec = new CountingCodec(new JpegJsCodec());
    const original = await codec.inner.encode(pattern, WIDTH, HEIGHT, 70);
    const { sender, events } = setup({ source: new JpegSource(original), encoder: codec });
    await sender.run();
    assert.equal(codec.decodes + codec.encodes, 0);
    assert.equal(events[0]!.quality, undefined);
  });

  it('re-encodes a passthrough JPEG too large for 100 chunks at a lower quality, with one warning', async () => {
    const codec = new CountingCodec(await loadCodec('sharp'));
    const big = await new JpegJsCodec().encode(pattern, WIDTH, HEIGHT, 100);
    // 200-byte packets: 100 chunks hold about 18 kB.
    const { sender, events, warnings } = setup(
      { source: new JpegSource(big), encoder: codec, frames: 3 },
      200,
    );
    await sender.run();
    await collector.waitFor(() => collector.frames.length >= 3);
    const maxFrameBytes = new Transmitter({ host: '127.0.0.1', port: 9, packetSize: 200 }).maxFrameBytes;
    assert.ok(big.length > maxFrameBytes, `${big.length} bytes need more than 100 chunks`);
    assert.equal(warnings.length, 1, JSON.stringify(warnings));
    const warning = warnings[0]!;
    assert.ok(warning.code === 'UDPCAM_WARN_QUALITY_REDUCED');
    assert.equal(warning.reencoded, true);
    assert.match(warning.message, /fixed-jpeg.*re-encoding/);
    assert.ok(warning.fittedBytes <= maxFrameBytes);
    assert.equal(codec.decodes, 3);
    for (const event of events) {
      assert.ok(event.jpegBytes <= maxFrameBytes && event.jpegBytes < big.length);
      assert.equal(event.quality, warning.toQuality);
    }
    for (const frame of collector.frames) assert.ok(isWellFormedJpeg(frame.data));
  });
});
