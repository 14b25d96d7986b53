/** DiskSink on a real file system: atomic files, bounded queue, errors counted not thrown. */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { isWellFormedJpeg } from '@udpcam/protocol';
import { DiskSink, type ReceivedFrame } from '@udpcam/receiver';
import { makeJpeg, padJpegTo } from '../../helpers/frames.js';

function frameOf(data: Buffer, seq: number, camera = 'cam_1'): ReceivedFrame {
  const now = Date.now();
  return {
    sender: '127.0.0.1:1',
    imageId: seq % 100,
    data,
    chunks: 1,
    firstChunkAt: now,
    completedAt: now,
    camera,
    seq,
    receivedUs: now * 1000,
    meta: undefined,
  };
}

test('a reader polling the folder never sees a partial frame', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'udpcam-disk-'));
  try {
    // Large frames make a torn write likely to be seen if files were written in place.
    const frame = padJpegTo(makeJpeg(64, 64, 3), 2 * 1024 * 1024);
    const sink = new DiskSink({ dir, maxQueuedFrames: 1000, maxQueuedBytes: 1 << 30 });
    let seen = 0;
    let polling = true;
    const poller = (async () => {
      while (polling) {
        const names = await readdir(path.join(dir, 'cam_1')).catch(() => [] as string[]);
        for (const name of names.filter((n) => n.endsWith('.jpg') && !n.startsWith('.'))) {
          const bytes = await readFile(path.join(dir, 'cam_1', name));
          assert.equal(bytes.length, frame.length, `${name} was seen half-written`);
          assert.ok(isWellFormedJpeg(bytes));
          seen++;
        }
      }
    })();
    for (let seq = 1; seq <= 40; seq++) sink.write(frameOf(frame, seq));
    await sink.flush();
    polling = false;
    await poller;
    assert.equal(sink.stats.written, 40);
    assert.ok(seen > 0, 'the poller read files while they were being written');
    const names = (await readdir(path.join(dir, 'cam_1'))).sort();
    assert.equal(names.length, 40);
    assert.match(names[0]!, /^\d{8}T\d{6}\.\d{3}Z-000001\.jpg$/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('when the disk falls behind, frames are skipped and the queue stays bounded', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'udpcam-disk-'));
  try {
    const frame = padJpegTo(makeJpeg(64, 64, 4), 256 * 1024);
    const sink = new DiskSink({ dir, maxQueuedFrames: 8, maxQueuedBytes: 1 << 30, concurrency: 1 });
    let maxQueued = 0;
    for (let seq = 1; seq <= 500; seq++) {
      sink.write(frameOf(frame, seq));
      maxQueued = Math.max(maxQueued, sink.stats.queued);
    }
    await sink.flush();
    assert.ok(maxQueued <= 8, `queue reached ${maxQueued}`);
    assert.equal(sink.stats.written + sink.stats.skipped, 500);
    assert.ok(sink.stats.skipped > 0);
    assert.equal(sink.stats.queued, 0);
    assert.equal(sink.stats.queuedBytes, 0);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('write errors are counted by code and reported, never thrown', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'udpcam-disk-'));
  try {
    // The camera folder's name is taken by a file: every write fails with ENOTDIR or EEXIST.
    await writeFile(path.join(dir, 'cam_1'), '');
    const reported: string[] = [];
    const sink = new DiskSink({ dir, onError: (error) => reported.push(error.code ?? '?') });
    const frame = makeJpeg(32, 32, 5);
    for (let seq = 1; seq <= 20; seq++) sink.write(frameOf(frame, seq));
    sink.write(frameOf(frame, 21, 'cam_2'));
    await sink.flush();
    assert.equal(sink.stats.failed, 20);
    assert.equal(sink.stats.written, 1, 'another camera still writes');
    assert.ok(Object.keys(sink.stats.failedByCode).length >= 1);
    assert.ok(reported.length >= 1 && reported.length < 20, 'reports are rate-limited');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('retention keeps the newest N frames per camera, counting files from an earlier run', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'udpcam-disk-'));
  try {
    const frame = makeJpeg(32, 32, 6);
    // An earlier run left 3 frames (older names sort first).
    await mkdir(path.join(dir, 'cam_1'));
    for (const old of [
      '20200101T000000.000Z-000001.jpg',
      '20200101T000001.000Z-000002.jpg',
      '20200101T000002.000Z-000003.jpg',
    ]) {
      await writeFile(path.join(dir, 'cam_1', old), frame);
    }
    const sink = new DiskSink({ dir, retention: { keep: 5 }, concurrency: 1 });
    for (let seq = 1; seq <= 12; seq++) sink.write(frameOf(frame, seq));
    await sink.flush();
    const names = (await readdir(path.join(dir, 'cam_1'))).sort();
    assert.equal(names.length, 5);
    assert.ok(
      names.every((n) => !n.startsWith('2020')),
      "the earlier run's frames went first",
    );
    assert.deepEqual(
      names.map((n) => n.slice(-10)),
      ['000008.jpg', '000009.jpg', '000010.jpg', '000011.jpg', '000012.jpg'],
    );
    assert.equal(sink.stats.deleted, 10);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('retention by bytes keeps each camera under --max-bytes', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'udpcam-disk-'));
  try {
    const frame = padJpegTo(makeJpeg(32, 32, 7), 10_000);
    const sink = new DiskSink({ dir, retention: { maxBytes: 35_000 }, concurrency: 1 });
    for (let seq = 1; seq <= 10; seq++) {
      sink.write(frameOf(frame, seq, 'a'));
      sink.write(frameOf(frame, seq, 'b'));
    }
    await sink.flush();
    for (const camera of ['a', 'b']) assert.equal((await readdir(path.join(dir, camera))).length, 3);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('thinning writes one frame in N, or at most F per second', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'udpcam-disk-'));
  try {
    const frame = makeJpeg(32, 32, 8);
    const every = new DiskSink({ dir: path.join(dir, 'every'), thinning: { every: 3 } });
    for (let seq = 1; seq <= 30; seq++) every.write(frameOf(frame, seq));
    await every.flush();
    assert.equal(every.stats.written, 10);
    assert.equal(every.stats.thinned, 20);

    // 3 s of a 30 fps camera (completedAt 33.3 ms apart) thinned to 10 fps.
    const fps = new DiskSink({ dir: path.join(dir, 'fps'), thinning: { maxFps: 10 } });
    for (let seq = 1; seq <= 90; seq++) fps.write({ ...frameOf(frame, seq), completedAt: seq * (1000 / 30) });
    await fps.flush();
    assert.equal(fps.stats.written, 30, 'every third frame');
    assert.equal(fps.stats.thinned, 60);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
