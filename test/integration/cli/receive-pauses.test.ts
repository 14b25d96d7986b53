/**
 * A clean stream loses nothing, from its first frame on, however the sender pauses (issue 13):
 * - the Python sender's framing into a real `udpcam receive`, pausing mid-frame (30 ms halfway
 *   through every third frame, once 700 ms), with image ids that repeat: every frame is written;
 * - `udpcam demo`: every status line, the first included, shows 0 dropped for every camera.
 * The pauses are real, but no assertion depends on how long anything took.
 */
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { legacyChunkFrame } from '@udpcam/protocol';
import { startCli, startReceiver } from '../../helpers/cli.js';
import { makeJpeg, padJpegTo } from '../../helpers/frames.js';

function send(socket: dgram.Socket, parts: Buffer[], port: number): Promise<void> {
  return new Promise((resolve, reject) =>
    socket.send(parts, port, '127.0.0.1', (error) => (error ? reject(error) : resolve())),
  );
}

test('legacy framing with pauses mid-frame and repeated ids: every frame is written, 0 dropped', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'udpcam-pauses-'));
  const { cli, port } = await startReceiver(['--out', dir, '--status-interval', '0.2', '--json']);
  const socket = dgram.createSocket('udp4');
  const frames: Buffer[] = [];
  try {
    for (let i = 0; i < 30; i++) {
      const frame = padJpegTo(makeJpeg(160, 120, i + 1), 6000 + 700 * (i % 5));
      frames.push(frame);
      // Ids 10 and 11 only: consecutive frames often share one, as the original's may.
      const datagrams = legacyChunkFrame(frame, 10 + ((i * 7) % 3 === 0 ? 1 : 0), 1400);
      const half = Math.floor(datagrams.length / 2);
      for (const [c, [header, payload]] of datagrams.entries()) {
        if (c === half && i % 3 === 0) await sleep(i === 15 ? 700 : 30);
        await send(socket, [header, payload], port);
      }
      await sleep(5);
    }
    await cli.waitFor(/"frames":30[,}]/, 15_000);
  } finally {
    socket.close();
    assert.equal(await cli.stop('SIGINT'), 0);
  }
  const last = JSON.parse(cli.stdout.at(-1)!);
  assert.equal(last.dropped, 0, JSON.stringify(last.droppedByReason));
  const [camera] = await readdir(dir);
  const names = (await readdir(path.join(dir, camera!))).filter((name) => name.endsWith('.jpg')).sort();
  const written = await Promise.all(names.map((name) => readFile(path.join(dir, camera!, name))));
  assert.deepEqual(
    written.map((data) => data.toString('base64')),
    frames.map((data) => data.toString('base64')),
  );
  await rm(dir, { recursive: true, force: true });
});

test('demo: 0 dropped on every camera from the first status on', async () => {
  const cli = startCli(['demo', '--cameras', '2', '--fps', '15', '--duration', '5', '--http', '0', '--json']);
  assert.equal(await cli.exited, 0, cli.stderr.join('\n'));
  const statuses = cli.stdout
    .map((line) => JSON.parse(line) as { cameras?: { camera: string; dropped: number; frames: number }[] })
    .filter((record) => record.cameras !== undefined && record.cameras.length > 0);
  assert.ok(statuses.length >= 2, `${statuses.length} status lines with cameras`);
  for (const { cameras } of statuses) {
    for (const camera of cameras!) assert.equal(camera.dropped, 0, JSON.stringify(camera));
  }
  const final = statuses.at(-1)!.cameras!;
  assert.deepEqual(
    final.map((camera) => camera.camera).sort(),
    ['cam1', 'cam2'],
    'the demo names its cameras',
  );
  for (const camera of final) assert.ok(camera.frames > 0);
});
