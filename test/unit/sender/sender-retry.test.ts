/** The sender survives a failing source: it reports each failure, backs off, and goes on. */
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { test } from 'node:test';
import { FrameAssembler, UdpcamError } from '@udpcam/protocol';
import {
  type CapturedFrame,
  type FrameSource,
  Sender,
  type SenderWarning,
  Transmitter,
} from '@udpcam/sender';
import { JpegJsCodec } from '#sender/encoders/jpeg-js.js';
import { FakeClock } from '../../helpers/clock.js';
import { makeJpeg, padJpegTo } from '../../helpers/frames.js';
import { settle, turns } from '../../helpers/settle.js';

/** A source whose grabs fail as scripted: `true` fails with UDPCAM_ERR_SOURCE, `false` delivers. */
class ScriptedSource implements FrameSource {
  readonly name = 'scripted';
  grabs = 0;
  constructor(
    private readonly script: boolean[],
    private readonly jpeg: Buffer,
  ) {}
  async start(): Promise<void> {}
  async stop(): Promise<void> {}
  async grab(): Promise<CapturedFrame> {
    const fail = this.script[this.grabs++] ?? false;
    if (fail) throw new UdpcamError('UDPCAM_ERR_SOURCE', `camera unplugged (grab ${this.grabs})`);
    return { kind: 'jpeg', data: this.jpeg, captureUs: Date.now() * 1000 };
  }
}

test('grab failures are reported with their backoff, waited on the clock, and frames resume', async (t) => {
  // Fake time: the Sender reads `clock` and sleeps on node:test's mocked setTimeout.
  t.mock.timers.enable({ apis: ['setTimeout'] });
  const clock = new FakeClock();
  const advance = (ms: number) => {
    clock.advance(ms);
    t.mock.timers.tick(ms);
  };
  const receiver = dgram.createSocket('udp4');
  await new Promise<void>((resolve) => receiver.bind(0, '127.0.0.1', resolve));
  const assembler = new FrameAssembler();
  let frames = 0;
  receiver.on('message', (datagram) => {
    if (assembler.push(datagram, 'sender', clock.now())) frames++;
  });
  // Grab 1 delivers, grabs 2 and 3 fail, grabs 4 and 5 deliver.
  const source = new ScriptedSource([false, true, true, false, false], makeJpeg(64, 48, 1));
  const sender = new Sender({
    source,
    encoder: new JpegJsCodec(),
    transmitter: new Transmitter({ host: '127.0.0.1', port: receiver.address().port, packetSize: 1000 }),
    fps: 50,
    frames: 3,
    clock: clock.now,
  });
  const warnings: SenderWarning[] = [];
  sender.on('warning', (warning) => warnings.push(warning));
  try {
    const run = sender.run();
    await settle(() => sender.stats.framesSent === 1, 'frame 1');
    advance(20); // slot 1: grab 2 fails
    await settle(() => warnings.length === 1, 'the first failure');
    advance(249);
    await turns();
    assert.equal(source.grabs, 2, 'no retry before 250 ms');
    advance(1); // grab 3 fails
    await settle(() => warnings.length === 2, 'the second failure');
    advance(499);
    await turns();
    assert.equal(source.grabs, 3, 'no retry before 500 ms');
    advance(1); // grab 4 delivers
    await settle(() => sender.stats.framesSent === 2, 'frame 2');
    advance(20); // grab 5 delivers
    await run;
    await settle(() => frames === 3, '3 frames at the receiver');
    assert.equal(sender.stats.framesSent, 3);
    assert.equal(source.grabs, 5);
    assert.deepEqual(
      warnings.map((w) =>
        w.code === 'UDPCAM_WARN_FRAME_FAILED' ? [w.stage, w.error, w.failures, w.retryInMs] : w.code,
      ),
      [
        ['grab', 'UDPCAM_ERR_SOURCE', 1, 250],
        ['grab', 'UDPCAM_ERR_SOURCE', 2, 500],
      ],
    );
    assert.match(warnings[0]!.message, /camera unplugged \(grab 2\); retrying in 250 ms/);
  } finally {
    receiver.close();
  }
});

test('errors the table does not call retryable end the run: a source used out of turn, run() twice', async () => {
  class StoppedSource extends ScriptedSource {
    override async grab(): Promise<CapturedFrame> {
      this.grabs++;
      throw new UdpcamError('UDPCAM_ERR_CLOSED', 'scripted: grab() called while not started');
    }
  }
  const source = new StoppedSource([], makeJpeg(64, 48, 1));
  const sender = new Sender({
    source,
    encoder: new JpegJsCodec(),
    transmitter: new Transmitter({ host: '127.0.0.1', port: 9, packetSize: 1000 }),
    fps: 50,
    frames: 3,
  });
  const warnings: SenderWarning[] = [];
  sender.on('warning', (warning) => warnings.push(warning));
  const run = sender.run();
  assert.throws(() => sender.run(), { code: 'UDPCAM_ERR_CLOSED', message: /already called/ });
  await assert.rejects(run, { code: 'UDPCAM_ERR_CLOSED', message: /not started/ });
  assert.deepEqual([source.grabs, warnings.length], [1, 0], 'no retry, no warning');
});

test('an error no retry can fix ends the run', async () => {
  const big = padJpegTo(makeJpeg(64, 48, 2), 5000);
  const sender = new Sender({
    source: new ScriptedSource([], big),
    encoder: new JpegJsCodec(),
    // 16-byte packets: 100 chunks hold 1600 bytes, less than this JPEG.
    transmitter: new Transmitter({ host: '127.0.0.1', port: 9, packetSize: 16 }),
    fps: 50,
    frames: 1,
    // Re-encoding it may not go below quality 100, which does not fit either.
    quality: 100,
    minQuality: 100,
  });
  await assert.rejects(sender.run(), { code: 'UDPCAM_ERR_FRAME_TOO_LARGE' });
});
