/**
 * `udpcam receive --http` answering one request at a time: snapshots (mjpg-streamer URLs too),
 * the recent-frame ring by sequence number and by time, /api/cameras and /metrics, and the
 * error answers (JSON with a reason). A test camera sends tagged JPEGs, so every body can be
 * checked against the exact bytes sent.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { isDeepStrictEqual } from 'node:util';
import { RateMeter } from '@udpcam/common';
import { HttpServer } from '@udpcam/receiver';
import { timestampHeader } from '#receiver/http/mjpeg.js';
import type { CliProcess } from '../../helpers/cli.js';
import { getJson, request, startHttpReceiver, until } from '../../helpers/http.js';
import { type InProcessReceiver, startInProcessReceiver } from '../../helpers/in-process.js';
import { type MjpegPart, type MjpegStream, readMjpeg } from '../../helpers/mjpeg-reader.js';
import { parsePrometheus } from '../../helpers/prometheus.js';
import { frameIndex, TaggedFrames, TestCamera } from '../../helpers/test-camera.js';

const frames = new TaggedFrames(12_000);

/** The entry of GET /cameras/:id/frames. */
interface FrameEntry {
  seq: number;
  receivedUs: number;
  bytes: number;
  url: string;
}

/** The fields of GET /api/cameras this file checks. */
interface CameraEntry {
  id: string;
  name: string | null;
  sender: string;
  online: boolean;
  frames: number;
  fps: number;
  clients: number;
  clientFps: number[];
  recent: number;
  urls: { stream: string; snapshot: string; frames: string };
}

/** Asserts `response` is a JSON error with status `status` and returns the parsed body. */
function assertJsonError(
  response: Awaited<ReturnType<typeof request>>,
  status: number,
  what: string,
): Record<string, unknown> {
  assert.equal(response.status, status, `${what}: ${response.body.toString()}`);
  assert.match(String(response.headers['content-type']), /^application\/json/, what);
  const body = response.json<Record<string, unknown>>();
  assert.equal(typeof body.error, 'string', `${what} says why`);
  assert.ok((body.error as string).length > 0);
  return body;
}

/** Asserts `response` is frame `index` as a JPEG with the frame headers. */
function assertFrame(response: Awaited<ReturnType<typeof request>>, index: number, what: string): void {
  assert.equal(response.status, 200, `${what}: ${response.body.toString().slice(0, 200)}`);
  assert.equal(response.headers['content-type'], 'image/jpeg', what);
  assert.equal(Number(response.headers['content-length']), response.body.length, what);
  assert.match(String(response.headers['cache-control']), /no-store/, what);
  assert.match(String(response.headers['x-timestamp']), /^\d{10}\.\d{6}$/, what);
  assert.equal(frameIndex(response.body), index, `${what} is frame ${index}`);
  assert.ok(response.body.equals(frames.frame(index)), `${what}: the bytes sent`);
}

describe('snapshots', () => {
  let receiver: CliProcess;
  let base: string;
  let camera: TestCamera;

  before(async () => {
    const started = await startHttpReceiver();
    receiver = started.cli;
    base = started.base;
    camera = await TestCamera.open(started.udpPort);
  });

  after(async () => {
    await camera.close();
    await receiver.stop('SIGKILL');
  });

  test('before any frame: 503 JSON with a reason, and 404 listing no cameras', async () => {
    for (const path of [
      'snapshot.jpg',
      '?action=snapshot',
      'snapshot.jpg?wait=1',
      'stream.mjpg',
      '?action=stream',
    ]) {
      assertJsonError(await request(base + path), 503, path);
    }
    const unknown = assertJsonError(await request(`${base}cameras/${camera.id}/snapshot.jpg`), 404, 'camera');
    assert.deepEqual(unknown.cameras, []);
  });

  test('/snapshot.jpg, /?action=snapshot and /cameras/:id/snapshot.jpg are the latest frame', async () => {
    for (let i = 0; i < 3; i++) await camera.send(frames.frame(i));
    await until('frame 3', async () => {
      const response = await request(`${base}snapshot.jpg`);
      return frameIndex(response.body) === 2 ? true : undefined;
    });
    for (const path of ['snapshot.jpg', '?action=snapshot', `cameras/${camera.id}/snapshot.jpg`]) {
      const response = await request(base + path);
      assertFrame(response, 2, path);
      assert.equal(response.headers['x-frame-seq'], '3', path);
    }
    const head = await request(`${base}snapshot.jpg`, { method: 'HEAD' });
    assert.equal(head.status, 200);
    assert.equal(Number(head.headers['content-length']), frames.frame(2).length);
    assert.equal(head.body.length, 0);
  });

  test('an unknown camera is 404 JSON listing the known ids', async () => {
    for (const what of ['snapshot.jpg', 'stream.mjpg', 'frames', 'frames/1.jpg', 'frame.jpg?at=0']) {
      const body = assertJsonError(await request(`${base}cameras/nocam/${what}`), 404, what);
      assert.deepEqual(body.cameras, [camera.id], what);
    }
    assertJsonError(await request(`${base}no/such/path`), 404, 'unknown path');
  });

  test('POST, PUT and DELETE are 405 with Allow', async () => {
    for (const [method, path] of [
      ['POST', 'snapshot.jpg'],
      ['POST', `cameras/${camera.id}/snapshot.jpg`],
      ['PUT', 'stream.mjpg'],
      ['DELETE', 'api/cameras'],
    ] as const) {
      const response = await request(base + path, { method });
      assertJsonError(response, 405, `${method} /${path}`);
      assert.equal(response.headers.allow, 'GET, HEAD');
    }
  });
});

