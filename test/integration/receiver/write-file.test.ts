/**
 * The disk sink's synchronous frame writes (sinks/write-frame.ts: udp-native's writeFileAtomic,
 * write_file.c, else writeFileAtomicSync), on real file systems: the file is whole or absent, no
 * temporary file is left, an existing file is replaced, permissions are node:fs's, and errors
 * carry the code, syscall and path node:fs gives. The way for file systems without O_TMPFILE (a
 * dot-file and a rename), forced with UDPCAM_NO_TMPFILE=1 (every local file system here has it),
 * is checked the same way.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { nativeFileWriter, nativeUdpProblem } from '@udpcam/udp-native';
import { writeFrameFileSync as write } from '#receiver/sinks/write-frame.js';
import { REPO_ROOT } from '../../helpers/cli.js';

const exec = promisify(execFile);
const native = { skip: nativeFileWriter() === undefined ? `addon not built: ${nativeUdpProblem()}` : false };
const root = process.getuid?.() === 0;

async function withDir(run: (dir: string) => void | Promise<void>): Promise<void> {
  const dir = mkdtempSync(path.join(tmpdir(), 'udpcam-write-'));
  try {
    await run(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('writes the bytes under the name, leaves nothing else, with the mode node:fs gives', native, () =>
  withDir((dir) => {
    const data = Buffer.alloc(200_000);
    for (let i = 0; i < data.length; i++) data[i] = (i * 7) & 0xff;
    write(dir, 'frame.jpg', data);
    write(dir, 'empty.jpg', new Uint8Array(0));
    write(dir, 'view.jpg', data.subarray(1000, 1100));
    assert.deepEqual(readFileSync(path.join(dir, 'frame.jpg')), data);
    assert.equal(readFileSync(path.join(dir, 'empty.jpg')).length, 0);
    assert.deepEqual(readFileSync(path.join(dir, 'view.jpg')), data.subarray(1000, 1100));
    assert.deepEqual(readdirSync(dir).sort(), ['empty.jpg', 'frame.jpg', 'view.jpg']);
    writeFileSync(path.join(dir, 'by-node.jpg'), data);
    assert.equal(statSync(path.join(dir, 'frame.jpg')).mode, statSync(path.join(dir, 'by-node.jpg')).mode);
  }),
);

test('replaces a file of the same name, as a rename does', native, () =>
  withDir((dir) => {
    writeFileSync(path.join(dir, 'frame.jpg'), 'old bytes');
    write(dir, 'frame.jpg', Buffer.from('new bytes'));
    assert.equal(readFileSync(path.join(dir, 'frame.jpg'), 'utf8'), 'new bytes');
    assert.deepEqual(readdirSync(dir), ['frame.jpg']);
  }),
);

test('errors say what node:fs would: code, syscall, path', native, () =>
  withDir((dir) => {
    const gone = path.join(dir, 'gone');
    assert.throws(
      () => write(gone, 'frame.jpg', Buffer.from('x')),
      (error: NodeJS.ErrnoException) =>
        error.code === 'ENOENT' &&
        error.syscall === 'open' &&
        error.path === path.join(gone, 'frame.jpg') &&
        /^ENOENT: no such file or directory, open '/.test(error.message),
    );
    writeFileSync(path.join(dir, 'file'), '');
    assert.throws(
      () => write(path.join(dir, 'file'), 'frame.jpg', Buffer.from('x')),
      (error: NodeJS.ErrnoException) => error.code === 'ENOTDIR',
    );
    assert.throws(
      () => write(dir, 'x'.repeat(300), Buffer.from('x')),
      (error: NodeJS.ErrnoException) => error.code === 'ENAMETOOLONG',
    );
    assert.throws(() => write(dir, 'frame.jpg', 'not bytes' as unknown as Uint8Array), TypeError);
    assert.deepEqual(readdirSync(dir), ['file']);
  }),
);

/**
 * Runs `script` (ESM, with `write` and `dir` in scope) in a fresh process, with `env` added;
 * returns its JSON line.
 */
async function inChild(dir: string, script: string, env: Record<string, string> = {}): Promise<unknown> {
  const source = `
    import { writeFrameFileSync as write } from '${REPO_ROOT}packages/receiver/dist/sinks/write-frame.js';
    import { readdirSync, readFileSync } from 'node:fs';
    const dir = ${JSON.stringify(dir)};
    ${script}
  `;
  const { stdout } = await exec(process.execPath, ['--input-type=module', '-e', source], {
    cwd: REPO_ROOT,
    env: { ...process.env, ...env },
    timeout: 60_000,
  });
  return JSON.parse(stdout);
}

/** Mounts a file system of `type` on a fresh folder for `run` (root only). */
async function withMount(type: string, options: string, run: (dir: string) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(path.join(tmpdir(), `udpcam-${type}-`));
  await exec('mount', ['-t', type, '-o', options, type, dir]);
  try {
    await run(dir);
  } finally {
    await exec('umount', [dir]);
    rmSync(dir, { recursive: true, force: true });
  }
}

const needsRoot = { skip: native.skip !== false ? native.skip : root ? false : 'needs root (mount)' };

for (const [way, env] of [
  ['O_TMPFILE and a link', {}],
  ['a dot-file and a rename', { UDPCAM_NO_TMPFILE: '1' }],
] as const) {
  test(`${way}: whole files, replaced in place, nothing else left, errors as node:fs`, native, () =>
    withDir(async (dir) => {
      const result = await inChild(
        dir,
        `
        const data = Buffer.alloc(100_000, 7);
        write(dir, 'a.jpg', data);
        write(dir, 'a.jpg', Buffer.from('replaced'));
        write(dir, 'b.jpg', data);
        let error;
        try { write(dir + '/gone', 'c.jpg', data); } catch (e) { error = [e.code, e.syscall]; }
        console.log(JSON.stringify({
          names: readdirSync(dir).sort(),
          a: readFileSync(dir + '/a.jpg', 'utf8'),
          b: readFileSync(dir + '/b.jpg').equals(data),
          error,
        }));
      `,
        env,
      );
      assert.deepEqual(result, {
        names: ['a.jpg', 'b.jpg'],
        a: 'replaced',
        b: true,
        error: ['ENOENT', 'open'],
      });
    }),
  );
  test(
    `${way}: a full disk gives ENOSPC from write, leaves nothing, and the next small file fits`,
    needsRoot,
    () =>
      withMount('tmpfs', 'size=256k', async (dir) => {
        const result = await inChild(
          dir,
          `
        let code;
        try { write(dir, 'big.jpg', Buffer.alloc(1024 * 1024, 1)); } catch (error) { code = [error.code, error.syscall]; }
        write(dir, 'small.jpg', Buffer.from('fits'));
        console.log(JSON.stringify({ code, names: readdirSync(dir) }));
      `,
          env,
        );
        assert.deepEqual(result, { code: ['ENOSPC', 'write'], names: ['small.jpg'] });
      }),
  );
}
