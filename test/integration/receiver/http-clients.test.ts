/**
 * Many MJPEG clients at once: fan-out to fast readers while others stall (they must not slow the
 * fast ones, must not make the server queue frames, and must get recent frames when they read
 * again), the client cap, and shutdown by signal with clients connected.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import v8 from 'node:v8';
import vm from 'node:vm';
import { HttpServer, Receiver } from '@udpcam/receiver';
import { getJson, request, startHttpReceiver, until } from '../../helpers/http.js';
import { type MjpegStream, readMjpeg, StalledMjpegClient } from '../../helpers/mjpeg-reader.js';
import { frameIndex, TaggedFrames, TestCamera } from '../../helpers/test-camera.js';

/** Frames of 60 kB (43 datagrams each), as a 720p webcam sends them. */
const FRAME_BYTES = 60_000;
const frames = new TaggedFrames(FRAME_BYTES, 320, 240);

/**
 * Checks what a stalled client read after it resumed: frames in order, first the ones the kernel
 * buffered before it stalled (a run from where it started), then — with nothing in between — the
 * newest frame at the time it resumed, and every live frame after it. Returns the backlog size.
 */
function assertSkippedToNewest(
  received: number[],
  newestAtResume: number,
  lastSent: number,
  who: string,
): number {
  const text = `${who} read ${received.length} frames: ${received.join(',')}`;
  for (let i = 1; i < received.length; i++) assert.ok(received[i]! > received[i - 1]!, `in order; ${text}`);
  // The frames written before the client's socket filled up: consecutive from its first one.
  let backlog = 1;
  while (backlog < received.length && received[backlog] === received[backlog - 1]! + 1) backlog++;
  assert.ok(backlog < newestAtResume, `the kernel buffers filled up; ${text}`);
  assert.deepEqual(
    received.slice(backlog),
    Array.from({ length: lastSent - newestAtResume + 1 }, (_, i) => newestAtResume + i),
    `after the buffered run (up to ${received[backlog - 1]}) come the newest frame ${newestAtResume} and every frame after it; ${text}`,
  );
  return backlog;
}

const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

test('fan-out: 20 reading clients get every frame while 3 stalled clients skip to the newest frame', async (t) => {
  const { cli, udpPort, base } = await startHttpReceiver();
  const camera = await TestCamera.open(udpPort);
  const fast: { received: number[]; stream: MjpegStream }[] = [];
  const stalled: StalledMjpegClient[] = [];
  /**
   * Sends frames `from`..`to`, each once every reader has the one before: a client that reads
   * keeps up by construction, so what is checked is what the server writes, not how fast this
   * machine is (frames/s under load is a bench: bench-fanout).
   */
  const sendInStep = async (from: number, to: number, readers: number[][]) => {
    for (let i = from; i <= to; i++) {
      await camera.send(frames.frame(i));
      await until(
        `frame ${i} at every reading client`,
        () => (readers.every((received) => received.at(-1) === i) ? true : undefined),
        20_000,
        2,
      );
    }
  };
  try {
    await camera.send(frames.frame(0));
    await until('the camera', async () =>
      (await request(`${base}snapshot.jpg`)).status === 200 ? true : undefined,
    );
    const url = `${base}cameras/${camera.id}/stream.mjpg`;
    for (let i = 0; i < 20; i++) {
      const received: number[] = [];
      const stream = await readMjpeg(url, (part) => received.push(frameIndex(part.body) ?? -1));
      assert.equal(stream.status, 200);
      fast.push({ received, stream });
    }
    for (let i = 0; i < 3; i++) stalled.push(await StalledMjpegClient.connect(url));
    await until('23 clients', async () => {
      const [entry] = await getJson<{ clients: number }[]>(`${base}api/cameras`);
      return entry!.clients === 23 ? true : undefined;
    });

    // 150 frames of 60 kB: far more than the stalled clients' socket buffers hold.
    const WINDOW = 150;
    await sendInStep(
      1,
      WINDOW,
      fast.map(({ received }) => received),
    );
    for (const { received, stream } of fast) {
      assert.equal(stream.error, undefined);
      // Each starts with the newest frame when it connected (0), then every frame.
      assert.deepEqual(received, range(0, WINDOW));
    }

    // The stalled clients read again: first what the kernel buffered, then the newest frame.
    const stalledReceived = stalled.map(() => [] as number[]);
    stalled.forEach((client, k) => {
      client.resume((part) => stalledReceived[k]!.push(frameIndex(part.body) ?? -1));
    });
    await until(
      'the stalled clients to catch up',
      () => (stalledReceived.every((received) => received.at(-1) === WINDOW) ? true : undefined),
      20_000,
    );
    const last = WINDOW + 30;
    await sendInStep(WINDOW + 1, last, [...fast.map(({ received }) => received), ...stalledReceived]);
    for (const [k, received] of stalledReceived.entries()) {
      assert.equal(stalled[k]!.error, undefined);
      const backlog = assertSkippedToNewest(received, WINDOW, last, `stalled client ${k}`);
      t.diagnostic(`stalled client ${k}: ${backlog} kernel-buffered frames, then ${received[backlog]}`);
      // What the kernel buffered (socket buffers on both ends) is all that came late.
      assert.ok(backlog * FRAME_BYTES <= 12 * 1024 * 1024, `backlog of ${backlog} frames`);
    }
    // The reading clients got the second part whole too: the resumed ones did not hold them up.
    for (const { received } of fast) assert.deepEqual(received, range(0, last));
  } finally {
    for (const { stream } of fast) stream.close();
    for (const client of stalled) client.close();
    await camera.close();
    await cli.stop('SIGKILL');
  }
});

