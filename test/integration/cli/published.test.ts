/**
 * The published packages work on their own: every workspace is packed with `npm pack`, the
 * tarballs are installed into an empty folder outside the repository (third-party dependencies
 * from the npm cache, else the registry; optional ones left out), and from there `npx udpcam`
 * runs demo, send --camera_config into receive --cameras, and area — real processes on
 * loopback, each bounded by a frame count or an explicit quit.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { after, before, test } from 'node:test';
import { promisify } from 'node:util';
import { jpegSize } from '@udpcam/sender';
import { REPO_ROOT } from '../../helpers/cli.js';

const exec = promisify(execFile);
const NPM = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const NPX = process.platform === 'win32' ? 'npx.cmd' : 'npx';

let work: string;
let app: string;

before(async () => {
  work = await mkdtemp(path.join(tmpdir(), 'udpcam-published-'));
  const tarballs = path.join(work, 'tarballs');
  app = path.join(work, 'app');
  await mkdir(tarballs);
  await mkdir(app);
  await exec(NPM, ['pack', '--workspaces', '--ignore-scripts', '--pack-destination', tarballs], {
    cwd: REPO_ROOT,
    timeout: 60_000,
  });
  const packed = (await readdir(tarballs)).filter((name) => name.endsWith('.tgz')).sort();
  assert.deepEqual(
    packed.map((name) => name.replace(/-\d+\.\d+\.\d+\.tgz$/, '')),
    [
      'udpcam-area',
      'udpcam-cli',
      'udpcam-common',
      'udpcam-protocol',
      'udpcam-receiver',
      'udpcam-sender',
      'udpcam-udp-native',
    ],
  );
  await writeFile(
    path.join(app, 'package.json'),
    JSON.stringify({ name: 'udpcam-install-test', private: true }),
  );
  await exec(
    NPM,
    [
      'install',
      '--prefer-offline',
      '--ignore-scripts',
      '--omit=optional',
      '--no-audit',
      '--no-fund',
      '--no-package-lock',
      ...packed.map((name) => path.join(tarballs, name)),
    ],
    { cwd: app, timeout: 120_000 },
  );
});

after(async () => {
  await rm(work, { recursive: true, force: true });
});

/**
 * `npx --no udpcam ...args` in the install folder: the installed bin, never the repository's. npx
 * runs it through a shell, so it gets a process group of its own and `stop` signals the group.
 */
