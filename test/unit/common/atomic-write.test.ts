/** Atomic writes on a real file system: in place whole, no temporary left, never through a planted link. */
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { writeFileAtomic, writeFileAtomicSync } from '@udpcam/common';

describe('atomic writes', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'udpcam-atomic-'));
  after(() => rm(dir, { recursive: true, force: true }));

  it('replaces a file whole, async and sync, leaving no temporary file', async () => {
    const file = path.join(dir, 'a.json');
    await writeFile(file, 'old');
    await writeFileAtomic(file, 'new');
    assert.equal(await readFile(file, 'utf8'), 'new');
    writeFileAtomicSync(file, Buffer.from('newer'));
    assert.equal(await readFile(file, 'utf8'), 'newer');
    assert.deepEqual(await readdir(dir), ['a.json']);
  });

  it('fails with the errno and cleans up when the folder is missing', async () => {
    const file = path.join(dir, 'missing', 'b.jpg');
    await assert.rejects(writeFileAtomic(file, 'x'), { code: 'ENOENT' });
    assert.throws(() => writeFileAtomicSync(file, Buffer.from('x')), { code: 'ENOENT' });
  });

  it('replaces a symlink at the target instead of writing through it', async () => {
    const outside = path.join(dir, 'outside.txt');
    await writeFile(outside, 'untouched');
    const link = path.join(dir, 'link.json');
    await symlink(outside, link);
    await writeFileAtomic(link, 'mine');
    assert.equal(await readFile(outside, 'utf8'), 'untouched');
    assert.equal(await readFile(link, 'utf8'), 'mine');
  });
});
