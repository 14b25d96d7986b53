/**
 * Protected streams with real processes on loopback: `udpcam keygen`, `udpcam send --key` and
 * `udpcam receive --key`. Frames arrive byte-identical, nothing of the JPEG is on the wire in
 * clear, a receiver without the key says so once, two keys let senders be switched one by one,
 * and the key never shows in output, /api or /metrics.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
  chunkFrame,
  DatagramOpener,
  FrameAssembler,
  looksProtected,
  parityCount,
  parityDatagrams,
  parseKeyFile,
  SECURE_OVERHEAD_BYTES,
} from '@udpcam/protocol';
import { PATIENT_REASSEMBLY, runCli, startCli, startDiskReceiver, startReceiver } from '../../helpers/cli.js';
import { request } from '../../helpers/http.js';
import { CapturingRelay, writeFrameFolder, writeKeyFile } from '../../helpers/secure.js';

const FRAMES = 12;
const PACKET_SIZE = 1000;
/** `udpcam send`'s default --fec: each frame's chunks are followed by parity datagrams. */
const FEC = 0.1;

/** `udpcam send` of the folder's files byte for byte (--no-meta) to 127.0.0.1:port. */
function sendArgs(dir: string, port: number, extra: string[] = []): string[] {
  return [
    'send',
    '--source',
    `dir:${dir}`,
    '--no-meta',
    '--ip',
    '127.0.0.1',
    '--port',
    String(port),
    // As fast as the loopback takes 12 small frames: only their bytes are checked, not their pace.
    '--fps',
    '100',
    '--frames',
    String(FRAMES),
    '--packet_size',
    String(PACKET_SIZE),
    '--status-interval',
    '3600',
    ...extra,
  ];
}

/** The .jpg files of every camera folder under `dir`, per camera, in arrival order. */
async function written(dir: string): Promise<Map<string, Buffer[]>> {
  const result = new Map<string, Buffer[]>();
  for (const camera of await readdir(dir)) {
    const names = (await readdir(path.join(dir, camera))).filter((n) => n.endsWith('.jpg')).sort();
    result.set(camera, await Promise.all(names.map((n) => readFile(path.join(dir, camera, n)))));
  }
  return result;
}

