#!/usr/bin/env node
/**
 * Runs `node --test` on every *.test.js file under the given folders (or the given files).
 *
 *   node scripts/run-tests.mjs [--skip=FOLDER]... [node --test options] FOLDER|FILE...
 *
 * Why a script: Node 20's `node --test FOLDER` takes a folder but does not expand glob patterns;
 * Node 21+ takes files and globs but no longer a folder. An explicit, sorted list of files works
 * on both. Plain JavaScript (not compiled), so it runs before and without the build.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';

const skips = [];
const options = [];
const folders = [];
for (const arg of process.argv.slice(2)) {
  if (arg.startsWith('--skip=')) skips.push(path.resolve(arg.slice('--skip='.length)));
  else if (arg.startsWith('-')) options.push(arg);
  else folders.push(arg);
}

/** Every *.test.js under `dir` (or `dir` itself if it is a file), skipping the --skip folders. */
function testFiles(dir) {
  if (skips.includes(path.resolve(dir))) return [];
  if (statSync(dir).isFile()) return [dir];
  return readdirSync(dir, { withFileTypes: true })
    .sort((a, b) => a.name.localeCompare(b.name))
    .flatMap((entry) => {
      const file = path.join(dir, entry.name);
      if (entry.isDirectory()) return testFiles(file);
      return entry.isFile() && entry.name.endsWith('.test.js') ? [file] : [];
    });
}

const files = folders.flatMap((folder) => testFiles(folder));
if (files.length === 0) {
  console.error(
    `run-tests: no *.test.js files under ${folders.join(', ') || '(no folder given)'}; build first (npx tsc -b)`,
  );
  process.exit(1);
}
const result = spawnSync(process.execPath, ['--test', ...options, ...files], { stdio: 'inherit' });
if (result.signal) process.kill(process.pid, result.signal);
process.exit(result.status ?? 1);
