/** CameraRetention: a camera's folder keeps the newest N frames and/or B bytes (real files). */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CameraRetention } from '#receiver/sinks/retention.js';

/** A frame file name as the disk sink makes it (UTC time, '-', seq): `n` orders them. */
const name = (n: number) =>
  `20240101T0000${String(n).padStart(2, '0')}.000Z-${String(n).padStart(6, '0')}.jpg`;

describe('CameraRetention', () => {
  let root: string;
  before(async () => {
    root = await mkdtemp(path.join(tmpdir(), 'udpcam-retention-'));
  });
  after(async () => {
    await rm(root, { recursive: true, force: true });
  });

  /** A folder with `names` written, `bytes` bytes each. */
  async function folder(name: string, names: string[] = [], bytes = 10): Promise<string> {
    const dir = path.join(root, name);
    await rm(dir, { recursive: true, force: true });
    await mkdir(dir, { recursive: true });
    for (const file of names) await writeFile(path.join(dir, file), Buffer.alloc(bytes));
    return dir;
  }

  /** Writes frame `name` and tells retention about it; returns how many it deleted. */
  async function add(retention: CameraRetention, dir: string, name: string, bytes = 10): Promise<number> {
    await writeFile(path.join(dir, name), Buffer.alloc(bytes));
    return retention.add(name, bytes);
  }

  it('keep: the newest N frames stay, the oldest are deleted as new ones land', async () => {
    const dir = await folder('keep');
    const retention = new CameraRetention(dir, { keep: 3 });
    await retention.seed();
    const deleted: number[] = [];
    for (let i = 1; i <= 5; i++) deleted.push(await add(retention, dir, name(i)));
    assert.deepEqual(deleted, [0, 0, 0, 1, 1]);
    assert.deepEqual((await readdir(dir)).sort(), [name(3), name(4), name(5)]);
    assert.deepEqual([retention.frames, retention.bytes], [3, 30]);
  });

  it('maxBytes: the oldest go until the folder fits, but the newest frame always stays', async () => {
    const dir = await folder('bytes');
    const retention = new CameraRetention(dir, { maxBytes: 25 });
    await retention.seed();
    await add(retention, dir, name(1));
    await add(retention, dir, name(2));
    assert.equal(await add(retention, dir, name(3)), 1);
    assert.deepEqual((await readdir(dir)).sort(), [name(2), name(3)]);
    assert.equal(await add(retention, dir, name(4), 100), 2, 'a frame over the limit alone');
    assert.deepEqual(await readdir(dir), [name(4)]);
  });

  it('frames from an earlier run count, oldest by name first; other files are never touched', async () => {
    const dir = await folder('seeded', [name(2), name(1), '.tmp.jpg', 'notes.txt', 'photo.jpg']);
    const retention = new CameraRetention(dir, { keep: 2 });
    await retention.seed();
    assert.equal(retention.frames, 2);
    assert.equal(await add(retention, dir, name(3)), 1);
    assert.deepEqual((await readdir(dir)).sort(), ['.tmp.jpg', name(2), name(3), 'notes.txt', 'photo.jpg']);
  });
});
