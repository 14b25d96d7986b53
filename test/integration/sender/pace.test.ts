/**
 * --pace: a frame's datagrams spread over part of the frame interval instead of one burst. The
 * Transmitter times the spread with a fake clock here and the datagrams go through a real socket:
 * each datagram must leave only once the clock says it is due, and every due datagram must leave
 * without the clock moving on. How evenly datagrams really arrive on a loaded machine is a
 * measurement, not a test: `npm run bench -- pace` (scripts/bench-pace.ts).
 */
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { test } from 'node:test';
import { MAX_SPREAD_GAP_MS, Transmitter } from '@udpcam/sender';
import { FakeClock } from '../../helpers/clock.js';
import { makeJpeg, padJpegTo } from '../../helpers/frames.js';
import { until } from '../../helpers/http.js';

/** A loopback socket that notes the fake time each datagram arrived at. */
async function listener(clock: FakeClock): Promise<{ port: number; at: number[]; close(): void }> {
  const socket = dgram.createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  // A whole 100-chunk frame must fit in the kernel buffer even if this process is slow to read
  // (Linux's default 208 KiB holds about 92 datagrams of 1 kB: see scripts/bench-pace.ts).
  socket.setRecvBufferSize(4 * 1024 * 1024);
  const at: number[] = [];
  socket.on('message', () => at.push(clock.now()));
  return { port: socket.address().port, at, close: () => socket.close() };
}

/** Sends one frame of `chunks` 1000-byte datagrams, spread over `spreadMs` of `clock`. */
function sendFrame(clock: FakeClock, port: number, spreadMs: number, chunks: number) {
  const transmitter = new Transmitter({
    host: '127.0.0.1',
    port,
    packetSize: 1000,
    spreadMs,
    clock: clock.now,
  });
  const sent = transmitter.send(padJpegTo(makeJpeg(64, 48, 1), chunks * 1000));
  return { sent, close: () => transmitter.close() };
}

/**
 * Runs `check` on one frame sent as sendFrame does, to a listener; afterwards moves the clock on
 * (a failed check must not leave a spread waiting for it) and closes both.
 */
async function withFrame(
  spreadMs: number,
  chunks: number,
  check: (
    clock: FakeClock,
    rx: Awaited<ReturnType<typeof listener>>,
    frame: ReturnType<typeof sendFrame>,
  ) => Promise<void>,
): Promise<void> {
  const clock = new FakeClock();
  const rx = await listener(clock);
  const frame = sendFrame(clock, rx.port, spreadMs, chunks);
  try {
    await check(clock, rx, frame);
  } finally {
    clock.advance(1000);
    await frame.close();
    rx.close();
  }
}

test('spread: datagram i leaves at i × spread / (n − 1) of the clock, not before, not after', async () => {
  const chunks = 40;
  const spreadMs = 60;
  const step = spreadMs / (chunks - 1);
  await withFrame(spreadMs, chunks, async (clock, rx, frame) => {
    const start = clock.now();
    for (let k = 0; k < chunks; k++) {
      // Just past datagram k's due time: datagrams 0..k are due, k + 1 is not. (The clock stands
      // still until datagram 0 is out: the transmitter reads its start time first.)
      if (k > 0) clock.advance(start + k * step + 1e-6 - clock.now());
      await until(`datagram ${k} at ${(k * step).toFixed(2)} ms`, () =>
        rx.at.length >= k + 1 ? true : undefined,
      );
    }
    assert.equal((await frame.sent).datagrams, chunks);
    assert.equal(rx.at.length, chunks);
    rx.at.forEach((at, i) => {
      assert.ok(
        at - start >= i * step,
        `datagram ${i} left at ${(at - start).toFixed(3)} ms, due at ${i * step}`,
      );
    });
  });
});

test('unpaced: the whole frame goes out at once, without the clock moving', async () => {
  await withFrame(0, 40, async (clock, rx, frame) => {
    assert.equal((await frame.sent).datagrams, 40);
    await until('40 datagrams', () => (rx.at.length === 40 ? true : undefined));
    assert.deepEqual(new Set(rx.at), new Set([clock.now()]));
  });
});

test('the spread is capped so no gap exceeds MAX_SPREAD_GAP_MS (2 chunks at 1 fps)', async () => {
  // Asked to spread 2 datagrams over 500 ms, the second is due MAX_SPREAD_GAP_MS after the first.
  await withFrame(500, 2, async (clock, rx, frame) => {
    const start = clock.now();
    await until('the first datagram', () => (rx.at.length >= 1 ? true : undefined));
    clock.advance(MAX_SPREAD_GAP_MS + 1e-6);
    await until('the second datagram', () => (rx.at.length >= 2 ? true : undefined));
    assert.equal((await frame.sent).datagrams, 2);
    assert.equal(rx.at[0], start);
    assert.equal(rx.at[1], start + MAX_SPREAD_GAP_MS + 1e-6);
  });
});
