/**
 * The example systemd units in docs/systemd pass `systemd-analyze verify` (no warning either),
 * with ExecStart pointed at this checkout's CLI (verify insists the binary exists), and point at
 * the config files whose examples ship in configs/.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { CLI, REPO_ROOT } from '../../helpers/cli.js';

const UNITS = ['udpcam-send', 'udpcam-receive'];
const hasVerify = spawnSync('systemd-analyze', ['--version']).status === 0;

test('the example units pass systemd-analyze verify', {
  skip: !hasVerify && 'systemd-analyze not installed',
}, async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'udpcam-units-'));
  try {
    const files: string[] = [];
    for (const unit of UNITS) {
      const text = await readFile(path.join(REPO_ROOT, 'docs', 'systemd', `${unit}.service`), 'utf8');
      const command = unit === 'udpcam-send' ? 'send' : 'receive';
      assert.match(
        text,
        new RegExp(
          `^ExecStart=/usr/local/bin/udpcam ${command} --config /etc/udpcam/${command}\\.json$`,
          'm',
        ),
      );
      const file = path.join(dir, `${unit}.service`);
      await writeFile(file, text.replace('/usr/local/bin/udpcam', `${process.execPath} ${CLI}`));
      files.push(file);
    }
    const verify = spawnSync('systemd-analyze', ['verify', ...files], { encoding: 'utf8' });
    assert.equal(verify.status, 0, verify.stderr);
    assert.equal(`${verify.stdout}${verify.stderr}`.trim(), '', 'no warnings');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
