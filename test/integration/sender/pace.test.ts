/** --pace: a frame's datagrams spread over part of the frame interval instead of one burst. */
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { test } from 'node:test';
import { MAX_SPREAD_GAP_MS, Transmitter } from '@udpcam/sender';
import { makeJpeg, padJpegTo } from '../../helpers/frames.js';

/** Arrival times (ms) of one frame's datagrams at a real socket. */
async function arrivals(spreadMs: number, chunks: number): Promise<number[]> {
  const socket = dgram.createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  const times: number[] = [];
  socket.on('message', () => times.push(performance.now()));
  const transmitter = new Transmitter({
    host: '127.0.0.1',
    port: socket.address().port,
    packetSize: 1000,
    spreadMs,
  });
  await transmitter.send(padJpegTo(makeJpeg(64, 48, 1), chunks * 1000));
  await new Promise((resolve) => setTimeout(resolve, 30));
  await transmitter.close();
  socket.close();
  assert.equal(times.length, chunks);
  return times;
}

/**
 * Runs a timing check up to 3 times. Sender and receiving socket share this process's event
 * loop, so one stall of it on a loaded machine (CI, GC) lets datagrams due apart arrive together;
 * a pacing bug fails every try.
 */
async function withRetries(check: () => Promise<void>): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await check();
    } catch (error) {
      if (attempt === 3) throw error;
    }
  }
}

test('spread: datagrams arrive over the asked time, in small steps; unpaced: one burst', async () => {
  await withRetries(async () => {
    const spread = await arrivals(60, 40);
    const span = spread.at(-1)! - spread[0]!;
    assert.ok(span >= 50 && span < 200, `paced span ${span.toFixed(1)} ms`);
    const batches = new Set(spread.map((t) => Math.round(t))).size;
    assert.ok(batches >= 20, `${batches} distinct milliseconds`);
  });

  const burst = await arrivals(0, 40);
  assert.ok(burst.at(-1)! - burst[0]! < 15, 'unpaced frames go out at once');
});

test('the spread is capped so no gap exceeds MAX_SPREAD_GAP_MS on average (2 chunks at 1 fps)', async () => {
  await withRetries(async () => {
    const times = await arrivals(500, 2);
    const gap = times[1]! - times[0]!;
    assert.ok(gap >= MAX_SPREAD_GAP_MS - 1 && gap < MAX_SPREAD_GAP_MS + 20, `gap ${gap.toFixed(1)} ms`);
  });
});
