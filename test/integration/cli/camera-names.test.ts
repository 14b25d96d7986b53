/**
 * Camera names that would escape --out or take another sender's id (issue 11, findings 2 and
 * 14) are refused in one line, from --name and from a --cameras file.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { runCli, startReceiver } from '../../helpers/cli.js';

test('--name with a dot-only name or an automatic id exits 2 with one line', async () => {
  for (const [name, reason] of [
    ['..', /dots only/],
    ['.', /dots only/],
    ['...', /dots only/],
    ['127.0.0.1_15023', /automatic id/],
    ['ip6_--1_5000', /automatic id/],
  ] as const) {
    const { code, stderr } = await runCli(['receive', '--port', '0', '--name', `127.0.0.1:15020=${name}`]);
    assert.equal(code, 2, `${name}: ${stderr}`);
    assert.match(stderr, reason);
    assert.doesNotMatch(stderr, /^\s+at /m);
  }
});

test('a --cameras file with a dot-only name is refused by its schema; an automatic id by the check', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'udpcam-names-'));
  try {
    for (const [name, reason] of [
      ['..', /cameras\.0\.name: "\.\." does not match/],
      ['10.0.0.9_5000', /automatic id/],
    ] as const) {
      const file = path.join(dir, 'cameras.json');
      await writeFile(file, JSON.stringify({ cameras: [{ sender: '127.0.0.1:15020', name }] }));
      const { code, stderr } = await runCli(['receive', '--port', '0', '--cameras', file]);
      assert.equal(code, 1, stderr);
      assert.match(stderr, reason);
    }
    // An ordinary name with dots and underscores is still fine.
    await writeFile(
      path.join(dir, 'ok.json'),
      JSON.stringify({ cameras: [{ sender: '127.0.0.1:15020', name: 'door.cam_2' }] }),
    );
    const { cli } = await startReceiver(['--cameras', path.join(dir, 'ok.json')]);
    assert.equal(await cli.stop('SIGINT'), 0);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
