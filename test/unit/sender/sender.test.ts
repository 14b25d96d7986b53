import assert from 'node:assert/strict';
import { after, before, describe, it, type TestContext } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { decodeDatagram, isWellFormedJpeg, readFrameMeta } from '@udpcam/protocol';
import {
  type CapturedFrame,
  type FrameEvent,
  type FrameSource,
  Sender,
  type SenderOptions,
  TestPatternSource,
  type TransmitterOptions,
} from '@udpcam/sender';
import { JpegJsCodec } from '#sender/encoders/jpeg-js.js';
import { FakeClock } from '../../helpers/clock.js';
import { watchedSender } from '../../helpers/sender.js';
import { settle } from '../../helpers/settle.js';
import { UdpCollector } from './helpers/udp-collector.js';

/** A source that wraps the test pattern and can be slowed down or inspected. */
class InstrumentedSource implements FrameSource {
  readonly name = 'instrumented';
  readonly inner: TestPatternSource;
  started = 0;
  stopped = 0;
  grabs = 0;

  constructor(
    size = { width: 320, height: 180 },
    readonly delayMs: (grab: number) => number = () => 0,
  ) {
    this.inner = new TestPatternSource(size);
  }
  async start(): Promise<void> {
    this.started++;
    await this.inner.start();
  }
  async grab(): Promise<CapturedFrame> {
    const delay = this.delayMs(this.grabs++);
    if (delay > 0) await sleep(delay);
    return this.inner.grab();
  }
  async stop(): Promise<void> {
    this.stopped++;
    await this.inner.stop();
  }
}

/** A source of one fixed JPEG (no encode time, so timing tests measure only the pacing). */
class JpegSource implements FrameSource {
  readonly name = 'fixed-jpeg';
  stopped = false;
  grabs = 0;
  /** `onGrab(n)` runs inside grab n (a test moves its fake clock there to make a grab slow). */
  constructor(
    readonly jpeg: Buffer,
    readonly onGrab: (grab: number) => void = () => {},
  ) {}
  async start(): Promise<void> {}
  async grab(): Promise<CapturedFrame> {
    this.onGrab(this.grabs++);
    return { kind: 'jpeg', data: this.jpeg, captureUs: Date.now() * 1000 };
  }
  async stop(): Promise<void> {
    this.stopped = true;
  }
}

/** The 320x180 test pattern as a JPEG. */
async function smallJpeg(quality = 80): Promise<Buffer> {
  const pattern = new TestPatternSource({ width: 320, height: 180 });
  const rgba = pattern.render(0, 1_700_000_000_000);
  return new JpegJsCodec().encode(rgba, 320, 180, quality);
}

