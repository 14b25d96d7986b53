/**
 * `udpcam receive` with parity datagrams (docs/protocol.md#parity): a real receiver process gets
 * frames with chosen datagrams left out; every frame with at most m of its k + m datagrams missing
 * comes out byte for byte, the one with more never does, and /api/cameras and /metrics count
 * exactly the frames recovered, the data chunks lost and the parity received.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  chunkFrame,
  DatagramSealer,
  DEFAULT_ASSEMBLER_OPTIONS,
  generateKey,
  ImageIdCycle,
  parityCount,
  parityDatagrams,
  StreamKey,
} from '@udpcam/protocol';
import type { CliProcess } from '../../helpers/cli.js';
import { getJson, request, startHttpReceiver, until } from '../../helpers/http.js';
import { startInProcessReceiver } from '../../helpers/in-process.js';
import { parsePrometheus } from '../../helpers/prometheus.js';
import { frameIndex, TaggedFrames, TEST_PACKET_SIZE, TestCamera } from '../../helpers/test-camera.js';

const frames = new TaggedFrames(12_000); // 9 chunks of 1400 bytes at most
const K = Math.ceil(12_000 / TEST_PACKET_SIZE);
const RATIO = 0.34;
const M = parityCount(K, RATIO); // 3

/** Which of a frame's k + m datagrams (data 0..k-1, parity k..k+m-1) the network loses. */
const LOSSES: number[][] = [
  [], // warm-up frames 0..9 (the receiver learns that ids cycle) use this too
  [0], // the S: rebuilt
  [K - 1], // the E: rebuilt
  [1, 4, K - 2], // m data chunks: rebuilt
  [2, K, K + 1], // one data chunk and two parity: rebuilt
  [K, K + 1, K + 2], // all parity, no data: complete without it
  [0, 1, 2, 3], // m + 1 data chunks: never emitted
  [3], // and the next frame is fine again
];
const WARM_UP = 10;
/**
 * Whole frames after the plan: the receiver holds partial frames for a minute in tests, so the
 * frame beyond repair is dropped when ids move more than half the cycle (50) past it.
 */
const TAIL = 54;

interface CameraEntry {
  id: string;
  frames: number;
  framesDropped: number;
  framesRecovered: number;
  datagramsLost: number;
  parityReceived: number;
  stats: { chunks: number };
}

describe('receiver with parity datagrams', () => {
  let receiver: CliProcess;
  let base: string;
  let sender: TestCamera;

  before(async () => {
    const started = await startHttpReceiver();
    ({ cli: receiver, base } = started);
    sender = await TestCamera.open(started.udpPort);
  });

  after(async () => {
    await sender.close();
    await receiver.stop('SIGKILL');
  });

  const send = (datagram: readonly Buffer[]) => sender.sendRaw(datagram);

  test('frames with at most m losses come out whole, others never; counters exact', async () => {
    const ids = new ImageIdCycle();
    const plan = [
      ...new Array<number[]>(WARM_UP).fill([]),
      ...LOSSES.slice(1),
      ...new Array<number[]>(TAIL).fill([]),
    ];
    for (const [index, lost] of plan.entries()) {
      const data = frames.frame(index);
      const imageId = ids.next();
      const chunks = chunkFrame(data, imageId, TEST_PACKET_SIZE);
      assert.equal(chunks.length, K);
      const datagrams = [...chunks, ...parityDatagrams(chunks, imageId, data.length, M)];
      for (const [position, datagram] of datagrams.entries())
        if (!lost.includes(position)) await send(datagram);
    }
    const whole = plan.flatMap((lost, index) => (lost.filter((p) => p < K).length <= M ? [index] : []));
    const lostData = plan.reduce((sum, lost) => sum + lost.filter((p) => p < K).length, 0);
    const recovered = plan.filter((lost) => lost.some((p) => p < K) && lost.length <= M).length;
    const parity = plan.reduce((sum, lost) => sum + M - lost.filter((p) => p >= K).length, 0);

    // The frame beyond repair is dropped as the id window slides past it (TAIL).
    const [entry] = await until('every frame accounted for', async () => {
      const list = await getJson<CameraEntry[]>(`${base}api/cameras`);
      const camera = list[0];
      return camera && camera.frames === whole.length && camera.framesDropped === 1 ? list : undefined;
    });
    assert.equal(entry!.framesRecovered, recovered);
    assert.equal(entry!.datagramsLost, lostData);
    assert.equal(entry!.parityReceived, parity);

    const exposition = parsePrometheus((await request(`${base}metrics`)).body.toString('utf8'));
    const labels = { camera: entry!.id };
    assert.equal(exposition.value('udpcam_frames_recovered_total', labels), recovered);
    assert.equal(exposition.value('udpcam_datagrams_lost_total', labels), lostData);
    assert.equal(exposition.value('udpcam_parity_datagrams_total', labels), parity);

    // Every frame the receiver kept is byte-identical to the one sent, and they are the whole ones.
    const kept = await getJson<{ url: string }[]>(`${base}cameras/${entry!.id}/frames`);
    const indexes: number[] = [];
    for (const { url } of kept) {
      const body = (await request(`${base}${url.slice(1)}`)).body;
      const index = frameIndex(body)!;
      assert.ok(body.equals(frames.frame(index)), `frame ${index} as sent`);
      indexes.push(index);
    }
    assert.deepEqual(
      indexes.sort((a, b) => a - b),
      whole.slice(-indexes.length),
    );
  });
});

test('with --key, parity of a frame already complete is dropped unopened (lateParity); after frameTimeoutMs it opens', async () => {
  const key = new StreamKey(generateKey());
  const sealer = new DatagramSealer(key);
  const rx = await startInProcessReceiver({ receiver: { keys: [key] } });
  const camera = await TestCamera.open(rx.receiver.address.port);
  const security = () => rx.receiver.stats().security;
  const sealedFrame = (index: number) => {
    const chunks = chunkFrame(frames.frame(index), index, TEST_PACKET_SIZE);
    const parity = parityDatagrams(chunks, index, frames.frame(index).length, M);
    return [...chunks, ...parity].map(([header, payload]) => Buffer.concat(sealer.seal(header, payload)));
  };
  const settled = (total: number) =>
    until(`${total} datagrams counted`, () => {
      const s = security();
      return s.opened + s.lateParity + s.rejected === total || undefined;
    });
  try {
    const sent = [0, 1, 2].map(sealedFrame);
    for (const datagrams of sent) for (const datagram of datagrams) await camera.sendRaw(datagram);
    await settled(3 * (K + M));
    // The clock stands still: every frame completes at its E, and only the very first parity
    // (before the sender was known to send any) is opened.
    assert.equal(rx.frames(), 3);
    assert.deepEqual(
      [security().opened, security().lateParity, security().rejected],
      [3 * K + 1, 3 * M - 1, 0],
    );
    const exposition = parsePrometheus((await request(`${rx.web.url}metrics`)).body.toString('utf8'));
    assert.equal(exposition.value('udpcam_datagrams_late_parity_total', {}), 3 * M - 1);

    // Past frameTimeoutMs the frame is no longer fresh: its parity is opened again.
    rx.clock.advance(DEFAULT_ASSEMBLER_OPTIONS.frameTimeoutMs + 1);
    await camera.sendRaw(sealedFrame(2).at(-1)!);
    await settled(3 * (K + M) + 1);
    assert.deepEqual([security().opened, security().lateParity], [3 * K + 2, 3 * M - 1]);
  } finally {
    await camera.close();
    await rx.close();
  }
});