describe('protected send → receive', () => {
  let work: string;
  let frames: Buffer[];
  let framesDir: string;
  let key: Awaited<ReturnType<typeof writeKeyFile>>;

  before(async () => {
    work = await mkdtemp(path.join(tmpdir(), 'udpcam-secure-'));
    framesDir = path.join(work, 'frames');
    frames = await writeFrameFolder(framesDir, FRAMES);
    key = await writeKeyFile(path.join(work, 'cam.key'));
  });

  after(async () => {
    await rm(work, { recursive: true, force: true });
  });

  test('udpcam keygen writes a key file both ends accept; --out makes it mode 600 and never overwrites', async () => {
    const printed = await runCli(['keygen']);
    assert.equal(printed.code, 0, printed.stderr);
    const [fromStdout] = parseKeyFile(printed.stdout, 'stdout');
    assert.ok(fromStdout);
    assert.match(printed.stdout, /^# .*scp/m, 'says how to copy it');
    const file = path.join(work, 'new.key');
    assert.equal((await runCli(['keygen', '--out', file])).code, 0);
    assert.equal((await stat(file)).mode & 0o777, 0o600);
    const again = await runCli(['keygen', '--out', file]);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /exists.*UDPCAM_ERR_KEY/);
    assert.notEqual(parseKeyFile(await readFile(file, 'utf8'), file)[0]!.id, fromStdout.id);
  });

  test('every frame arrives byte-identical, in order; the key shows nowhere', async () => {
    const out = path.join(work, 'out-ok');
    const { cli: receiver, port } = await startDiskReceiver(out, ['--key', key.file, '--http', '0']);
    try {
      const page = await receiver.waitFor(/live page (http:\/\/\S+)/);
      const sent = await runCli(sendArgs(framesDir, port, ['--key', key.file, '--json']));
      assert.equal(sent.code, 0, sent.stderr);
      await receiver.waitFor(new RegExp(`"frames":${FRAMES}[,}]`));
      const base = page[1]!;
      const shown = [
        sent.stdout,
        sent.stderr,
        (await request(`${base}api/cameras`)).body.toString(),
        (await request(`${base}api/receiver`)).body.toString(),
        (await request(`${base}metrics`)).body.toString(),
      ];
      const api = JSON.parse(shown[3]!) as {
        security: { protected: boolean; keyIds: string[]; opened: number };
      };
      assert.equal(api.security.protected, true);
      assert.deepEqual(api.security.keyIds, [key.key.idHex]);
      assert.equal(await receiver.stop('SIGINT'), 0);
      shown.push(receiver.stdout.join('\n'), receiver.stderr.join('\n'));
      for (const text of shown) assert.ok(!text.toLowerCase().includes(key.hex), 'the key is never shown');

      const cameras = await written(out);
      assert.equal(cameras.size, 1);
      const got = [...cameras.values()][0]!;
      assert.equal(got.length, FRAMES);
      for (const [i, bytes] of got.entries())
        assert.ok(bytes.equals(frames[i]!), `frame ${i} differs from the file sent`);
    } finally {
      await receiver.stop('SIGKILL');
    }
  });

  test('on the wire every datagram is protected and holds no plaintext; without --key it is the plain format, byte for byte', async () => {
    const relay = await CapturingRelay.open();
    try {
      const sealedRun = await runCli(sendArgs(framesDir, relay.port, ['--key', key.file]));
      assert.equal(sealedRun.code, 0, sealedRun.stderr);
      const sealed = relay.datagrams.splice(0);
      const plainRun = await runCli(sendArgs(framesDir, relay.port));
      assert.equal(plainRun.code, 0, plainRun.stderr);
      const plain = relay.datagrams.splice(0);

      const expected = frames.flatMap((frame, i) => {
        const chunks = chunkFrame(frame, i % 100, PACKET_SIZE);
        const parity = parityDatagrams(chunks, i % 100, frame.length, parityCount(chunks.length, FEC));
        return [...chunks, ...parity].map((d) => Buffer.concat(d));
      });
      assert.deepEqual(plain, expected, 'without --key: exactly the unprotected format');

      assert.equal(sealed.length, expected.length);
      const opener = new DatagramOpener([key.key]);
      const assembler = new FrameAssembler();
      const out: Buffer[] = [];
      sealed.forEach((datagram, i) => {
        assert.ok(looksProtected(datagram), `datagram ${i} is protected`);
        assert.equal(datagram.length, expected[i]!.length + SECURE_OVERHEAD_BYTES);
        // A 16-byte slice of the JPEG would show through if anything were in clear.
        const probe = expected[i]!.subarray(5, 21);
        if (probe.length === 16) assert.equal(datagram.indexOf(probe), -1, `datagram ${i} carries plaintext`);
        const opened = opener.open(Buffer.from(datagram));
        assert.ok(Buffer.isBuffer(opened), `datagram ${i} opens with the key`);
        assert.ok(opened.equals(expected[i]!), `datagram ${i} opens to the plain datagram`);
        const frame = assembler.push(opened, 'relay', i);
        if (frame) out.push(frame.data);
      });
      assert.deepEqual(out, frames);
    } finally {
      await relay.close();
    }
  });

  test('OpenSSL, libsodium and the node:crypto fallback interoperate: each end may use any, frames byte-identical', async () => {
    // UDPCAM_AEAD=libsodium or node-crypto makes a process skip the faster backends, which load here.
    const envs = [{}, { UDPCAM_AEAD: 'libsodium' }, { UDPCAM_AEAD: 'node-crypto' }];
    const names = ['openssl', 'libsodium', 'node:crypto'];
    const outs = names.map((name) => path.join(work, `out-${name.replace(':', '-')}-receiver`));
    const receivers = envs.map((env, i) =>
      startCli(
        [
          'receive',
          '--port',
          '0',
          ...PATIENT_REASSEMBLY,
          '--bind',
          '127.0.0.1',
          '--key',
          key.file,
          '--out',
          outs[i]!,
          '--json',
          '--status-interval',
          '0.2',
        ],
        env,
      ),
    );
    try {
      const announced = await Promise.all(
        receivers.map((r) =>
          r.waitFor(/receiving on udp .*:(\d+).*ChaCha20-Poly1305 by ([^,)]+)(, opened as received)?\)/),
        ),
      );
      assert.deepEqual(
        announced.map((m) => m[2]),
        names,
      );
      // OpenSSL's receiver opens each datagram in C as recvmmsg delivers it (opener.c).
      assert.deepEqual(
        announced.map((m) => m[3] !== undefined),
        names.map((name) => name === 'openssl'),
      );
      // Receiver i gets its frames from a sender on the next backend: every pair of unlike ends.
      for (const [i, port] of announced.map((m) => Number(m[1])).entries()) {
        const next = (i + 1) % envs.length;
        const sender = startCli(sendArgs(framesDir, port, ['--key', key.file]), envs[next]);
        const started = await sender.waitFor(/protected with key \S+ \(ChaCha20-Poly1305 by ([^)]+)\)/);
        assert.equal(started[1], names[next]);
        assert.equal(await sender.exited, 0, sender.stderr.join('\n'));
      }
      for (const [i, receiver] of receivers.entries()) {
        await receiver.waitFor(new RegExp(`"frames":${FRAMES}[,}]`));
        assert.equal(await receiver.stop('SIGINT'), 0);
        const [got] = [...(await written(outs[i]!)).values()];
        assert.deepEqual(got, frames);
      }
    } finally {
      for (const receiver of receivers) await receiver.stop('SIGKILL');
    }
  });

  test('--config FILE: the "key" of a send and of a receive config file is the key used', async () => {
    const newKey = await writeKeyFile(path.join(work, 'config-new.key'));
    const out = path.join(work, 'out-config');
    const receiveConfig = path.join(work, 'receive-key.json');
    const sendConfig = path.join(work, 'send-key.json');
    // The receiver's "key" as a list of two (rotation), the sender's as one path.
    await writeFile(
      receiveConfig,
      JSON.stringify({
        bind: '127.0.0.1',
        key: [key.file, newKey.file],
        out,
        json: true,
        'status-interval': 0.2,
      }),
    );
    const receiver = startCli(['receive', '--port', '0', ...PATIENT_REASSEMBLY, '--config', receiveConfig]);
    try {
      const started = await receiver.waitFor(/receiving on udp .*:(\d+).*protected \(key (\S+), key (\S+);/);
      assert.deepEqual([started[2], started[3]], [key.key.idHex, newKey.key.idHex]);
      await writeFile(sendConfig, JSON.stringify({ key: newKey.file }));
      const sent = await runCli(sendArgs(framesDir, Number(started[1]), ['--config', sendConfig]));
      assert.equal(sent.code, 0, sent.stderr);
      assert.match(sent.stdout + sent.stderr, new RegExp(`protected with key ${newKey.key.idHex} `));
      await receiver.waitFor(new RegExp(`"frames":${FRAMES}[,}]`));
      assert.equal(await receiver.stop('SIGINT'), 0);
      const [got] = [...(await written(out)).values()];
      assert.deepEqual(got, frames, "sealed with the config file's key, opened with the config file's keys");
    } finally {
      await receiver.stop('SIGKILL');
    }
  });

  test('a receiver without --key says once "encrypted stream from …: pass --key" and makes no frame', async () => {
    const out = path.join(work, 'out-keyless');
    const { cli: receiver, port } = await startDiskReceiver(out);
    try {
      assert.equal((await runCli(sendArgs(framesDir, port, ['--key', key.file]))).code, 0);
      assert.equal(
        (await runCli(sendArgs(framesDir, port, ['--key', key.file]))).code,
        0,
        'a second run, from a new port',
      );
      await receiver.waitFor(/"encrypted":(\d{3,})/);
      assert.equal(await receiver.stop('SIGINT'), 0);
      const lines = [...receiver.stdout, ...receiver.stderr].filter((l) =>
        l.includes('encrypted stream from'),
      );
      assert.equal(lines.length, 1, lines.join('\n'));
      assert.match(lines[0]!, /encrypted stream from 127\.0\.0\.1:\d+: pass --key/);
      const last = JSON.parse(receiver.stdout.at(-1)!) as {
        frames: number;
        malformed: number;
        security: { encrypted: number };
      };
      assert.equal(last.frames, 0);
      assert.equal(last.malformed, 0, 'not counted as garbage');
      assert.ok(last.security.encrypted >= 2 * FRAMES * 2);
      assert.equal((await written(out)).size, 0);
    } finally {
      await receiver.stop('SIGKILL');
    }
  });

  test('rotation: a receiver with the old and the new key takes senders on either; the new key alone refuses the old', async () => {
    const newKey = await writeKeyFile(path.join(work, 'new-rotation.key'));
    const both = path.join(work, 'out-both');
    const { cli: receiver, port } = await startDiskReceiver(both, ['--key', key.file, '--key', newKey.file]);
    const onlyNew = await startReceiver([
      '--bind',
      '127.0.0.1',
      '--key',
      newKey.file,
      '--json',
      '--status-interval',
      '0.2',
    ]);
    try {
      for (const file of [key.file, newKey.file]) {
        assert.equal((await runCli(sendArgs(framesDir, port, ['--key', file]))).code, 0);
        assert.equal((await runCli(sendArgs(framesDir, onlyNew.port, ['--key', file]))).code, 0);
      }
      await receiver.waitFor(new RegExp(`"frames":${2 * FRAMES}[,}]`));
      await onlyNew.cli.waitFor(new RegExp(`"frames":${FRAMES}[,}].*"unknownKey":[1-9]`));
      assert.equal(await receiver.stop('SIGINT'), 0);
      // Two runs from 127.0.0.1, one after the other: one camera continued (docs/protocol.md#identity)
      // or two, as the second run's timing has it; every frame of both came through either way.
      const cameras = [...(await written(both)).values()];
      assert.equal(cameras.flat().length, 2 * FRAMES);
      for (const got of cameras) {
        for (const [i, bytes] of got.entries()) assert.ok(bytes.equals(frames[i % FRAMES]!));
      }
    } finally {
      await receiver.stop('SIGKILL');
      await onlyNew.cli.stop('SIGKILL');
    }
  });

  test('key file mistakes: one line each', async () => {
    const bad = path.join(work, 'bad.key');
    await import('node:fs/promises').then((fs) => fs.writeFile(bad, 'not a key\n', { mode: 0o600 }));
    const missing = await runCli(['receive', '--port', '0', '--key', path.join(work, 'none.key')]);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /^udpcam: cannot read key file .*none\.key \(ENOENT\) \(UDPCAM_ERR_KEY\)$/);
    const garbled = await runCli(['send', '--frames', '1', '--key', bad]);
    assert.equal(garbled.code, 1);
    assert.match(garbled.stderr, /bad\.key line 1: expected "udpcam-key-v1 <64 hex digits>".*UDPCAM_ERR_KEY/);
    const open = path.join(work, 'open.key');
    await import('node:fs/promises').then(async (fs) => {
      await fs.writeFile(open, await readFile(key.file));
      await fs.chmod(open, 0o644);
    });
    const relay = await CapturingRelay.open();
    try {
      const warned = await runCli([
        'send',
        '--port',
        String(relay.port),
        '--frames',
        '1',
        '--size',
        '160x120',
        '--key',
        open,
      ]);
      assert.equal(warned.code, 0, warned.stderr);
      assert.match(
        warned.stderr,
        /warning: key file .*open\.key is readable by other users \(mode 644\): chmod 600/,
      );
      assert.ok(!warned.stderr.includes(key.hex));
    } finally {
      await relay.close();
    }
  });
});