describe('Sender', () => {
  let collector: UdpCollector;
  before(async () => {
    collector = await UdpCollector.open('127.0.0.1');
  });
  after(async () => {
    await collector.close();
  });

  /** A Sender to the collector; collects its frame and warning events. */
  function setup(
    options: Partial<SenderOptions> & { fps: number },
    transmitterOptions: Partial<TransmitterOptions> = {},
  ) {
    collector.reset();
    const source = options.source ?? new InstrumentedSource();
    const sent = watchedSender(
      collector.port,
      { encoder: new JpegJsCodec(), ...options, source },
      transmitterOptions,
    );
    return { ...sent, source };
  }

  /**
   * Fake time for a Sender: the FakeClock it reads and node:test's mocked setTimeout it sleeps on,
   * moved together. `expectSlots` moves time to each expected slot's due time and waits (in real
   * time, by the event) for the frame: a frame sent in another slot, early or late, fails.
   */
  function fakeTime(t: TestContext, intervalMs: number) {
    t.mock.timers.enable({ apis: ['setTimeout'] });
    const clock = new FakeClock();
    const start = clock.now();
    const advance = (ms: number) => {
      clock.advance(ms);
      t.mock.timers.tick(ms);
    };
    const expectSlots = async (events: FrameEvent[], slots: number[]) => {
      for (let i = 0; i < slots.length; i++) {
        const due = start + slots[i]! * intervalMs;
        if (due > clock.now()) advance(due - clock.now());
        await settle(() => events.length > i, `frame ${i} (slot ${slots[i]})`);
        assert.equal(events[i]!.slot, slots[i], `frame ${i} went out in slot ${slots[i]}`);
      }
    };
    return { clock, advance, expectSlots };
  }

  it('paces a pre-encoded JPEG source at 20 fps for 1.5 s: 30 frames, one per 50 ms slot, none late', async (t) => {
    const time = fakeTime(t, 50);
    const { sender, events } = setup({
      fps: 20,
      durationMs: 1500,
      source: new JpegSource(await smallJpeg()),
      clock: time.clock.now,
    });
    const run = sender.run();
    const slots = Array.from({ length: 30 }, (_, i) => i);
    await time.expectSlots(events, slots);
    await run;
    const stats = sender.stats;
    assert.equal(stats.framesSent, 30);
    assert.equal(stats.framesSkipped, 0);
    assert.deepEqual(
      events.map((e) => e.lateMs),
      slots.map(() => 0),
    );
    // RateMeter at 11 450 ms of the fake clock: the 10 frames of second 11 so far plus the 55 % of
    // second 10's 20 frames still within a second of now.
    assert.equal(stats.fps, 10 + 20 * 0.55);
    await collector.waitFor(() => collector.starts.length >= 30);
    assert.equal(collector.starts.length, 30);
  });

  it('paces the test pattern through jpeg-js: encode time is not schedule time', async (t) => {
    const time = fakeTime(t, 50);
    const { sender, events } = setup({ fps: 20, durationMs: 1500, clock: time.clock.now });
    const run = sender.run();
    // However long jpeg-js takes in real time, no fake time passes: every slot is kept.
    await time.expectSlots(
      events,
      Array.from({ length: 30 }, (_, i) => i),
    );
    await run;
    const stats = sender.stats;
    assert.equal(stats.framesSent, 30);
    assert.equal(stats.framesSkipped, 0);
    await collector.waitFor(() => collector.starts.length >= 30);
    assert.ok(stats.bytesSent > 0 && stats.datagramsSent >= stats.framesSent * 2);
    assert.equal(stats.lastFrameBytes, events.at(-1)!.jpegBytes);
    assert.equal(stats.lastFrameChunks, events.at(-1)!.datagrams);
  });

  it('skips the slots a slow frame overran instead of bursting to catch up', async (t) => {
    const time = fakeTime(t, 50);
    // Grab 3 (slot 3, at 150 ms) takes 160 ms: slots 4 and 5 (due at 200 and 250 ms) go by
    // meanwhile; slot 6 (300 ms) is 10 ms late, within half an interval, so it is kept.
    const source = new JpegSource(await smallJpeg(), (grab) => {
      if (grab === 3) time.advance(160);
    });
    const { sender, events } = setup({ fps: 20, frames: 8, source, clock: time.clock.now });
    const run = sender.run();
    await time.expectSlots(events, [0, 1, 2, 3, 6, 7, 8, 9]);
    await run;
    assert.equal(sender.stats.framesSkipped, 2);
    assert.deepEqual(
      events.map((e) => e.lateMs),
      [0, 0, 0, 0, 10, 0, 0, 0],
    );
    assert.equal(events[3]!.grabMs, 160);
    await collector.waitFor(() => collector.starts.length >= 8);
  });

  it('stops after exactly N frames when told to', async () => {
    const { sender, source, transmitter } = setup({ fps: 50, frames: 5 });
    await sender.run();
    await collector.waitFor(() => collector.starts.length >= 5);
    // run() resolved with the transmitter closed: a sixth frame cannot follow.
    assert.equal(collector.starts.length, 5);
    assert.equal(sender.stats.framesSent, 5);
    assert.ok(source instanceof InstrumentedSource);
    assert.equal(source.grabs, 5);
    assert.equal(source.stopped, 1);
    await assert.rejects(transmitter.send(Buffer.from([0xff, 0xd8, 0xff, 0xd9])), /closed/);
  });

  it('stamps each frame with seq and capture time (reassembled on the receiving side)', async () => {
    const { sender, events } = setup({ fps: 40, frames: 6 });
    const startUs = Date.now() * 1000;
    await sender.run();
    const endUs = Date.now() * 1000;
    await collector.waitFor(() => collector.frames.length >= 6);
    assert.equal(collector.frames.length, 6);
    const metas = collector.frames.map((frame) => {
      assert.ok(isWellFormedJpeg(frame.data));
      return readFrameMeta(frame.data);
    });
    metas.forEach((meta, i) => {
      assert.ok(meta, `frame ${i} carries metadata`);
      assert.equal(meta.seq, i);
      assert.equal(meta.captureUs, events[i]!.captureUs);
      assert.ok(
        meta.captureUs >= startUs - 5000 && meta.captureUs <= endUs + 5000,
        `captureUs ${meta.captureUs}`,
      );
      if (i > 0) assert.ok(meta.captureUs > metas[i - 1]!.captureUs);
    });
    assert.deepEqual(
      collector.frames.map((f) => f.data.length),
      events.map((e) => e.jpegBytes),
    );
    // udpcam's framing: image ids cycle 0, 1, 2, ...
    assert.deepEqual(
      collector.frames.map((f) => f.imageId),
      [0, 1, 2, 3, 4, 5],
    );
  });

  it('sends plain JPEGs when meta is off', async () => {
    const { sender } = setup({ fps: 50, frames: 2, meta: false });
    await sender.run();
    await collector.waitFor(() => collector.frames.length >= 2);
    for (const frame of collector.frames) assert.equal(readFrameMeta(frame.data), undefined);
  });

  it('emulates the Python sender in legacy mode: random image ids in 10..99', async () => {
    const { sender } = setup({ fps: 50, frames: 12 }, { legacy: true, packetSize: 4000 });
    await sender.run();
    await collector.waitFor(() => collector.frames.length >= 12);
    const headers = collector.datagrams.map((d) => decodeDatagram(d.datagram));
    for (const header of headers) {
      assert.ok(header.imageId >= 10 && header.imageId <= 99, `image id ${header.imageId}`);
    }
    // Every chunk but a frame's last is exactly packetSize bytes, as the Python sender makes them.
    const frames: (typeof headers)[] = [];
    for (const header of headers) {
      if (header.type === 'S') frames.push([]);
      frames.at(-1)!.push(header);
    }
    assert.equal(frames.length, 12);
    for (const chunks of frames) {
      for (const chunk of chunks.slice(0, -1)) assert.equal(chunk.payload.length, 4000);
      assert.ok(chunks.at(-1)!.payload.length <= 4000);
    }
    assert.equal(collector.frames.length, 12, 'the assembler reassembles every legacy frame');
    for (const frame of collector.frames) assert.ok(readFrameMeta(frame.data));
  });

  it('lowers the quality when a frame does not fit 100 chunks, with a warning', async () => {
    // 100 chunks of 200 bytes = 20000 bytes; the 640x360 pattern is ~24-29 kB at quality 80.
    const source = new InstrumentedSource({ width: 640, height: 360 });
    const { sender, events, warnings } = setup({ fps: 20, frames: 4, source }, { packetSize: 200 });
    await sender.run();
    await collector.waitFor(() => collector.frames.length >= 4);
    assert.ok(warnings.length >= 1 && warnings.length <= 3, `${warnings.length} warnings`);
    const first = warnings[0]!;
    assert.ok(first.code === 'UDPCAM_WARN_QUALITY_REDUCED');
    assert.equal(first.fromQuality, 80);
    assert.ok(first.toQuality < 80);
    assert.equal(first.maxFrameBytes, 20000);
    assert.ok(first.frameBytes > 20000 && first.fittedBytes <= 20000);
    assert.match(first.message, /quality lowered to \d+/);
    for (const event of events) {
      assert.ok(event.jpegBytes <= 20000);
      assert.ok(event.datagrams <= 100);
      assert.ok(event.quality! <= first.toQuality);
    }
    const last = warnings.at(-1)!;
    assert.ok(last.code === 'UDPCAM_WARN_QUALITY_REDUCED');
    assert.equal(sender.stats.quality, last.toQuality);
    assert.equal(collector.frames.length, 4);
  });

  it('fails with UDPCAM_ERR_FRAME_TOO_LARGE when even the lowest quality does not fit', async () => {
    const source = new InstrumentedSource({ width: 640, height: 360 });
    const { sender } = setup({ fps: 20, frames: 2, source, minQuality: 50 }, { packetSize: 16 });
    await assert.rejects(sender.run(), { code: 'UDPCAM_ERR_FRAME_TOO_LARGE', message: /quality 50/ });
    assert.ok(source instanceof InstrumentedSource);
    assert.equal(source.stopped, 1, 'the source is stopped after a failure');
  });

  it('fails with UDPCAM_ERR_FRAME_TOO_LARGE for a JPEG source frame that re-encoding cannot fit', async () => {
    const pattern = new TestPatternSource();
    await pattern.start();
    const frame = await pattern.grab();
    const big = await new JpegJsCodec().encode(frame.data, frame.width, frame.height, 95);
    const source = new JpegSource(big);
    // Re-encoding may not go below quality 95 here, which is still too large.
    const { sender } = setup(
      { fps: 20, frames: 2, source, quality: 95, minQuality: 95 },
      { packetSize: 200 },
    );
    await assert.rejects(sender.run(), { code: 'UDPCAM_ERR_FRAME_TOO_LARGE', message: /fixed-jpeg/ });
    assert.equal(source.stopped, true);
    assert.equal(collector.datagrams.length, 0);
  });

  it('sends a JPEG source frame as is, plus metadata', async () => {
    const original = await smallJpeg(70);
    const { sender, events } = setup({ fps: 50, frames: 2, source: new JpegSource(original) });
    await sender.run();
    await collector.waitFor(() => collector.frames.length >= 2);
    assert.equal(events[0]!.quality, undefined);
    const received = collector.frames[1]!.data;
    assert.equal(readFrameMeta(received)?.seq, 1);
    // Metadata adds one COM segment; everything else is the source's bytes.
    assert.equal(
      received.length,
      original.length +
        4 +
        'UDPCAM1 seq=1 ts='.length +
        String(events[1]!.captureUs).length +
        ' crc=12345678'.length,
    );
  });

  it('stop() ends an open-ended run, is idempotent and closes everything', async () => {
    const { sender, source, transmitter } = setup({ fps: 30 });
    const running = sender.run();
    await collector.waitFor(() => collector.starts.length >= 3);
    const [a, b] = [sender.stop(), sender.stop()];
    await Promise.all([a, b, running]);
    await sender.stop();
    const sent = sender.stats.framesSent;
    assert.ok(sent >= 3);
    // Every frame counted as sent arrives, and stop() closed the transmitter: nothing follows.
    await collector.waitFor(() => collector.starts.length >= sent);
    assert.equal(collector.starts.length, sent, 'nothing is sent after stop');
    assert.ok(source instanceof InstrumentedSource);
    assert.equal(source.stopped, 1);
    await assert.rejects(transmitter.send(Buffer.from([0xff, 0xd8, 0xff, 0xd9])), /closed/);
    assert.throws(() => sender.run(), /already/);
  });

  it('stop() before run() closes things and run() then returns at once', async () => {
    const { sender, source } = setup({ fps: 30 });
    await sender.stop();
    await sender.run();
    assert.ok(source instanceof InstrumentedSource);
    assert.equal(source.started, 0);
    assert.equal(source.stopped, 1);
    assert.equal(sender.stats.framesSent, 0);
  });

  it('rejects bad options with UDPCAM_ERR_INVALID_OPTION', () => {
    const base = {
      source: new TestPatternSource(),
      encoder: new JpegJsCodec(),
      transmitter: {
        maxFrameBytes: 1000,
        send: async () => ({ imageId: 0, datagrams: 0, bytes: 0 }),
        close: async () => {},
      },
    };
    for (const bad of [
      { fps: 0 },
      { fps: Number.NaN },
      { fps: 2000 },
      { fps: 10, quality: 0 },
      { fps: 10, quality: 101 },
      { fps: 10, quality: 50, minQuality: 60 },
      { fps: 10, frames: 0 },
      { fps: 10, frames: 1.5 },
      { fps: 10, durationMs: -1 },
    ]) {
      assert.throws(
        () => new Sender({ ...base, ...bad }),
        { code: 'UDPCAM_ERR_INVALID_OPTION' },
        JSON.stringify(bad),
      );
    }
  });
});
