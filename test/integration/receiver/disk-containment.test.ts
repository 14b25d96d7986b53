/**
 * The disk sink against hostile camera names and crowded folders (issue 11, findings 2 and 7):
 * nothing is written outside --out, retention deletes only files udpcam wrote, and one byte
 * budget bounds all cameras together.
 */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { DiskSink, type ReceivedFrame } from '@udpcam/receiver';
import { makeJpeg } from '../../helpers/frames.js';

let root: string;
before(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'udpcam-contain-'));
});
after(() => rm(root, { recursive: true, force: true }));

let clockUs = Date.UTC(2026, 0, 1) * 1000;
function frameOf(data: Buffer, seq: number, camera: string): ReceivedFrame {
  clockUs += 1000;
  const ms = clockUs / 1000;
  return {
    sender: '127.0.0.1:1',
    imageId: seq % 100,
    data,
    chunks: 1,
    firstChunkAt: ms,
    completedAt: ms,
    camera,
    seq,
    receivedUs: clockUs,
    meta: undefined,
  };
}

test("a camera named '..', '.' or with a separator writes nothing outside --out", async () => {
  const d1 = path.join(root, 'd1');
  const out = path.join(d1, 'frames');
  await mkdir(out, { recursive: true });
  const reported: string[] = [];
  const sink = new DiskSink({
    dir: out,
    retention: { keep: 2 },
    onError: (error) => reported.push(error.code ?? '?'),
  });
  const frame = makeJpeg(16, 16, 1);
  let seq = 0;
  for (const camera of ['..', '.', '../x', 'a/../..', '/tmp', ''])
    for (let i = 0; i < 3; i++) sink.write(frameOf(frame, ++seq, camera));
  await sink.flush();
  assert.deepEqual(await readdir(d1), ['frames']);
  assert.deepEqual(await readdir(out), []);
  assert.equal(sink.stats.written, 0);
  assert.equal(sink.stats.failedByCode.EBADNAME, seq);
  assert.deepEqual([...new Set(reported)], ['EBADNAME']);
});

test('retention deletes only files named as udpcam names frames, never others in the folder', async () => {
  const out = path.join(root, 'keep');
  const folder = path.join(out, 'cam');
  await mkdir(folder, { recursive: true });
  const others = ['holiday.jpg', 'IMG_0001.jpg', '0000.jpg', 'notes.txt', '.hidden.jpg'];
  for (const name of others) await writeFile(path.join(folder, name), 'keep me');
  const sink = new DiskSink({ dir: out, retention: { keep: 2 }, concurrency: 1 });
  for (let seq = 1; seq <= 6; seq++) sink.write(frameOf(makeJpeg(16, 16, seq), seq, 'cam'));
  await sink.flush();
  const names = (await readdir(folder)).sort();
  for (const name of others) assert.ok(names.includes(name), `${name} survived`);
  assert.equal(names.length, others.length + 2);
  assert.equal(sink.stats.deleted, 4);
});

test('--max-total-bytes: one budget across cameras, oldest first, earlier runs counted', async () => {
  const out = path.join(root, 'total');
  const frame = makeJpeg(48, 48, 9);
  // An earlier run left a camera folder that gets no frame this run.
  await mkdir(path.join(out, 'gone'), { recursive: true });
  for (const old of ['20200101T000000.000Z-000001.jpg', '20200101T000001.000Z-000002.jpg']) {
    await writeFile(path.join(out, 'gone', old), frame);
  }
  const budget = frame.length * 10;
  const sink = new DiskSink({ dir: out, maxTotalBytes: budget, concurrency: 2 });
  let seq = 0;
  for (let round = 0; round < 10; round++)
    for (const camera of ['a', 'b', 'c']) sink.write(frameOf(frame, ++seq, camera));
  await sink.flush();
  let total = 0;
  const counts: Record<string, number> = {};
  for (const camera of await readdir(out)) {
    const names = await readdir(path.join(out, camera));
    counts[camera] = names.length;
    for (const name of names) total += (await stat(path.join(out, camera, name))).size;
  }
  assert.ok(total <= budget, `${total} bytes on disk, budget ${budget}`);
  // The earlier run's frames are the oldest: they went first, all but the folder's newest.
  assert.equal(counts.gone, 1);
  assert.ok(counts.a! >= 3 && counts.b! >= 3 && counts.c! >= 2, JSON.stringify(counts));
});

test('onlyCameras (--named-only): other cameras are counted as ignored, not written', async () => {
  const out = path.join(root, 'named');
  const sink = new DiskSink({ dir: out, onlyCameras: new Set(['door']) });
  const frame = makeJpeg(16, 16, 2);
  for (let seq = 1; seq <= 4; seq++) sink.write(frameOf(frame, seq, seq % 2 ? 'door' : '127.0.0.1_4000'));
  await sink.flush();
  assert.deepEqual(await readdir(out), ['door']);
  assert.equal(sink.stats.ignored, 2);
  assert.equal(sink.stats.written, 2);
});
