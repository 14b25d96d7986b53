/**
 * The bench harness (scripts/lib/harness.ts, pin.ts) through real bench processes: the shared
 * flags, one-line errors for bad ones, the results layout and folder, and the plots' folder.
 * Nothing here depends on how fast anything runs.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { promisify } from 'node:util';
import { pinned } from '../../../scripts/lib/pin.js';
import { REPO_ROOT } from '../../helpers/cli.js';

const run = promisify(execFile);
const bench = (name: string) => path.join(REPO_ROOT, 'build', 'scripts', `bench-${name}.js`);

/** Runs a bench expected to fail; returns its exit code and stderr. */
async function failing(name: string, args: string[]): Promise<{ code: unknown; stderr: string }> {
  try {
    await run(process.execPath, [bench(name), ...args], { timeout: 30_000 });
  } catch (error) {
    const { code, stderr } = error as { code: unknown; stderr: string };
    return { code, stderr };
  }
  assert.fail(`bench-${name} ${args.join(' ')} exited 0`);
}

describe('bench harness', () => {
  it('refuses an unknown or bad flag with one line on stderr and exit code 2', async () => {
    for (const [args, message] of [
      [['--bogus'], /^bench-fec: Unknown option '--bogus'/],
      [['--rounds', '0'], /^bench-fec: --rounds takes a positive number, got "0"$/],
      [['--rounds', 'x'], /^bench-fec: --rounds takes a positive number, got "x"$/],
    ] as const) {
      const { code, stderr } = await failing('fec', [...args]);
      assert.equal(code, 2, args.join(' '));
      const lines = stderr.trim().split('\n');
      assert.equal(lines.length, 1, stderr);
      assert.match(lines[0]!, message);
    }
  });

  it('writes <out>/<name>-quick.json in the one layout, with the shared flags', async () => {
    const out = await mkdtemp(path.join(os.tmpdir(), 'udpcam-harness-'));
    try {
      await run(process.execPath, [bench('fec'), '--quick', '--rounds', '1', '--out', out], {
        timeout: 60_000,
      });
      const json = JSON.parse(await readFile(path.join(out, 'fec-quick.json'), 'utf8'));
      assert.equal(json.bench, 'fec');
      assert.equal(json.quick, true);
      assert.ok(!Number.isNaN(Date.parse(json.date)), json.date);
      assert.equal(json.machine.cpus, os.cpus().length);
      assert.equal(typeof json.pinned, 'boolean');
      assert.deepEqual(json.flags, { quick: true, rounds: '1', out, unpinned: false });
      assert.equal(json.rounds, 1, 'the bench took --rounds');
      assert.ok(json.rows.length > 0);
    } finally {
      await rm(out, { recursive: true, force: true });
    }
  });

  it('--unpinned runs unpinned, and a quick plot goes to <out>/quick-plots/', async () => {
    const out = await mkdtemp(path.join(os.tmpdir(), 'udpcam-harness-'));
    try {
      const args = ['--quick', '--unpinned', '--cameras', '1', '--window-ms', '300', '--out', out];
      await run(process.execPath, [bench('cameras'), ...args], { timeout: 60_000 });
      const json = JSON.parse(await readFile(path.join(out, 'cameras-quick.json'), 'utf8'));
      assert.equal(json.pinned, false);
      assert.equal(json.results.length, 1);
      assert.match(await readFile(path.join(out, 'quick-plots', 'cameras.svg'), 'utf8'), /^<svg/);
    } finally {
      await rm(out, { recursive: true, force: true });
    }
  });

  it('every scripts/bench-<name>.ts runs on the harness under its own name, and npm run bench runs it', async () => {
    const scripts = path.join(REPO_ROOT, 'scripts');
    const names = (await readdir(scripts)).flatMap((file) => /^bench-(.+)\.ts$/.exec(file)?.[1] ?? []);
    assert.ok(names.length >= 15, names.join(', '));
    const runner = await readFile(path.join(scripts, 'bench.ts'), 'utf8');
    for (const name of names) {
      const source = await readFile(path.join(scripts, `bench-${name}.ts`), 'utf8');
      assert.match(source, new RegExp(`startBench\\('${name}'`), `bench-${name}.ts`);
      assert.doesNotMatch(source, /\bparseArgs\(|'taskset'/, `bench-${name}.ts parses or pins by hand`);
      assert.match(runner, new RegExp(`name: '${name}'`), `bench.ts runs ${name}`);
    }
  });

  it('pins a command with taskset -c, and leaves it alone when the core is undefined', () => {
    assert.deepEqual(pinned(1, ['node', 'x.js']), ['taskset', '-c', '1', 'node', 'x.js']);
    assert.deepEqual(pinned(undefined, ['node', 'x.js']), ['node', 'x.js']);
  });
});
