/** Camera names from --cameras FILE (validated with ajv against @udpcam/cli/schemas/cameras.schema.json) and --name. */
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { chunkFrame, ImageIdCycle } from '@udpcam/protocol';
import { REPO_ROOT, runCli, startCli } from '../../helpers/cli.js';
import { makeJpeg } from '../../helpers/frames.js';
import { startHttpReceiver } from '../../helpers/http.js';

let dir: string;
before(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'udpcam-config-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function configFile(name: string, text: string): Promise<string> {
  const file = path.join(dir, name);
  await writeFile(file, text);
  return file;
}

test('config errors name the file and the field, in one line, exit 1', async () => {
  const cases: [string, string, RegExp][] = [
    ['broken.json', '{"cameras": [', /broken\.json is not valid JSON/],
    ['extra.json', '{"cameras": [], "colour": "red"}', /extra\.json: \(top level\): unknown field "colour"/],
    [
      'missing.json',
      '{"cameras": [{"sender": "10.0.0.5:5000"}]}',
      /missing\.json: cameras\.0: missing field "name"/,
    ],
    [
      'badname.json',
      '{"cameras": [{"sender": "10.0.0.5:5000", "name": "front door"}]}',
      /badname\.json: cameras\.0\.name: "front door" does not match/,
    ],
    [
      'dupe.json',
      '{"cameras": [{"sender": "10.0.0.5:5000", "name": "a"}, {"sender": "10.0.0.6:5000", "name": "a"}]}',
      /camera name "a" is given to both/,
    ],
  ];
  for (const [name, text, pattern] of cases) {
    const file = await configFile(name, text);
    const { code, stderr } = await runCli(['receive', '--port', '0', '--cameras', file]);
    assert.equal(code, 1, stderr);
    assert.equal(stderr.split('\n').filter((l) => l.trim()).length, 1, stderr);
    assert.match(stderr, pattern);
    assert.match(stderr, /UDPCAM_ERR_CONFIG/);
    assert.doesNotMatch(stderr, /^\s+at /m);
  }
  const { code, stderr } = await runCli(['receive', '--port', '0', '--cameras', path.join(dir, 'nope.json')]);
  assert.equal(code, 1);
  assert.match(stderr, /cannot read .*nope\.json \(ENOENT\)/);
});

test('the example config in configs/ is valid', async () => {
  const cli = startCli([
    'receive',
    '--port',
    '0',
    '--bind',
    '127.0.0.1',
    '--cameras',
    `${REPO_ROOT}configs/cameras.example.json`,
  ]);
  await cli.waitFor(/receiving on udp/);
  assert.equal(await cli.stop(), 0);
});

test('a named camera is known by its name on disk and over HTTP', async () => {
  const socket = dgram.createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  const senderPort = socket.address().port;
  const file = await configFile(
    'names.json',
    JSON.stringify({ cameras: [{ sender: `127.0.0.1:${senderPort}`, name: 'door' }] }),
  );
  const out = path.join(dir, 'frames');
  const {
    cli,
    udpPort: port,
    base: url,
  } = await startHttpReceiver(['--cameras', file, '--out', out, '--status-interval', '0.2', '--json']);
  try {
    const ids = new ImageIdCycle();
    for (let i = 0; i < 3; i++) {
      // A frame's datagrams go to the kernel at once: no gap inside a frame from this process.
      await Promise.all(
        chunkFrame(makeJpeg(64, 48, i), ids.next(), 500).map(
          ([header, payload]) =>
            new Promise<void>((resolve) =>
              socket.send([header, payload], port, '127.0.0.1', () => resolve()),
            ),
        ),
      );
    }
    await cli.waitFor(/"frames":3[,}]/, 30_000);
    const cameras = (await (await fetch(`${url}api/cameras`)).json()) as {
      id: string;
      name: string | null;
    }[];
    assert.deepEqual(
      cameras.map((c) => [c.id, c.name]),
      [['door', 'door']],
    );
    assert.equal((await fetch(`${url}cameras/door/snapshot.jpg`)).status, 200);
    assert.equal(await cli.stop(), 0);
    assert.deepEqual(await readdir(out), ['door']);
    assert.equal((await readdir(path.join(out, 'door'))).length, 3);
  } finally {
    socket.close();
    await cli.stop();
  }
});
