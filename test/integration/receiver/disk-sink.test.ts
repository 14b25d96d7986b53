/** DiskSink on a real file system: atomic files, bounded queue, errors counted not thrown. */
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
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
