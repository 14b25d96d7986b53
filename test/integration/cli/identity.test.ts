/**
 * Camera identity across restarts (issue 13), with real processes: `udpcam send` children into a
 * `udpcam receive --out DIR --http 0`. A sender restarting comes from a new ephemeral port; the
 * camera (id, folder, URLs, frame count) must continue. Waits are for events (frames on disk,
 * processes exiting); the one sleep only makes sure a killed sender has gone silent.
 */
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { once } from 'node:events';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { MIN_SILENCE_MS } from '#receiver/identity.js';
import { type CliProcess, runCli, startCli } from '../../helpers/cli.js';

interface Listed {
  id: string;
  name: string | null;
  frames: number;
}

/** A receiver writing to a fresh folder, with its HTTP API; `extra` adds flags. */
async function startReceiving(extra: string[] = []) {
  const dir = await mkdtemp(path.join(tmpdir(), 'udpcam-identity-'));
  const cli = startCli(['receive', '--port', '0', '--out', dir, '--http', '0', ...extra]);
  const [, port] = (await cli.waitFor(/receiving on udp .*:(\d+)/)) as RegExpMatchArray;
  const [, url] = (await cli.waitFor(/live page (http:\/\/\S+)/)) as RegExpMatchArray;
  const cameras = async () => (await (await fetch(`${url}api/cameras`)).json()) as Listed[];
  /** Resolves once the cameras listed have `total` frames between them. */
  const until = async (total: number) => {
    for (let i = 0; i < 600; i++) {
      const listed = await cameras();
      if (listed.reduce((sum, c) => sum + c.frames, 0) >= total) return listed;
      await sleep(50);
    }
    throw new Error(`fewer than ${total} frames arrived: ${JSON.stringify(await cameras())}`);
  };
  return { dir, cli, port: Number(port), cameras, until };
}

/** The .jpg files in `folder`, sorted, once there are `count` (written after they are counted). */
async function jpegsIn(folder: string, count: number): Promise<string[]> {
  for (let i = 0; ; i++) {
    const files = (await readdir(folder)).filter((f) => f.endsWith('.jpg') && !f.startsWith('.')).sort();
    if (files.length >= count || i === 200) return files;
    await sleep(25);
  }
}

function sendArgs(port: number, extra: string[]): string[] {
  return [
    'send',
    '--port',
    String(port),
    '--size',
    '160x120',
    '--fps',
    '10',
    '--status-interval',
    '3600',
    ...extra,
  ];
}

/**
 * Waits for `wait()`, then kills the running `sender` (SIGTERM: it ends after the frame going out)
 * and returns how many frames it sent in all, from its last status line (--json).
 */
async function sendUntil(sender: CliProcess, wait: () => Promise<unknown>): Promise<number> {
  await wait();
  assert.equal(await sender.stop('SIGTERM'), 0, sender.stderr.join('\n'));
  await new Promise((resolve) => setImmediate(resolve)); // readline's last lines
  return (JSON.parse(sender.stdout.at(-1)!) as { framesSent: number }).framesSent;
}

describe('camera identity across sender restarts', () => {
  let receiving: Awaited<ReturnType<typeof startReceiving>>;
  before(async () => {
    receiving = await startReceiving(['--name', '127.0.0.2=porch']);
  });
  after(async () => {
    assert.equal(await receiving.cli.stop('SIGINT'), 0);
    await rm(receiving.dir, { recursive: true, force: true });
  });

  test('send --name: killed and restarted (a new port), the same camera, folder and count go on', async () => {
    const { port, until, dir } = receiving;
    const sent = await sendUntil(startCli(sendArgs(port, ['--name', 'door', '--json'])), () => until(3));
    // Every frame it sent is in (loopback loses none), including any still in flight at the kill.
    const first = (await until(sent)).find((c) => c.id === 'door')!;
    assert.equal(first.frames, sent);
    assert.equal(first.name, 'door');
    // Restarted at once: the name alone says it is the same camera.
    const again = await runCli(sendArgs(port, ['--name', 'door', '--frames', '4']));
    assert.equal(again.code, 0, again.stderr);
    const listed = await until(first.frames + 4);
    const door = listed.filter((c) => c.id.startsWith('door'));
    assert.deepEqual(
      door.map((c) => c.id),
      ['door'],
    );
    assert.equal(door[0]!.frames, first.frames + 4);
    const files = await jpegsIn(path.join(dir, 'door'), first.frames + 4);
    assert.equal(files.length, first.frames + 4, 'one folder holds both runs');
    // Frame numbers in the file names continue: 1..n, no restart at 1.
    assert.deepEqual(
      files.map((f) => Number(/-(\d+)\.jpg$/.exec(f)![1])),
      files.map((_, i) => i + 1),
    );
  });

  test('the original framing, named by address (--name 127.0.0.2=porch): a restart continues the camera', async () => {
    const { port, until } = receiving;
    // --bind 127.0.0.2:0: from that address, a new ephemeral port each run (as a restart brings).
    const legacy = ['--ip', '127.0.0.1', '--legacy', '--no-meta', '--bind', '127.0.0.2:0'];
    const total = (await receiving.cameras()).reduce((sum, c) => sum + c.frames, 0);
    const sent = await sendUntil(startCli(sendArgs(port, [...legacy, '--json'])), () => until(total + 3));
    const porch = (await until(total + sent)).find((c) => c.id === 'porch');
    assert.ok(porch, 'the address is named porch');
    assert.equal(porch.name, 'porch');
    await sleep(MIN_SILENCE_MS + 500); // the killed sender has gone silent, as in a restart
    const second = await runCli([...sendArgs(port, legacy), '--frames', '3']);
    assert.equal(second.code, 0, second.stderr);
    const listed = await until(total + porch.frames + 3);
    const fromThere = listed.filter((c) => c.id === 'porch' || c.id.startsWith('127.0.0.2'));
    assert.deepEqual(
      fromThere.map((c) => c.id),
      ['porch'],
    );
    assert.equal(fromThere[0]!.frames, porch.frames + 3);
  });

  test('the original framing from two processes at once on one address: two cameras', async () => {
    const { port, until } = receiving;
    const before = await receiving.cameras();
    const total = before.reduce((sum, c) => sum + c.frames, 0);
    const legacy = ['--ip', '127.0.0.1', '--legacy', '--no-meta', '--fps', '10'];
    // A keeps sending (10 fps: never near a second of silence) while B starts, sends 8, ends.
    const a = startCli(sendArgs(port, [...legacy, '--json']));
    await until(total + 1);
    const b = await runCli(sendArgs(port, [...legacy, '--frames', '8']));
    assert.equal(b.code, 0, b.stderr);
    const aSent = await sendUntil(a, async () => {
      for (let i = 0; i < 600; i++) {
        const added = (await receiving.cameras()).filter((c) => !before.some((old) => old.id === c.id));
        if (added.some((c) => c.frames >= 8) && added.length === 2) return;
        await sleep(50);
      }
    });
    const listed = await until(total + aSent + 8);
    const added = listed.filter((c) => !before.some((old) => old.id === c.id));
    assert.equal(added.length, 2, JSON.stringify(listed));
    for (const camera of added) assert.match(camera.id, /^127\.0\.0\.1_\d+$/);
    assert.deepEqual(
      added.map((c) => c.frames).sort((x, y) => x - y),
      [8, aSent].sort((x, y) => x - y),
    );
  });
});

