/** `udpcam send --source test` → `udpcam receive --out`, both as real processes on loopback. */
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { isWellFormedJpeg, LEGACY_PACKET_SIZE, legacyChunkCount, readFrameMeta } from '@udpcam/protocol';
import jpeg from 'jpeg-js';
import { runCli, startCli, startDiskReceiver, startGroupReceiver } from '../../helpers/cli.js';

async function framesIn(dir: string): Promise<{ camera: string; files: string[] }[]> {
  const cameras = await readdir(dir);
  return Promise.all(
    cameras.map(async (camera) => ({
      camera,
      files: (await readdir(path.join(dir, camera))).sort().map((name) => path.join(dir, camera, name)),
    })),
  );
}

/** Runs `udpcam send --fps 100 --json ...args`; asserts it exits with 0 and returns its last status line. */
async function send(args: string[]) {
  const sent = await runCli(['send', '--fps', '100', '--json', ...args]);
  assert.equal(sent.code, 0, sent.stderr);
  return JSON.parse(sent.stdout.split('\n').at(-1)!);
}

for (const family of ['IPv4', 'IPv6'] as const) {
  test(`send → receive over ${family} loopback: every frame arrives, in order, as a valid JPEG`, async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'udpcam-e2e-'));
    const bind = family === 'IPv4' ? '127.0.0.1' : '::1';
    try {
      const { cli: receiver, port } = await startDiskReceiver(dir, [], bind);
      const frames = 40;
      const done = await send([
        '--ip',
        bind,
        '--port',
        String(port),
        '--frames',
        String(frames),
        '--size',
        '320x180',
        '--packet_size',
        '1000',
      ]);
      assert.equal(done.framesSent, frames);
      await receiver.waitFor(new RegExp(`"frames":${frames}[,}]`), 30_000);
      assert.equal(await receiver.stop('SIGINT'), 0);

      const [camera, ...others] = await framesIn(dir);
      assert.equal(others.length, 0, 'one sender, one camera folder');
      assert.match(camera!.camera, family === 'IPv4' ? /^127\.0\.0\.1_\d+$/ : /^ip6_--1_\d+$/);
      assert.equal(camera!.files.length, frames);
      const seqs: number[] = [];
      for (const file of camera!.files) {
        const bytes = await readFile(file);
        assert.ok(isWellFormedJpeg(bytes), `${file} is a whole JPEG`);
        const meta = readFrameMeta(bytes);
        assert.ok(meta, 'frames carry udpcam metadata');
        seqs.push(meta.seq);
      }
      // File names sort in arrival order, and the sender's sequence numbers say nothing was lost or reordered.
      assert.deepEqual(
        seqs,
        Array.from({ length: frames }, (_, i) => i),
      );
      const decoded = jpeg.decode(await readFile(camera!.files[0]!));
      assert.equal(decoded.width, 320);
      assert.equal(decoded.height, 180);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
}

test('send --legacy speaks the Python framing, and receive takes it', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'udpcam-e2e-'));
  const { cli: receiver, port } = await startDiskReceiver(dir);
  try {
    const done = await send(['--port', String(port), '--frames', '20', '--legacy', '--no-meta']);
    // The Python sender's count: ceil((L + 112) / 8000) chunks, not udpcam's near-equal split.
    assert.equal(done.lastFrameChunks, legacyChunkCount(done.lastFrameBytes, LEGACY_PACKET_SIZE));
    await receiver.waitFor(/"frames":20[,}]/, 30_000);
    await receiver.waitFor(/"written":20[,}]/, 30_000);
  } finally {
    assert.equal(await receiver.stop(), 0);
  }
  const [camera] = await framesIn(dir);
  assert.equal(camera!.files.length, 20);
  for (const file of camera!.files) assert.equal(readFrameMeta(await readFile(file)), undefined);
  await rm(dir, { recursive: true, force: true });
});

test('demo: test cameras → receiver with its live page (and files with --out), then a clean exit', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'udpcam-demo-'));
  try {
    const cli = startCli(['demo', '--cameras', '2', '--fps', '10', '--http', '0', '--out', dir]);
    const [, url] = (await cli.waitFor(/watch them live at (http:\/\/\S+)/)) as RegExpMatchArray;
    await cli.waitFor(/demo: .*fps/, 30_000);
    const cameras = (await (await fetch(`${url}api/cameras`)).json()) as { id: string; frames: number }[];
    assert.equal(cameras.length, 2);
    const snapshot = await fetch(`${url}snapshot.jpg`);
    assert.equal(snapshot.status, 200);
    assert.ok(isWellFormedJpeg(Buffer.from(await snapshot.arrayBuffer())));
    // Until Ctrl-C, not for a fixed time: a busy machine may take seconds to start the cameras.
    assert.equal(await cli.stop('SIGINT'), 0, cli.stderr.join('\n'));
    const written = await framesIn(dir);
    assert.equal(written.length, 2);
    // How many frames a busy machine sends is not a test; that each camera's frames land is.
    for (const { files } of written) assert.ok(files.length > 0, 'frames written for each camera');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('send to a multicast group (TTL 0, loopback interface) → receive --group', async () => {
  const group = '239.255.77.78';
  const { cli: receiver, port } = await startGroupReceiver(group);
  try {
    const sent = await runCli([
      'send',
      '--ip',
      group,
      '--port',
      String(port),
      '--ttl',
      '0',
      '--multicast-interface',
      '127.0.0.1',
      '--fps',
      '100',
      '--frames',
      '10',
      '--size',
      '320x180',
    ]);
    assert.equal(sent.code, 0, sent.stderr);
    await receiver.waitFor(/"frames":10[,}]/, 30_000);
  } finally {
    assert.equal(await receiver.stop(), 0);
  }
  const misuse = await runCli(['send', '--ip', '127.0.0.1', '--ttl', '0', '--frames', '1']);
  assert.equal(misuse.code, 1);
  assert.match(misuse.stderr, /--ttl and --multicast-interface need a multicast --ip/);
});
