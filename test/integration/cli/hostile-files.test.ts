/**
 * Files that are not what they claim (issue 11, findings 11, 13 and 15): /dev/zero, FIFOs and
 * symlinks given as configs, sources or the area tool's --out. Each is refused in one line, at
 * once — no memory growth, no read that blocks the process so signals go unheard.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import dgram from 'node:dgram';
import { mkdtemp, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { EXISTING_AREA } from '../../helpers/area.js';
import { runCli } from '../../helpers/cli.js';
import { until } from '../../helpers/http.js';
import { makeJpeg } from '../../helpers/jpeg.js';

let dir: string;
before(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'udpcam-hostile-files-'));
});
after(() => rm(dir, { recursive: true, force: true }));

function assertOneLine(stderr: string, pattern: RegExp): void {
  const lines = stderr.split('\n').filter((l) => l.trim() !== '');
  assert.equal(lines.length, 1, `expected one line, got:\n${stderr}`);
  assert.match(lines[0]!, pattern);
}

test('/dev/zero, a FIFO or a too-large file as a config or a file: source: refused in one line', async () => {
  const fifo = path.join(dir, 'config.fifo');
  execFileSync('mkfifo', [fifo]);
  const big = path.join(dir, 'big.json');
  await writeFile(big, Buffer.alloc(1024 * 1024 + 1, 0x20));
  for (const [args, pattern] of [
    [['receive', '--port', '0', '--cameras', '/dev/zero'], /cannot read \/dev\/zero \(not a regular file\)/],
    [['receive', '--port', '0', '--cameras', fifo], /not a regular file/],
    [['receive', '--port', '0', '--cameras', big], /the file is too large/],
    [['send', '--frames', '1', '--area', '/dev/zero'], /not a regular file/],
    [['send', '--frames', '1', '--camera_config', '/dev/zero'], /not a regular file/],
    [
      ['send', '--frames', '1', '--source', 'file:/dev/zero'],
      /\/dev\/zero: cannot read the file: not a regular file/,
    ],
    [['send', '--frames', '1', '--source', `file:${fifo}`], /not a regular file/],
  ] as const) {
    const { code, stderr } = await runCli([...args], 10_000);
    assert.equal(code, 1, `${args.join(' ')}: ${stderr}`);
    // `send` announces itself first; the error is then its one line.
    assertOneLine(stderr.replace(/^udpcam: sending .*$/m, ''), pattern);
  }
});

test('dir: skips a FIFO and a symlink to /dev/zero with a warning and sends the real JPEG', async () => {
  const frames = path.join(dir, 'frames');
  execFileSync('mkdir', [frames]);
  execFileSync('mkfifo', [path.join(frames, 'a.jpg')]);
  await symlink('/dev/zero', path.join(frames, 'b.jpg'));
  await writeFile(path.join(frames, 'c.jpg'), makeJpeg({ width: 64, height: 48, quality: 80 }));
  const socket = dgram.createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  let datagrams = 0;
  socket.on('message', () => datagrams++);
  try {
    const { port } = socket.address();
    const { code, stderr } = await runCli(
      ['send', '--port', String(port), '--source', `dir:${frames}`, '--frames', '3', '--fps', '100'],
      15_000,
    );
    assert.equal(code, 0, stderr);
    assert.match(stderr, /a\.jpg: skipped, cannot read it: not a regular file/);
    assert.match(stderr, /b\.jpg: skipped, cannot read it: not a regular file/);
    await until('the real JPEG on the wire', () => (datagrams > 0 ? true : undefined));
  } finally {
    socket.close();
  }
});

test('udpcam area --out refuses a symlink, a device or a FIFO, and leaves it as it was', async () => {
  const target = path.join(dir, 'real.json');
  await writeFile(target, JSON.stringify(EXISTING_AREA));
  const link = path.join(dir, 'link.json');
  await symlink(target, link);
  const fifo = path.join(dir, 'area.fifo');
  execFileSync('mkfifo', [fifo]);
  const points = ['--points', '10,10 100,10 100,100 10,100', '--source', 'test', '--size', '160x120'];
  for (const [out, kind] of [
    [link, /a symlink/],
    ['/dev/null', /a device, FIFO or socket/],
    [fifo, /a device, FIFO or socket/],
    [dir, /a folder/],
  ] as const) {
    const { code, stderr } = await runCli(['area', '--out', out, ...points], 15_000);
    assert.equal(code, 1, `${out}: ${stderr}`);
    assertOneLine(stderr, /is not a regular file/);
    assert.match(stderr, kind);
  }
  assert.ok((await stat('/dev/null')).isCharacterDevice());
  assert.equal(await readFile(target, 'utf8'), JSON.stringify(EXISTING_AREA));
  // A regular file is still written.
  const { code } = await runCli(['area', '--out', target, ...points], 15_000);
  assert.equal(code, 0);
});

test("--out '' is refused instead of writing into the current folder", async () => {
  const { code, stderr } = await runCli(['receive', '--port', '0', '--out', '']);
  assert.equal(code, 2);
  assertOneLine(stderr, /expected a folder, got an empty path/);
});