test('send --bind fixes the source port (the camera is ADDRESS_PORT); while it is taken, a warning and retries', async () => {
  const holder = dgram.createSocket('udp4');
  holder.bind(0, '127.0.0.1');
  await once(holder, 'listening');
  const taken = holder.address().port;
  const receiving = await startReceiving();
  try {
    const sender = startCli(
      sendArgs(receiving.port, ['--bind', `127.0.0.1:${taken}`, '--no-meta', '--frames', '2']),
    );
    // As a service restarting while the old process still holds the port: say so, and retry.
    await sender.waitFor(
      new RegExp(
        `cannot send from --bind 127\\.0\\.0\\.1:${taken}: already in use \\(EADDRINUSE\\); retrying in \\d+ ms`,
      ),
    );
    holder.close();
    assert.equal(await sender.exited, 0, sender.stderr.join('\n'));
    const listed = await receiving.until(2);
    assert.deepEqual(
      listed.map((c) => c.id),
      [`127.0.0.1_${taken}`],
      'the frames came from exactly that port',
    );
  } finally {
    try {
      holder.close();
    } catch {
      // already closed
    }
    assert.equal(await receiving.cli.stop('SIGINT'), 0);
    await rm(receiving.dir, { recursive: true, force: true });
  }
});

test('invalid or colliding names are one clear line', async () => {
  for (const [args, pattern] of [
    [['send', '--name', '..'], /option '--name <name>' argument '\.\.' is invalid.*not only dots/],
    [['send', '--name', 'a/b'], /argument 'a\/b' is invalid/],
    [['send', '--name', 'door', '--no-meta', '--frames', '1'], /--name travels in the frame metadata/],
    [['send', '--bind', 'nope:x'], /expected \[ADDRESS:\]PORT/],
    [
      ['receive', '--port', '0', '--name', '10.0.0.5=.'],
      /camera name "\.": a name of dots only would leave the output folder/,
    ],
    [
      ['receive', '--port', '0', '--name', '10.0.0.5=door', '--name', '10.0.0.6:5000=door'],
      /camera name "door" is given to both 10\.0\.0\.5 and 10\.0\.0\.6:5000/,
    ],
    [
      ['receive', '--port', '0', '--name', '10.0.0.6=10.0.0.5_5000'],
      /camera name "10\.0\.0\.5_5000": it looks like another sender's automatic id/,
    ],
    [
      ['receive', '--port', '0', '--name', 'cam.lan:5000=x', '--name', '10.0.0.6=cam.lan_5000'],
      /collides with the id of camera cam\.lan:5000/,
    ],
    [['send', '--name', '10.0.0.5_5000'], /looks like another sender's automatic id/],
  ] as const) {
    const { code, stderr } = await runCli([...args]);
    assert.ok(code === 1 || code === 2, `${args.join(' ')}: exit ${code}`);
    const lines = stderr.split('\n').filter((l) => l.trim() !== '');
    assert.equal(lines.length, 1, `${args.join(' ')}: expected one line, got:\n${stderr}`);
    assert.match(lines[0]!, pattern);
  }
});