test('in-process: stalled clients cost no memory per frame (300 frames of 60 kB to 3 stalled clients)', async (t) => {
  v8.setFlagsFromString('--expose-gc');
  const gc = vm.runInNewContext('gc') as () => void;
  const memory = () => {
    gc();
    gc();
    const { rss, arrayBuffers } = process.memoryUsage();
    return { rss, arrayBuffers };
  };
  const receiver = await Receiver.open({ port: 0, host: '127.0.0.1' });
  // A small ring, so what the ring keeps by design does not hide what clients would keep.
  const web = await HttpServer.listen(receiver, {
    port: 0,
    host: '127.0.0.1',
    ring: { maxAgeUs: 1e6, maxFrames: 8, maxBytes: 1 << 20 },
  });
  const camera = await TestCamera.open(receiver.address.port);
  const stalled: StalledMjpegClient[] = [];
  try {
    await camera.send(frames.frame(0));
    await until('the camera', () => (receiver.stats().cameras.length === 0 ? undefined : true));
    const url = `${web.url}cameras/${camera.id}/stream.mjpg`;
    for (let i = 0; i < 3; i++) stalled.push(await StalledMjpegClient.connect(url));
    await until('3 clients', () => (web.clientCount() === 3 ? true : undefined));
    // Each frame once the receiver has the one before: as fast as this machine goes, and no frame
    // lost to a full UDP buffer (how many there are is what matters here, not their rate).
    const framesAtReceiver = () => receiver.stats().cameras[0]?.frames ?? 0;
    const sendInStep = async (from: number, count: number) => {
      for (let i = from; i < from + count; i++) {
        const received = once(receiver, 'frame', { signal: AbortSignal.timeout(20_000) }); // a hang guard
        await camera.send(frames.frame(i));
        await received;
      }
    };
    // Fill the kernel's socket buffers first (a few MB each): from here on every frame would queue.
    const WARMUP = 120;
    await sendInStep(1, WARMUP);
    const before = memory();
    const FRAMES = 300;
    await sendInStep(1 + WARMUP, FRAMES);
    const newest = WARMUP + FRAMES;
    assert.equal(framesAtReceiver(), newest + 1);
    const grown = memory();
    const queued = 3 * FRAMES * FRAME_BYTES;
    const growth = {
      rss: grown.rss - before.rss,
      arrayBuffers: grown.arrayBuffers - before.arrayBuffers,
    };
    const mb = (bytes: number) => `${(bytes / 1e6).toFixed(1)} MB`;
    t.diagnostic(`growth over ${FRAMES} frames: RSS ${mb(growth.rss)}, Buffers ${mb(growth.arrayBuffers)}`);
    assert.equal(web.clientCount(), 3, 'the stalled clients are still connected');
    assert.ok(
      growth.arrayBuffers < queued / 10,
      `Buffer memory grew by ${mb(growth.arrayBuffers)} (a queueing server: ${mb(queued)})`,
    );
    assert.ok(growth.rss < queued / 2, `RSS grew by ${mb(growth.rss)} (a queueing server: ${mb(queued)})`);

    const received = stalled.map(() => [] as number[]);
    stalled.forEach((client, k) => {
      client.resume((part) => received[k]!.push(frameIndex(part.body) ?? -1));
    });
    const last = newest + 10;
    await until(
      'the resumed clients to read the newest frame',
      () => (received.every((indices) => indices.at(-1) === newest) ? true : undefined),
      20_000,
    );
    // Then each live frame once every client has the one before (no race with this machine's speed).
    for (let i = newest + 1; i <= last; i++) {
      await camera.send(frames.frame(i));
      await until(
        `frame ${i} at every resumed client`,
        () => (received.every((indices) => indices.at(-1) === i) ? true : undefined),
        20_000,
        2,
      );
    }
    for (const [k, indices] of received.entries()) {
      assertSkippedToNewest(indices, newest, last, `stalled client ${k}`);
    }
  } finally {
    for (const client of stalled) client.close();
    await camera.close();
    await web.close();
    await receiver.close();
  }
});

