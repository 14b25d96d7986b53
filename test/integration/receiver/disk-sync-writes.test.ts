/**
 * DiskSink's synchronous writes on a real file system (sinks/sync-writer.ts): a frame is in place
 * when write() returns; a slow write (as the injected clock measures it) sends frames to the
 * thread pool's bounded queue, skipping what does not fit, until the backoff is over; write
 * errors on the synchronous path are counted like the others.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { DiskSink, type ReceivedFrame } from '@udpcam/receiver';
import { framePath } from '#receiver/sinks/disk.js';
import { makeJpeg } from '../../helpers/frames.js';

function frameOf(data: Buffer, seq: number, camera = 'cam_1'): ReceivedFrame {
  return {
    sender: '127.0.0.1:1',
    imageId: seq % 100,
    data,
    chunks: 1,
    firstChunkAt: seq,
    completedAt: seq,
    camera,
    seq,
    receivedUs: 1_764_000_000_000_000 + seq * 33_333,
    meta: undefined,
  };
}

/** A fake clock: `now` ms, plus `perCall` ms added on every read (a write's start and end). */
function fakeClock() {
  const clock = { now: 0, perCall: 0, read: () => (clock.now += clock.perCall) };
  return clock;
}

async function withDir(run: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(path.join(tmpdir(), 'udpcam-sync-'));
  try {
    await run(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

test('once its folder exists, a frame is in place, whole, when write() returns', () =>
  withDir(async (dir) => {
    const clock = fakeClock();
    const sink = new DiskSink({ dir, clock: clock.read });
    const frame = makeJpeg(64, 64, 1);
    sink.write(frameOf(frame, 1)); // the first makes the folder, through the thread pool
    await sink.flush();
    for (let seq = 2; seq <= 20; seq++) {
      const written = frameOf(frame, seq);
      sink.write(written);
      const file = path.join(dir, framePath(written));
      assert.ok(existsSync(file), `frame ${seq} is there without waiting`);
      assert.ok((await readFile(file)).equals(frame));
    }
    assert.equal(sink.stats.written, 20);
    assert.equal(sink.stats.writtenSync, 19);
    const names = await readdir(path.join(dir, 'cam_1'));
    assert.equal(names.length, 20, 'no temporary file left');
  }));

test('after a slow write, frames go through the bounded queue (full: skipped) until the backoff ends', () =>
  withDir(async (dir) => {
    const clock = fakeClock();
    const sink = new DiskSink({
      dir,
      clock: clock.read,
      maxQueuedFrames: 3,
      concurrency: 1,
      syncWrites: { slowWriteMs: 20, backoffMs: 1000 },
    });
    const frame = makeJpeg(64, 64, 2);
    sink.write(frameOf(frame, 1));
    await sink.flush();
    clock.perCall = 30; // the next write looks like it took 30 ms
    sink.write(frameOf(frame, 2));
    clock.perCall = 0;
    assert.equal(sink.stats.writtenSync, 1);
    assert.equal(sink.stats.slowWrites, 1);
    for (let seq = 3; seq <= 10; seq++) sink.write(frameOf(frame, seq));
    assert.equal(sink.stats.writtenSync, 1, 'no synchronous write during the backoff');
    assert.equal(sink.stats.queued, 3);
    assert.equal(sink.stats.skipped, 5);
    await sink.flush();
    assert.equal(sink.stats.written, 5);
    clock.now += 1000; // the backoff is over
    sink.write(frameOf(frame, 11));
    assert.equal(sink.stats.writtenSync, 2, 'synchronous again');
    assert.equal(sink.stats.written, 6);
    assert.equal((await readdir(path.join(dir, 'cam_1'))).length, 6);
  }));

test('synchronous write errors are counted and reported; a removed folder is made again', () =>
  withDir(async (dir) => {
    const reported: string[] = [];
    const clock = fakeClock();
    const sink = new DiskSink({
      dir,
      clock: clock.read,
      onError: (error) => reported.push(error.code ?? '?'),
    });
    const frame = makeJpeg(32, 32, 3);
    sink.write(frameOf(frame, 1));
    await sink.flush();
    // The camera folder replaced by a file: the synchronous open fails (ENOTDIR), no throw.
    await rm(path.join(dir, 'cam_1'), { recursive: true });
    await writeFile(path.join(dir, 'cam_1'), '');
    sink.write(frameOf(frame, 2));
    assert.equal(sink.stats.failed, 1);
    assert.equal(sink.stats.failedByCode.ENOTDIR, 1);
    assert.deepEqual(reported, ['ENOTDIR']);
    // The folder gone altogether: ENOENT, then the next frame makes it again.
    await rm(path.join(dir, 'cam_1'));
    sink.write(frameOf(frame, 3));
    assert.equal(sink.stats.failedByCode.ENOENT, 1);
    sink.write(frameOf(frame, 4));
    await sink.flush();
    sink.write(frameOf(frame, 5));
    assert.equal(sink.stats.written, 3);
    assert.equal(sink.stats.writtenSync, 1, 'frame 5, once the folder was made again');
    assert.deepEqual((await readdir(path.join(dir, 'cam_1'))).length, 2);
  }));

test('with retention, synchronous writes still delete the oldest frames', () =>
  withDir(async (dir) => {
    const sink = new DiskSink({ dir, clock: fakeClock().read, retention: { keep: 5 } });
    const frame = makeJpeg(32, 32, 4);
    sink.write(frameOf(frame, 1));
    await sink.flush();
    for (let seq = 2; seq <= 30; seq++) sink.write(frameOf(frame, seq));
    await sink.flush();
    assert.equal(sink.stats.writtenSync, 29);
    assert.equal(sink.stats.deleted, 25);
    const names = (await readdir(path.join(dir, 'cam_1'))).sort();
    assert.deepEqual(
      names,
      [26, 27, 28, 29, 30].map((seq) => path.basename(framePath(frameOf(frame, seq)))),
    );
  }));

test('with a total budget across cameras, synchronous writes keep the folder within it', () =>
  withDir(async (dir) => {
    const frame = makeJpeg(32, 32, 5);
    const sink = new DiskSink({ dir, clock: fakeClock().read, maxTotalBytes: 6 * frame.length });
    for (const camera of ['cam_1', 'cam_2']) sink.write(frameOf(frame, 1, camera));
    await sink.flush();
    for (let seq = 2; seq <= 20; seq++)
      for (const camera of ['cam_1', 'cam_2']) sink.write(frameOf(frame, seq, camera));
    await sink.flush();
    assert.equal(sink.stats.writtenSync, 38);
    const files = [...(await readdir(path.join(dir, 'cam_1'))), ...(await readdir(path.join(dir, 'cam_2')))];
    assert.equal(files.length, 6);
    assert.equal(sink.stats.deleted, 40 - 6);
  }));