describe('recent frames', () => {
  let rx: InProcessReceiver;
  let base: string;
  let camera: TestCamera;
  /** Frames sent, one every STEP_MS of the fake clock; the ring keeps the last second. */
  const SENT = 50;
  const STEP_MS = 30;
  /** Frames no older than 1 s before the newest (t = 49 × 30 = 1470 ms): t ≥ 470, i.e. 16..49. */
  const KEPT = SENT - Math.ceil(((SENT - 1) * STEP_MS - 1000) / STEP_MS);

  before(async () => {
    rx = await startInProcessReceiver({
      http: { ring: { ...HttpServer.defaults.ring, maxAgeUs: 1_000_000 } },
    });
    base = rx.web.url;
    camera = await TestCamera.open(rx.receiver.address.port);
    for (let i = 0; i < SENT; i++) {
      if (i > 0) rx.clock.advance(STEP_MS);
      await camera.send(frames.frame(i));
      await rx.waitForFrames(i + 1);
    }
  });

  after(async () => {
    await camera.close();
    await rx.close();
  });

  const list = () => getJson<FrameEntry[]>(`${base}cameras/${camera.id}/frames`);

  test('/frames lists the last second of frames, oldest first, with seq and receivedUs', async () => {
    const kept = await list();
    assert.equal(KEPT, 34);
    assert.deepEqual(
      kept.map((entry) => entry.seq),
      Array.from({ length: KEPT }, (_, i) => SENT - KEPT + 1 + i),
      'the frames of the last second, consecutive sequence numbers',
    );
    const newest = kept.at(-1)!;
    assert.ok(newest.receivedUs - kept[0]!.receivedUs <= 1e6);
    for (let i = 0; i < kept.length; i++) {
      const entry = kept[i]!;
      assert.equal(entry.bytes, frames.frame(0).length);
      assert.equal(entry.url, `/cameras/${camera.id}/frames/${entry.seq}.jpg`);
      // Receive stamps come from the receiver's clock: exactly STEP_MS apart.
      if (i > 0) assert.ok(Math.abs(entry.receivedUs - kept[i - 1]!.receivedUs - STEP_MS * 1000) <= 1);
    }
  });

  test('/frames/:seq.jpg is exactly that frame; a seq no longer kept is 404 JSON', async () => {
    const kept = await list();
    for (const entry of [kept[0]!, kept[Math.floor(kept.length / 2)]!, kept.at(-1)!]) {
      const response = await request(base + entry.url.slice(1));
      assertFrame(response, entry.seq - 1, entry.url);
      assert.equal(response.headers['x-frame-seq'], String(entry.seq));
      assert.equal(response.headers['x-timestamp'], timestampHeader(entry.receivedUs));
    }
    for (const seq of [1, kept[0]!.seq - 1, SENT + 1]) {
      const body = assertJsonError(
        await request(`${base}cameras/${camera.id}/frames/${seq}.jpg`),
        404,
        `seq ${seq}`,
      );
      assert.deepEqual(body.kept, { oldestSeq: SENT - KEPT + 1, newestSeq: SENT, frames: KEPT });
    }
  });

  test('/frame.jpg?at= is the last frame at or before that time (µs, ms or ISO)', async () => {
    const kept = await list();
    const lastAtOrBefore = (us: number) => kept.filter((entry) => entry.receivedUs <= us).at(-1)?.seq;
    const k = Math.floor(kept.length / 2);
    const here = kept[k]!;
    const next = kept[k + 1]!;
    const cases: [string, number][] = [
      [String(here.receivedUs), here.seq],
      [String(next.receivedUs - 1), here.seq],
      [String(Math.floor((here.receivedUs + next.receivedUs) / 2)), here.seq],
      [String(kept.at(-1)!.receivedUs + 60e6), SENT],
      [
        String(Math.floor(next.receivedUs / 1000)),
        lastAtOrBefore(Math.floor(next.receivedUs / 1000) * 1000)!,
      ],
      [
        new Date(Math.floor(next.receivedUs / 1000)).toISOString(),
        lastAtOrBefore(Math.floor(next.receivedUs / 1000) * 1000)!,
      ],
    ];
    for (const [at, seq] of cases) {
      const response = await request(`${base}cameras/${camera.id}/frame.jpg?at=${encodeURIComponent(at)}`);
      assertFrame(response, seq - 1, `at=${at}`);
      assert.equal(response.headers['x-frame-seq'], String(seq), `at=${at}`);
    }
    const before = await request(`${base}cameras/${camera.id}/frame.jpg?at=${kept[0]!.receivedUs - 1}`);
    assertJsonError(before, 404, 'before the oldest kept frame');
    for (const at of ['', 'soon']) {
      assertJsonError(await request(`${base}cameras/${camera.id}/frame.jpg?at=${at}`), 400, `at=${at}`);
    }
    assertJsonError(await request(`${base}cameras/${camera.id}/frame.jpg`), 400, 'no at');
  });

  test('a request prunes frames past the ring time even when no new frame pushes them out', async () => {
    // Just under 1 s after the newest frame, only that frame is younger than 1 s; just over, none.
    // (10 µs either side: receive stamps are whole µs.)
    rx.clock.advance(999.99);
    assert.deepEqual(
      (await list()).map((entry) => entry.seq),
      [SENT],
    );
    rx.clock.advance(0.02);
    assert.deepEqual(await list(), []);
  });
});