function udpcam(args: string[]) {
  const child = spawn(NPX, ['--no', 'udpcam', ...args], {
    cwd: app,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  createInterface({ input: child.stdout! }).on('line', (line) => lines.push(line));
  createInterface({ input: child.stderr! }).on('line', (line) => lines.push(line));
  const exited = once(child, 'exit').then(([code]) => code as number | null);
  const stop = (signal: NodeJS.Signals = 'SIGTERM') => {
    try {
      process.kill(-child.pid!, signal);
    } catch {
      // The group has already gone.
    }
    return exited;
  };
  const timer = setTimeout(() => stop('SIGKILL'), 45_000);
  exited.finally(() => clearTimeout(timer));
  return { child, lines, exited, stop, waitFor: (pattern: RegExp) => waitForLine(child, lines, pattern) };
}

function waitForLine(child: ChildProcess, lines: string[], pattern: RegExp): Promise<RegExpMatchArray> {
  return new Promise((resolve, reject) => {
    const check = () => {
      for (const line of lines) {
        const match = line.match(pattern);
        if (match) return resolve(match);
      }
      if (child.exitCode !== null || child.signalCode !== null) {
        return reject(new Error(`exited before ${pattern}:\n${lines.join('\n')}`));
      }
      setTimeout(check, 20);
    };
    check();
  });
}

/** The JPEG files under `dir`/`camera`, each checked to start and end as a JPEG does. */
async function jpegsIn(dir: string, camera: string): Promise<string[]> {
  const names = (await readdir(path.join(dir, camera))).filter((name) => name.endsWith('.jpg'));
  for (const name of names) {
    const data = await readFile(path.join(dir, camera, name));
    assert.equal(data.readUInt16BE(0), 0xffd8, `${name} starts with SOI`);
    assert.equal(data.readUInt16BE(data.length - 2), 0xffd9, `${name} ends with EOI`);
  }
  return names;
}

test('the installed @udpcam/cli ships its schemas, and importing it runs nothing', async () => {
  const cli = JSON.parse(await readFile(path.join(app, 'node_modules/@udpcam/cli/package.json'), 'utf8'));
  assert.ok(cli.files.includes('schemas'));
  const schemas = await readdir(path.join(app, 'node_modules/@udpcam/cli/schemas'));
  assert.ok(schemas.includes('send.schema.json') && schemas.includes('cameras.schema.json'), String(schemas));
  // The package's entry point loads without running the CLI.
  const { stdout } = await exec(
    process.execPath,
    [
      '--input-type=module',
      '-e',
      "const m = await import('@udpcam/cli'); console.log(typeof m.buildProgram);",
    ],
    { cwd: app },
  );
  assert.equal(stdout.trim(), 'function');
});

test('npx udpcam demo --frames ends on its own with the frames on disk', async () => {
  const out = path.join(work, 'demo-frames');
  const demo = udpcam([
    'demo',
    '--cameras',
    '2',
    '--fps',
    '20',
    '--frames',
    '6',
    '--http',
    '0',
    '--out',
    out,
  ]);
  assert.equal(await demo.exited, 0, demo.lines.join('\n'));
  assert.ok(
    demo.lines.some((line) => /^udpcam demo: \d+ frames received, \d+ written to /.test(line)),
    demo.lines.join('\n'),
  );
  for (const camera of ['cam1', 'cam2']) assert.ok((await jpegsIn(out, camera)).length > 0, camera);
});

test('npx udpcam send --camera_config into receive --cameras: named frames on disk', async () => {
  const out = path.join(work, 'received');
  const cameras = path.join(work, 'cameras.json');
  const cameraConfig = path.join(work, 'camera_config.json');
  await writeFile(cameras, JSON.stringify({ cameras: [{ sender: '127.0.0.1', name: 'porch' }] }));
  await writeFile(cameraConfig, JSON.stringify({ width: 320, height: 240, fps: 30 }));
  const receiver = udpcam([
    'receive',
    '--port',
    '0',
    '--bind',
    '127.0.0.1',
    '--cameras',
    cameras,
    '--out',
    out,
    '--frame_timeout',
    '60000',
  ]);
  try {
    const port = (await receiver.waitFor(/receiving on udp .*:(\d+)/))[1]!;
    const sender = udpcam([
      'send',
      '--port',
      port,
      '--source',
      'test',
      '--camera_config',
      cameraConfig,
      '--frames',
      '4',
    ]);
    assert.equal(await sender.exited, 0, sender.lines.join('\n'));
    // Frames are written as they complete; the receiver runs until stopped.
    for (let tries = 0; tries < 500; tries++) {
      const written = await readdir(path.join(out, 'porch')).catch(() => []);
      if (written.filter((name) => name.endsWith('.jpg')).length >= 4) break;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const names = await jpegsIn(out, 'porch');
    assert.equal(names.length, 4, String(names));
    const first = await readFile(path.join(out, 'porch', names.sort()[0]!));
    assert.deepEqual(jpegSize(first), { width: 320, height: 240 }, 'the size camera_config asked for');
  } finally {
    await receiver.stop();
  }
});

test('npx udpcam area serves its page and saves capture_area.json', async () => {
  const file = path.join(work, 'capture_area.json');
  const area = udpcam(['area', '--http', '0', '--source', 'test', '--size', '320x240', '--out', file]);
  try {
    const url = (await area.waitFor(/area page (http:\/\/\S+\/)/))[1]!;
    const page = await fetch(url);
    assert.equal(page.status, 200);
    assert.match(await page.text(), /<html/i);
    const frame = await fetch(new URL('frame.jpg', url));
    assert.equal(frame.status, 200);
    assert.equal(Buffer.from(await frame.arrayBuffer()).readUInt16BE(0), 0xffd8);
    const selected = [
      [10, 10],
      [300, 20],
      [310, 230],
      [20, 220],
    ];
    const visible = [
      [0, 0],
      [160, 0],
      [160, 120],
      [0, 120],
    ];
    const saved = await fetch(new URL('api/area', url), {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ selected_rect: selected, visible_rect: visible }),
    });
    assert.equal(saved.status, 200, await saved.clone().text());
    assert.deepEqual(JSON.parse(await readFile(file, 'utf8')), {
      selected_rect: selected,
      visible_rect: visible,
    });
    const quit = await fetch(new URL('api/quit', url), {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: '{}',
    });
    assert.equal(quit.status, 200, await quit.text());
    assert.equal(await area.exited, 0, area.lines.join('\n'));
  } finally {
    await area.stop();
  }
});
