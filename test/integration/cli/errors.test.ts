/** User errors: one clear line, a non-zero exit, no stack trace. */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import dgram from 'node:dgram';
import { once } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { REPO_ROOT, runCli } from '../../helpers/cli.js';

function assertOneLine(stderr: string, pattern: RegExp): void {
  const lines = stderr.split('\n').filter((l) => l.trim() !== '');
  assert.equal(lines.length, 1, `expected one line, got:\n${stderr}`);
  assert.match(lines[0]!, pattern);
  assert.doesNotMatch(stderr, /^\s+at /m, 'no stack trace');
}

test('bad flag values exit 2 with one line', async () => {
  for (const [args, pattern] of [
    [['receive', '--port', 'abc'], /port must be a whole number from 0 to 65535/],
    [['receive', '--port', '70000'], /port must be a whole number/],
    [['receive', '--port', '5000', '--bogus'], /unknown option '--bogus'/],
    [['send', '--fps', '0'], /fps must be a number above 0/],
    [['send', '--packet_size', '8'], /packet_size must be a whole number from 16 to 65502/],
    [['send', '--packet-size', '70000'], /packet_size must be a whole number from 16 to 65502/],
    [['send', '--size', 'big'], /expected WIDTHxHEIGHT/],
    [['send', '--quality', '101'], /quality must be a whole number from 1 to 100/],
    [['demo', '--cameras', '99'], /cameras must be a whole number from 1 to 16/],
    [['receive', '--port', '5000', '--bind', 'not an address!'], /expected an IPv4 or IPv6 address/],
    [['receive', '--port', '5000', '--max_senders', '0'], /max_senders must be a whole number from 1/],
    [['receive', '--port', '5000', '--max-senders', 'x'], /max_senders must be a whole number/],
    [['nosuchcommand'], /unknown command 'nosuchcommand'/],
  ] as const) {
    const { code, stderr } = await runCli([...args]);
    assert.equal(code, 2, `${args.join(' ')}: ${stderr}`);
    assertOneLine(stderr, pattern);
  }
});

test('an unknown source exits 1 naming the sources there are', async () => {
  const { code, stderr } = await runCli(['send', '--source', 'nope', '--frames', '1']);
  assert.equal(code, 1);
  assertOneLine(stderr, /unknown source 'nope'; sources: test .*\(UDPCAM_ERR_SOURCE_SPEC\)/);
});

test('a port in use exits 1 naming the port and the code', async () => {
  const holder = dgram.createSocket('udp4');
  await new Promise<void>((resolve) => holder.bind(0, '127.0.0.1', resolve));
  const { port } = holder.address();
  try {
    const { code, stderr } = await runCli(['receive', '--port', String(port), '--bind', '127.0.0.1']);
    assert.equal(code, 1);
    assertOneLine(
      stderr,
      new RegExp(`127\\.0\\.0\\.1:${port}: already in use \\(EADDRINUSE\\) \\(UDPCAM_ERR_ADDRESS_IN_USE\\)`),
    );
  } finally {
    holder.close();
  }
});

test('an address not on this machine exits 1', async () => {
  // 192.0.2.0/24 is TEST-NET-1: never assigned, so binding it fails without sending anything.
  const { code, stderr } = await runCli(['receive', '--port', '0', '--bind', '192.0.2.1']);
  assert.equal(code, 1);
  assertOneLine(stderr, /192\.0\.2\.1.*UDPCAM_ERR_ADDRESS_NOT_AVAILABLE/);
});

test('an unwritable --out exits 1 before listening', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'udpcam-ro-'));
  try {
    // A path through a regular file, and one under /proc (where Node's own recursive mkdir spins).
    await writeFile(path.join(dir, 'file-not-dir'), '');
    for (const out of [path.join(dir, 'file-not-dir', 'x'), '/proc/udpcam-cannot-exist']) {
      const { code, stderr } = await runCli(['receive', '--port', '0', '--out', out]);
      assert.equal(code, 1, stderr);
      assertOneLine(
        stderr,
        /cannot write frames to .* \((ENOTDIR|ENOENT|EACCES|EPERM)\) \(UDPCAM_ERR_OUT_DIR\)/,
      );
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('the exit status comes from the error table: user and retryable errors exit 1, fatal ones (a bug) 70', async () => {
  // printFailure is what main() calls with the error a command ended with; run it in a real node.
  const output = new URL('../../../../packages/cli/dist/output.js', import.meta.url).href;
  for (const [code, status, pattern] of [
    ['UDPCAM_ERR_CONFIG', 1, /^udpcam: it failed \(UDPCAM_ERR_CONFIG\)$/],
    ['UDPCAM_ERR_SOURCE', 1, /^udpcam: it failed \(UDPCAM_ERR_SOURCE\)$/],
    ['UDPCAM_ERR_CLOSED', 70, /^udpcam: it failed \(UDPCAM_ERR_CLOSED\) — a bug: please report it$/],
  ] as const) {
    const script = `import { UdpcamError } from '@udpcam/protocol';
      import { printFailure } from '${output}';
      process.exitCode = printFailure(new UdpcamError('${code}', 'it failed'));`;
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], { cwd: REPO_ROOT });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (text: string) => {
      stderr += text;
    });
    const [exitCode] = (await once(child, 'close')) as [number];
    assert.equal(exitCode, status, stderr);
    assertOneLine(stderr, pattern);
  }
});