describe('/api/cameras and /metrics', () => {
  let rx: InProcessReceiver;
  let base: string;
  let camera: TestCamera;

  before(async () => {
    rx = await startInProcessReceiver();
    base = rx.web.url;
    camera = await TestCamera.open(rx.receiver.address.port);
  });

  after(async () => {
    await camera.close();
    await rx.close();
  });

  const cameras = () => getJson<CameraEntry[]>(`${base}api/cameras`);
  const metrics = async () => {
    const response = await request(`${base}metrics`);
    assert.equal(response.status, 200);
    assert.match(String(response.headers['content-type']), /^text\/plain; version=0\.0\.4/);
    return parsePrometheus(response.body.toString('utf8'));
  };

  test('fields while streaming to a client, then offline 3 s after the last frame, and online again', async () => {
    assert.deepEqual(await cameras(), []);
    // The fps the receiver reports is its RateMeter over the same (fake) frame times.
    const expectedRate = new RateMeter();
    await camera.send(frames.frame(0));
    await rx.waitForFrames(1);
    expectedRate.add(rx.clock.now());
    const parts: MjpegPart[] = [];
    const stream = await readMjpeg(`${base}stream.mjpg`, (part) => parts.push(part));
    try {
      // 40 more frames at 20 fps of the fake clock.
      for (let i = 1; i <= 40; i++) {
        rx.clock.advance(50);
        await camera.send(frames.frame(i));
        await rx.waitForFrames(i + 1);
        expectedRate.add(rx.clock.now());
      }
      const fps = Number(expectedRate.rate(rx.clock.now()).toFixed(2));
      assert.ok(fps >= 19 && fps <= 21, `a 20 fps stream reads as ${fps} fps`);
      const live = await cameras();
      assert.equal(live.length, 1);
      const entry = live[0]!;
      assert.equal(entry.id, camera.id);
      assert.equal(entry.name, null);
      assert.equal(entry.sender, camera.id.replace(/_(\d+)$/, ':$1'));
      assert.equal(entry.online, true);
      assert.equal(entry.frames, 41);
      assert.equal(entry.fps, fps);
      assert.equal(entry.clients, 1);
      assert.equal(entry.clientFps.length, 1);
      assert.equal(entry.recent, 41);
      assert.deepEqual(entry.urls, {
        stream: `/cameras/${camera.id}/stream.mjpg`,
        snapshot: `/cameras/${camera.id}/snapshot.jpg`,
        frames: `/cameras/${camera.id}/frames`,
      });

      const exposition = await metrics();
      const labels = { camera: camera.id };
      for (const name of [
        'udpcam_frames_total',
        'udpcam_frame_bytes_total',
        'udpcam_datagrams_total',
        'udpcam_camera_online',
        'udpcam_camera_fps',
        'udpcam_http_clients',
      ]) {
        assert.ok(exposition.help.has(name), `HELP ${name}`);
        assert.ok(exposition.type.has(name), `TYPE ${name}`);
      }
      for (const [name, type] of exposition.type) {
        if (type === 'counter') assert.match(name, /_total$/, `counter ${name}`);
      }
      assert.equal(exposition.value('udpcam_frames_total', labels), entry.frames);
      assert.equal(exposition.value('udpcam_frame_bytes_total', labels), 41 * frames.frame(0).length);
      const chunksPerFrame = Math.ceil(frames.frame(0).length / 1400);
      assert.equal(exposition.value('udpcam_datagrams_total', labels), 41 * chunksPerFrame);
      assert.equal(exposition.value('udpcam_camera_online', labels), 1);
      assert.equal(exposition.value('udpcam_http_clients', labels), 1);
      assert.equal(exposition.value('udpcam_camera_fps', labels), fps);
      assert.equal(exposition.value('udpcam_frames_dropped_total', { ...labels, reason: 'expired' }), 0);
      // A client may skip frames while its socket is full, but it ends on the newest, in order.
      await until('the client to get the last frame', () =>
        frameIndex(parts.at(-1)?.body ?? Buffer.alloc(0)) === 40 ? true : undefined,
      );
      const got = parts.map((part) => frameIndex(part.body)!);
      assert.ok(
        got.every((index, i) => i === 0 || index > got[i - 1]!),
        `frames in order: ${got.join(',')}`,
      );
    } finally {
      stream.close();
    }
    await until('the client to be gone', async () =>
      (await cameras())[0]!.clients === 0 ? true : undefined,
    );
    assert.equal((await metrics()).value('udpcam_http_clients', { camera: camera.id }), 0);

    // No frame for more than offlineAfterMs (3 s) makes the camera offline.
    assert.equal(rx.receiver.offlineAfterMs, 3000);
    rx.clock.advance(3000);
    assert.equal((await cameras())[0]!.online, true, 'still online 3 s after the last frame');
    rx.clock.advance(1);
    assert.equal((await cameras())[0]!.online, false, 'offline past 3 s');
    assert.equal((await metrics()).value('udpcam_camera_online', { camera: camera.id }), 0);
    assert.equal((await cameras())[0]!.fps, 0, 'no frames in the last 2 s');

    await camera.send(frames.frame(100));
    await rx.waitForFrames(42);
    const [back] = await cameras();
    assert.equal(back!.online, true);
    assert.equal(back!.frames, 42);
    assert.equal((await metrics()).value('udpcam_camera_online', { camera: camera.id }), 1);
  });
});

