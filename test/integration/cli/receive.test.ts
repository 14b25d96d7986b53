/**
 * `udpcam receive` against a stream in the Python sender's framing, made with the protocol's
 * legacy chunker: random ids from a tiny range (so they repeat), lone S frames, empty E chunks,
 * deliberate losses and junk datagrams. The receiver must write exactly the frames sent whole.
 */
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { LEGACY_PACKET_SIZE, legacyChunkCount, legacyChunkFrame } from '@udpcam/protocol';
import { startReceiver } from '../../helpers/cli.js';
import { makeJpeg, padJpegTo } from '../../helpers/frames.js';

async function listJpegs(dir: string): Promise<{ files: string[]; others: string[] }> {
  const files: string[] = [];
  const others: string[] = [];
  for (const camera of await readdir(dir)) {
    for (const name of await readdir(path.join(dir, camera))) {
      (name.endsWith('.jpg') && !name.startsWith('.') ? files : others).push(path.join(dir, camera, name));
    }
  }
  return { files, others };
}

describe('udpcam receive with the Python sender framing', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'udpcam-receive-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  test('writes exactly the frames sent whole, byte-identical, and nothing else', async () => {
    const ps = LEGACY_PACKET_SIZE;
    const base = makeJpeg(320, 180, 1);
    // Sizes that hit each quirk: lone S (L + 112 < ps), an S holding the whole JPEG plus an empty E
    // (7888: L + 112 = ps exactly, where main.py's int(...) + 1 gives one chunk more than ceil),
    // an empty E (L a multiple of ps), plain multi-chunk frames.
    const sizes = [5000, 7888, 8000, 16000, 20000, 25000, 31000, 40000];
    const frames: Buffer[] = [];
    for (let i = 0; i < 24; i++) {
      const image = makeJpeg(160 + (i % 5) * 16, 120, i + 2);
      const size = Math.max(sizes[i % sizes.length]!, image.length + 4);
      frames.push(padJpegTo(image, size));
    }
    assert.ok(base.length > 0);
    assert.ok(
      frames.some((f) => legacyChunkCount(f.length, ps) === 1),
      'a lone-S frame is in the set',
    );
    assert.ok(
      frames.some((f) => legacyChunkFrame(f, 10, ps).at(-1)![1].length === 0),
      'a frame with an empty E is in the set',
    );
    assert.ok(
      frames.some((f) => f.length + 112 === ps && legacyChunkFrame(f, 10, ps).length === 2),
      'a frame at the int(...) + 1 boundary (S of L bytes plus an empty E) is in the set',
    );

    const { cli, port } = await startReceiver(['--out', dir, '--status-interval', '0.2', '--json']);
    const socket = dgram.createSocket('udp4');
    const sentWhole: Buffer[] = [];
    let seed = 7;
    const random = () => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed / 0x80000000;
    };
    try {
      for (let i = 0; i < frames.length; i++) {
        const frame = frames[i]!;
        // Ids from 10..12 only, so consecutive frames often share one (as the Python sender may).
        const imageId = 10 + Math.floor(random() * 3);
        const datagrams = legacyChunkFrame(frame, imageId, ps);
        // Every third multi-chunk frame loses one chunk; the rest arrive whole.
        const lose = datagrams.length > 1 && i % 3 === 0 ? Math.floor(random() * datagrams.length) : -1;
        // All of a frame's datagrams are handed to the kernel at once.
        await Promise.all(
          datagrams.map((datagram, c) =>
            c === lose
              ? undefined
              : new Promise<void>((resolve, reject) =>
                  socket.send([...datagram], port, '127.0.0.1', (e) => (e ? reject(e) : resolve())),
                ),
          ),
        );
        // An S holding the whole JPEG is the frame, whether or not its empty E arrives.
        const startIsWhole = datagrams[0]![1].length === frame.length;
        if (lose < 0 || (startIsWhole && datagrams[lose]![1].length === 0)) sentWhole.push(frame);
        // Junk between frames: counted as malformed, never written.
        await new Promise<void>((resolve) =>
          socket.send(Buffer.from('X0100junk'), port, '127.0.0.1', () => resolve()),
        );
        await sleep(30); // The Python sender's frame interval is its capture time; 30 fps here.
      }
      const expected = sentWhole.length;
      await cli.waitFor(new RegExp(`"frames":${expected}[,}]`), 30_000);
    } finally {
      socket.close();
      assert.equal(await cli.stop('SIGINT'), 0);
    }

    const { files, others } = await listJpegs(dir);
    assert.deepEqual(others, [], 'no temporary or stray files are left');
    const written = await Promise.all(files.map((f) => readFile(f)));
    const key = (b: Buffer) => b.toString('base64');
    assert.deepEqual(written.map(key).sort(), sentWhole.map(key).sort());
    const last = JSON.parse(cli.stdout.at(-1)!);
    assert.equal(last.malformed, frames.length, 'every junk datagram was counted as malformed');
    assert.equal(last.disk.written, sentWhole.length);
  });
});