test('--max-clients 2: a third stream is 503 JSON; a freed place can be taken again', async () => {
  const { cli, udpPort, base } = await startHttpReceiver(['--max-clients', '2']);
  const camera = await TestCamera.open(udpPort);
  const streams: MjpegStream[] = [];
  try {
    await camera.send(frames.frame(0));
    await until('the camera', async () =>
      (await request(`${base}snapshot.jpg`)).status === 200 ? true : undefined,
    );
    const url = `${base}cameras/${camera.id}/stream.mjpg`;
    for (let i = 0; i < 2; i++) {
      const stream = await readMjpeg(url, () => {});
      assert.equal(stream.status, 200);
      streams.push(stream);
    }
    for (const path of [url, `${base}stream.mjpg`, `${base}?action=stream`]) {
      const third = await readMjpeg(path, () => {});
      assert.equal(third.status, 503, path);
      assert.match(String(third.headers['content-type']), /^application\/json/);
      const body = JSON.parse((await third.body).toString()) as { error: string; maxClients: number };
      assert.match(body.error, /too many clients/);
      assert.equal(body.maxClients, 2);
    }
    // Other requests are not streams: they are still served.
    assert.equal((await request(`${base}snapshot.jpg`)).status, 200);
    const state = await getJson<{ clients: number; maxClients: number }>(`${base}api/receiver`);
    assert.deepEqual([state.clients, state.maxClients], [2, 2], 'the refused streams are not counted');

    streams.shift()!.close();
    const again = await until('a free place', async () => {
      const stream = await readMjpeg(url, () => {});
      if (stream.status === 200) return stream;
      await stream.body;
      return undefined;
    });
    streams.push(again);
    const fourth = await readMjpeg(url, () => {});
    assert.equal(fourth.status, 503, 'full again');
    await fourth.body;
  } finally {
    for (const stream of streams) stream.close();
    await camera.close();
    await cli.stop('SIGKILL');
  }
});