describe('two cameras', () => {
  test('each camera has its own snapshot, stream and ring; the short URLs are the first camera', async () => {
    const { cli, udpPort, base } = await startHttpReceiver();
    const first = await TestCamera.open(udpPort);
    const second = await TestCamera.open(udpPort);
    const streams: MjpegStream[] = [];
    try {
      await first.send(frames.frame(0));
      await until('the first camera', async () =>
        (await request(`${base}snapshot.jpg`)).status === 200 ? true : undefined,
      );
      await second.send(frames.frame(1000));
      await until('the second camera', async () =>
        (await request(`${base}cameras/${second.id}/snapshot.jpg`)).status === 200 ? true : undefined,
      );
      const got = new Map<string, number[]>();
      for (const [camera, path] of [
        [first, `cameras/${first.id}/stream.mjpg`],
        [second, `cameras/${second.id}/stream.mjpg`],
        [first, 'stream.mjpg'],
      ] as const) {
        const received: number[] = [];
        got.set(`${camera.id} ${path}`, received);
        streams.push(await readMjpeg(base + path, (part) => received.push(frameIndex(part.body) ?? -1)));
      }
      // Interleaved frames: indices below 1000 from the first camera, from 1000 on from the second.
      for (let i = 1; i <= 10; i++) {
        await first.send(frames.frame(i));
        await second.send(frames.frame(1000 + i));
        await until(`frame ${i} of both cameras`, async () => {
          const list = await getJson<CameraEntry[]>(`${base}api/cameras`);
          return list.every((entry) => entry.frames === i + 1) ? true : undefined;
        });
      }
      await until('every stream to get its last frame', () =>
        [...got.values()].every((received) => received.at(-1)! % 1000 === 10) ? true : undefined,
      );
      for (const [key, received] of got) {
        const isFirst = key.startsWith(first.id);
        assert.ok(
          received.every((index) => index < 1000 === isFirst),
          `${key} got only its own camera's frames: ${received.join(',')}`,
        );
      }
      assertFrame(await request(`${base}snapshot.jpg`), 10, '/snapshot.jpg');
      assertFrame(await request(`${base}cameras/${second.id}/snapshot.jpg`), 1010, 'second snapshot');
      const ring = await getJson<FrameEntry[]>(`${base}cameras/${second.id}/frames`);
      assert.deepEqual(
        ring.map((entry) => entry.seq),
        Array.from({ length: 11 }, (_, i) => i + 1),
        'sequence numbers count per camera',
      );
      const list = await getJson<CameraEntry[]>(`${base}api/cameras`);
      assert.deepEqual(
        list.map((entry) => [entry.id, entry.frames, entry.clients]),
        [
          [first.id, 11, 2],
          [second.id, 11, 1],
        ],
      );
    } finally {
      for (const stream of streams) stream.close();
      await first.close();
      await second.close();
      await cli.stop('SIGKILL');
    }
  });
});

