/**
 * Stopping while a frame is being encoded (issue 11, finding 12): a huge frame's decode or encode
 * can take seconds, and stop() must neither wait for it nor let it start another step or send.
 * And a frame no quality can fit is refused before any codec work. The encoder here is a fake
 * whose encode resolves only when the test says so: that is the "slow" part, made exact.
 */
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { after, before, describe, it } from 'node:test';
import { type JpegCodec, type RgbaImage, Sender, TestPatternSource, Transmitter } from '@udpcam/sender';
import { JpegJsCodec } from '#sender/encoders/jpeg-js.js';
import { settle, turns } from '../../helpers/settle.js';

/** A real codec whose encodes wait until the test releases them; counts calls. */
class HeldCodec implements JpegCodec {
  readonly name = 'held';
  readonly #real = new JpegJsCodec();
  encodes = 0;
  decodes = 0;
  finished = 0;
  #release: (() => void)[] = [];

  async encode(rgba: Buffer, width: number, height: number, quality?: number): Promise<Buffer> {
    this.encodes++;
    await new Promise<void>((resolve) => this.#release.push(resolve));
    const jpeg = await this.#real.encode(rgba, width, height, quality);
    this.finished++;
    return jpeg;
  }
  async decode(jpeg: Buffer): Promise<RgbaImage> {
    this.decodes++;
    return this.#real.decode(jpeg);
  }
  /** Lets every encode waiting so far go on. */
  release(): void {
    for (const resolve of this.#release.splice(0)) resolve();
  }
}

describe('Sender stop while encoding', () => {
  let socket: dgram.Socket;
  let received = 0;
  before(async () => {
    socket = dgram.createSocket('udp4');
    socket.on('message', () => received++);
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  });
  after(() => socket.close());

  function transmitter(packetSize = 1400): Transmitter {
    return new Transmitter({ host: '127.0.0.1', port: socket.address().port, packetSize });
  }

  it('stop() resolves while an encode is still in flight; that frame is never sent, and no encode follows', {
    timeout: 30_000,
  }, async () => {
    const codec = new HeldCodec();
    const source = new TestPatternSource({ width: 320, height: 180 });
    const sender = new Sender({ fps: 30, source, encoder: codec, transmitter: transmitter() });
    const run = sender.run();
    await settle(() => codec.encodes === 1, 'the first encode');
    received = 0;
    await sender.stop(); // hangs here if stop waits for the encode
    await run;
    assert.equal(codec.finished, 0, 'the encode is still in flight when stop() resolves');
    codec.release();
    await settle(() => codec.finished === 1, 'the held encode to finish');
    await turns();
    assert.equal(codec.encodes, 1, 'no encode after the stop');
    assert.equal(sender.stats.framesSent, 0);
    assert.equal(received, 0, 'the abandoned frame was not sent');
  });

  it('a frame no quality can fit is refused before any decode or encode (UDPCAM_ERR_FRAME_TOO_LARGE)', async () => {
    // 16-byte packets: 1600 bytes fit 100 chunks, and a 640x480 JPEG needs at least 1800.
    const codec = new HeldCodec();
    const rgba = new Sender({
      fps: 30,
      source: new TestPatternSource({ width: 640, height: 480 }),
      encoder: codec,
      transmitter: transmitter(16),
    });
    await assert.rejects(rgba.run(), {
      code: 'UDPCAM_ERR_FRAME_TOO_LARGE',
      message: /640x480 frame .*any quality/,
    });
    const pattern = new TestPatternSource({ width: 640, height: 480 });
    const jpeg = await new JpegJsCodec().encode(pattern.render(0, 1_700_000_000_000), 640, 480, 80);
    const passthrough = new Sender({
      fps: 30,
      source: {
        name: 'big-jpeg',
        start: async () => {},
        grab: async () => ({ kind: 'jpeg', data: jpeg, captureUs: 0 }),
        stop: async () => {},
      },
      encoder: codec,
      transmitter: transmitter(16),
    });
    await assert.rejects(passthrough.run(), {
      code: 'UDPCAM_ERR_FRAME_TOO_LARGE',
      message: /640x480 JPEG frame .*any quality/,
    });
    assert.deepEqual({ decodes: codec.decodes, encodes: codec.encodes }, { decodes: 0, encodes: 0 });
  });
});