test('in-process: a server attached to a receiver that already has a camera serves it, without losing client places', async () => {
  const receiver = await Receiver.open({ port: 0, host: '127.0.0.1' });
  const camera = await TestCamera.open(receiver.address.port);
  let web: HttpServer | undefined;
  const streams: MjpegStream[] = [];
  try {
    // The camera's first frame arrives before the HTTP side is attached (in the CLI: while the
    // HTTP port is being bound).
    await camera.send(frames.frame(0));
    await until('the camera', () => (receiver.stats().cameras.length === 0 ? undefined : true));
    web = await HttpServer.listen(receiver, { port: 0, host: '127.0.0.1', maxClients: 2 });
    // Every way this goes wrong, collected, so one run shows the whole picture.
    const problems: string[] = [];
    const snapshot = await request(`${web.url}snapshot.jpg`);
    if (snapshot.status !== 503 && snapshot.status !== 200) {
      problems.push(`snapshot: ${snapshot.status} ${snapshot.body.toString()} (expected the frame, or 503)`);
    }
    for (let i = 0; i < 2; i++) {
      const stream = await readMjpeg(`${web.url}stream.mjpg`, () => {});
      streams.push(stream);
      const ended = await Promise.race([stream.ended, sleep(300).then(() => 'open')]);
      if (stream.status !== 200 || ended !== 'open') {
        problems.push(
          `stream ${i + 1}: status ${stream.status}, connection ${ended} (expected 200, kept open)`,
        );
      }
    }
    for (const stream of streams) stream.close();
    await until('no clients', () => (web!.clientCount() === 0 ? true : undefined), 20_000).catch(() => {});
    if (web.clientCount() !== 0)
      problems.push(`clientCount() is ${web.clientCount()} with no client connected`);
    await camera.send(frames.frame(1));
    await until('frame 2', () => (receiver.stats().cameras[0]?.frames === 2 ? true : undefined));
    const parts: number[] = [];
    const stream = await readMjpeg(`${web.url}stream.mjpg`, (part) =>
      parts.push(frameIndex(part.body) ?? -1),
    );
    streams.push(stream);
    if (stream.status !== 200) {
      problems.push(`a stream after the next frame: ${stream.status} ${(await stream.body).toString()}`);
    } else {
      await until('a part', () => (parts.length > 0 ? true : undefined));
      if (parts[0] !== 1) problems.push(`the stream started with frame ${parts[0]}, not the newest (1)`);
    }
    assert.deepEqual(problems, []);
  } finally {
    for (const stream of streams) stream.close();
    await camera.close();
    await web?.close();
    await receiver.close();
  }
});

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  test(`${signal} with stream clients connected while frames flow: exit 0 and every stream ends`, async () => {
    const { cli, udpPort, base } = await startHttpReceiver();
    const camera = await TestCamera.open(udpPort);
    const idle = await TestCamera.open(udpPort);
    const streams: { stream: MjpegStream; parts: number }[] = [];
    let stalled: StalledMjpegClient | undefined;
    let sending = true;
    let streaming: Promise<void> = Promise.resolve();
    try {
      await camera.send(frames.frame(0));
      await until('the camera', async () =>
        (await request(`${base}snapshot.jpg`)).status === 200 ? true : undefined,
      );
      for (const path of [`cameras/${camera.id}/stream.mjpg`, 'stream.mjpg', '?action=stream']) {
        const entry = { stream: undefined as unknown as MjpegStream, parts: 0 };
        entry.stream = await readMjpeg(base + path, () => entry.parts++);
        streams.push(entry);
      }
      stalled = await StalledMjpegClient.connect(`${base}stream.mjpg`);
      // A ?wait=1 snapshot of an idle camera is pending at the signal: it must not hold the process.
      await idle.send(frames.frame(0));
      await until('the idle camera', async () =>
        (await request(`${base}cameras/${idle.id}/snapshot.jpg`)).status === 200 ? true : undefined,
      );
      const waiting = request(`${base}cameras/${idle.id}/snapshot.jpg?wait=1`).catch((error: Error) => error);
      streaming = camera
        .sendAt(
          30,
          300,
          (i) => frames.frame(1 + i),
          () => {
            if (!sending) throw new Error('stopped');
          },
        )
        .catch(() => {});
      await until('parts', () => (streams.every((entry) => entry.parts > 5) ? true : undefined));
      // 20 s only guards against a process that never exits; how fast it exits is not a test.
      const code = await Promise.race([cli.stop(signal), sleep(20_000).then(() => 'still running')]);
      assert.equal(code, 0, cli.stderr.join('\n'));
      assert.match(cli.stdout.join('\n'), new RegExp(`stopped \\(${signal}\\)`));
      for (const { stream } of streams) {
        const ended = await Promise.race([stream.ended, sleep(20_000).then(() => 'open')]);
        assert.equal(ended, 'end', 'the client sees the stream end cleanly');
        assert.equal(stream.error, undefined);
        assert.equal(stream.leftover(), 0, 'the stream ends after a whole part');
      }
      assert.ok((await waiting) instanceof Error, 'the pending snapshot is cut off');
    } finally {
      sending = false;
      await streaming;
      for (const { stream } of streams) stream.close();
      stalled?.close();
      await camera.close();
      await idle.close();
      await cli.stop('SIGKILL');
    }
  });
}