describe('IPv6', () => {
  test('a camera sending over ::1 is served under its ip6_ id, over HTTP on ::1', async () => {
    const { cli, udpPort, base } = await startHttpReceiver(['--bind', '::1', '--http-host', '::1']);
    const camera = await TestCamera.open(udpPort, '::1');
    let stream: MjpegStream | undefined;
    try {
      assert.match(base, /^http:\/\/\[::1\]:\d+\/$/);
      assert.match(camera.id, /^ip6_--1_\d+$/);
      await camera.send(frames.frame(0));
      const snapshot = await until('the camera', async () => {
        const response = await request(`${base}cameras/${camera.id}/snapshot.jpg`);
        return response.status === 200 ? response : undefined;
      });
      assertFrame(snapshot, 0, 'snapshot over IPv6');
      const parts: MjpegPart[] = [];
      stream = await readMjpeg(`${base}cameras/${camera.id}/stream.mjpg`, (part) => parts.push(part));
      await camera.send(frames.frame(1));
      await until('2 parts', () => (parts.length >= 2 ? true : undefined));
      assert.deepEqual(
        parts.map((part) => frameIndex(part.body)),
        [0, 1],
      );
      const [entry] = await getJson<CameraEntry[]>(`${base}api/cameras`);
      assert.equal(entry!.sender, `[::1]:${camera.id.split('_').at(-1)}`);
      const metrics = parsePrometheus((await request(`${base}metrics`)).body.toString());
      assert.equal(metrics.value('udpcam_frames_total', { camera: camera.id }), 2);
    } finally {
      stream?.close();
      await camera.close();
      await cli.stop('SIGKILL');
    }
  });
});

