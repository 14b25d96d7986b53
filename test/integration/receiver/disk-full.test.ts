/**
 * A full disk (a 512 kB tmpfs mounted for the test) while `udpcam receive --out --http` runs:
 * write errors are counted as ENOSPC, nothing crashes, and the HTTP side keeps serving frames.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import dgram from 'node:dgram';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { chunkFrame, ImageIdCycle } from '@udpcam/protocol';
import { makeJpeg, padJpegTo } from '../../helpers/frames.js';
import { startHttpReceiver, until } from '../../helpers/http.js';

function tryMount(dir: string): string | undefined {
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=512k', 'tmpfs', dir], { stdio: 'pipe' });
    return undefined;
  } catch (error) {
    return `cannot mount a tmpfs here (needs root): ${(error as Error).message.split('\n')[0]}`;
  }
}

const dir = await mkdtemp(path.join(tmpdir(), 'udpcam-full-'));
const skip = tryMount(dir);

test('disk full: ENOSPC is counted and reported, the HTTP side keeps serving', { skip }, async () => {
  const {
    cli,
    udpPort: port,
    base: url,
  } = await startHttpReceiver(['--out', dir, '--status-interval', '0.3', '--json']);
  const socket = dgram.createSocket('udp4');
  try {
    const ids = new ImageIdCycle();
    const frames = Array.from({ length: 40 }, (_, i) => padJpegTo(makeJpeg(64, 64, i), 60_000));
    for (const frame of frames) {
      // A frame's datagrams go to the kernel at once: no gap inside a frame from this process.
      await Promise.all(
        chunkFrame(frame, ids.next(), 1400).map(
          ([header, payload]) =>
            new Promise<void>((resolve) =>
              socket.send([header, payload], port, '127.0.0.1', () => resolve()),
            ),
        ),
      );
    }
    // 40 frames of 60 kB do not fit 512 kB: all but the first few writes fail with ENOSPC.
    // Wait for a status line that accounts for all 40 (no sleep: the writes settle when they do).
    const status = await until(
      'a status line with all 40 frames settled',
      () =>
        cli.stdout
          .map((l) => JSON.parse(l))
          .filter((r) => r.level === 'status')
          .find((r) => r.frames === 40 && r.disk.written + r.disk.failed + r.disk.skipped === 40),
      30_000,
    );
    // At most 8 frames of 60 kB fit 512 kB; the queue (64 frames, 32 MB) never fills with 40.
    assert.equal(status.disk.skipped, 0, JSON.stringify(status.disk));
    assert.ok(status.disk.written <= 8, JSON.stringify(status.disk));
    assert.equal(status.disk.failedByCode.ENOSPC, status.disk.failed, JSON.stringify(status.disk));
    assert.ok(status.disk.failed >= 32, JSON.stringify(status.disk));
    assert.ok(
      cli.stdout.some((l) => l.includes('ENOSPC') && l.includes('"level":"warn"')),
      'the error was reported',
    );
    const snapshot = await fetch(`${url}snapshot.jpg`);
    assert.equal(snapshot.status, 200);
    assert.ok(Buffer.from(await snapshot.arrayBuffer()).equals(frames.at(-1)!), 'the newest frame is served');
    assert.equal(await cli.stop('SIGINT'), 0);
  } finally {
    socket.close();
    await cli.stop('SIGKILL');
    if (!skip) execFileSync('umount', [dir]);
    await rm(dir, { recursive: true, force: true });
  }
});