describe('snapshot ?wait=1 in-process', () => {
  test('?wait=1 answers with the next frame, sent after the request', async () => {
    const rx = await startInProcessReceiver();
    const base = rx.web.url;
    const camera = await TestCamera.open(rx.receiver.address.port);
    try {
      await camera.send(frames.frame(2));
      await rx.waitForFrames(1);
      let answered = 0;
      const answers = Promise.all(
        [`cameras/${camera.id}/snapshot.jpg?wait=1`, 'snapshot.jpg?wait=1', '?action=snapshot&wait=1'].map(
          (path) =>
            request(base + path).then((response) => {
              answered++;
              return { path, response };
            }),
        ),
      );
      await until('3 waiting requests', () => (rx.web.held().waiters === 3 ? true : undefined));
      assert.equal(answered, 0, 'nothing is answered before a new frame');
      await camera.send(frames.frame(3));
      for (const { path, response } of await answers) assertFrame(response, 3, path);
      assert.equal(rx.web.held().waiters, 0);
    } finally {
      await camera.close();
      await rx.close();
    }
  });

  test('no frame within snapshotWaitMs is 503 JSON', async () => {
    const rx = await startInProcessReceiver({ http: { snapshotWaitMs: 200 } });
    const camera = await TestCamera.open(rx.receiver.address.port);
    try {
      await camera.send(frames.frame(0));
      await rx.waitForFrames(1);
      const response = await request(`${rx.web.url}snapshot.jpg?wait=1`);
      const body = assertJsonError(response, 503, 'wait without a frame');
      assert.match(String(body.error), /200 ms/);
      assert.equal(rx.web.held().waiters, 0);
    } finally {
      await camera.close();
      await rx.close();
    }
  });

  // What a finished wait could leak is what the server holds: the waiter in its camera's set, its
  // timer, its client place and the per-address count. The server counts them (HttpServer.held),
  // so these tests check that each goes back to 0, not a heap figure that moves with load.
  const NOTHING_HELD = { waiters: 0, waitTimers: 0, clients: 0, addresses: 0 };
  /** Resolves once `web` holds nothing; the server lets go on each response's 'close', which may come after the client has read its end. */
  const untilNothingHeld = (web: HttpServer, what: string) =>
    until(what, () => (isDeepStrictEqual(web.held(), NOTHING_HELD) ? true : undefined)).catch(
      (error: Error) => assert.fail(`${error.message}; still held: ${JSON.stringify(web.held())}`),
    );

  /**
   * Runs `check` on an in-process receiver whose snapshot waits last `snapshotWaitMs`, with one
   * camera that has sent one frame and then stays idle, and the URL of a wait for its next one.
   * 100 waits at once from one address: above the default per-address cap, which is not under test here.
   */
  async function withIdleCamera(
    snapshotWaitMs: number,
    check: (rx: InProcessReceiver, url: string, camera: TestCamera) => Promise<void>,
  ): Promise<void> {
    const rx = await startInProcessReceiver({
      http: { snapshotWaitMs, maxClients: 1000, maxClientsPerAddress: 1000 },
    });
    const camera = await TestCamera.open(rx.receiver.address.port);
    try {
      await camera.send(frames.frame(0));
      await rx.waitForFrames(1);
      await check(rx, `${rx.web.url}cameras/${camera.id}/snapshot.jpg?wait=1`, camera);
    } finally {
      await camera.close();
      await rx.close();
    }
  }

  test('waits that time out hold nothing afterwards (camera idle)', async () => {
    // No frame is sent while they wait, so every one of them ends by its timeout: a 503.
    await withIdleCamera(1, async (rx, url) => {
      for (let batch = 0; batch < 3; batch++) {
        const statuses = await Promise.all(
          Array.from({ length: 100 }, () => request(url).then((response) => response.status)),
        );
        assert.deepEqual(new Set(statuses), new Set([503]), 'every wait timed out');
        await untilNothingHeld(rx.web, 'the server to let go of the timed-out waits');
      }
      assert.equal(rx.frames(), 1, 'no frame came during the waits');
    });
  });

  test('waits their clients abandon hold nothing afterwards, timers included (camera idle)', async () => {
    // The wait outlasts the test, so only the client going away can end it: its timer must be
    // cleared then, not left to hold the request for 10 minutes.
    await withIdleCamera(600_000, async (rx, url) => {
      for (let batch = 0; batch < 3; batch++) {
        const clients = Array.from({ length: 100 }, () => new AbortController());
        const ended = Promise.allSettled(clients.map(({ signal }) => request(url, { signal })));
        await until('100 waiting requests', () => (rx.web.held().waiters === 100 ? true : undefined));
        assert.deepEqual(rx.web.held(), { waiters: 100, waitTimers: 100, clients: 0, addresses: 1 });
        for (const client of clients) client.abort();
        for (const result of await ended)
          assert.equal(result.status, 'rejected', 'no answer before the abort');
        await untilNothingHeld(rx.web, 'the server to let go of the abandoned waits');
      }
      assert.equal(rx.frames(), 1, 'no frame came during the waits');
    });
  });
});
