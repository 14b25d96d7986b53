/**
 * `udpcam receive --config FILE` and `udpcam send --config FILE` (issue 13): every flag from a JSON
 * file checked against @udpcam/cli's schemas/<command>.schema.json, command-line flags win, errors name the
 * file, the field and the value in one line; the shipped examples match their schemas.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { Ajv } from 'ajv';
import { REPO_ROOT, runCli, startCli } from '../../helpers/cli.js';

let dir: string;
before(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'udpcam-config-file-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function configFile(name: string, value: unknown): Promise<string> {
  const file = path.join(dir, name);
  await writeFile(file, typeof value === 'string' ? value : JSON.stringify(value));
  return file;
}

test('the examples in configs/ match their schemas', () => {
  const ajv = new Ajv({ allErrors: true, strict: true });
  const read = (...parts: string[]) =>
    JSON.parse(readFileSync(path.join(REPO_ROOT, ...parts), 'utf8')) as Record<string, unknown>;
  for (const name of ['send', 'receive', 'cameras']) {
    const validate = ajv.compile(read('packages/cli/schemas', `${name}.schema.json`));
    const example = read('configs', `${name}.example.json`);
    assert.ok(validate(example), `${name}: ${JSON.stringify(validate.errors)}`);
    // The example names its schema for editors, by a path that exists.
    assert.equal(example.$schema, `../packages/cli/schemas/${name}.schema.json`);
  }
});

test('receive and send from config files: their flags apply, command-line flags win', async () => {
  const out = path.join(dir, 'frames');
  const receiveConfig = await configFile('receive.json', {
    port: 0,
    out,
    json: true,
    'status-interval': 3600,
    http: 0,
    cameras: [{ sender: '127.0.0.1', name: 'porch' }],
    max_frames_in_flight: 8,
  });
  // --status-interval on the command line wins over the file's 3600.
  const receiver = startCli(['receive', '--config', receiveConfig, '--status-interval', '0.2']);
  try {
    const [, port] = (await receiver.waitFor(/receiving on udp .*:(\d+)/)) as RegExpMatchArray;
    await receiver.waitFor(/live page http/);
    await receiver.waitFor(/^\{"level":"status"/, 5000);

    const named = await configFile('send.json', {
      ip: '127.0.0.1',
      port: Number(port),
      size: '160x120',
      fps: 20,
      frames: 6,
      name: 'door',
      'status-interval': 3600,
    });
    // --frames 2 on the command line wins over the file's 6.
    const sent = await runCli(['send', '--config', named, '--frames', '2', '--json']);
    assert.equal(sent.code, 0, sent.stderr);
    const unnamed = await configFile('send-legacy.json', {
      port: Number(port),
      legacy: true,
      meta: false,
      frames: 3,
      size: '160x120',
    });
    const legacy = await runCli(['send', '--config', unnamed]);
    assert.equal(legacy.code, 0, legacy.stderr);
    await receiver.waitFor(/"frames":5[,}]/, 10_000);
  } finally {
    assert.equal(await receiver.stop('SIGINT'), 0);
  }
  const folders = (await readdir(out)).sort();
  assert.deepEqual(folders, ['door', 'porch'], 'named by the send config, and by the inline cameras list');
  assert.equal((await readdir(path.join(out, 'door'))).length, 2);
  assert.equal((await readdir(path.join(out, 'porch'))).length, 3);
});

test('config file errors name the file, the field and the value, in one line, exit 1', async () => {
  const cases: [string, string, unknown, RegExp][] = [
    [
      'receive',
      'r-port.json',
      { port: 70000 },
      /r-port\.json: port: port must be a whole number .* \(got 70000\)/,
    ],
    [
      'receive',
      'r-type.json',
      { 'max-clients': 'lots' },
      /r-type\.json: max-clients: must be integer \(got "lots"\)/,
    ],
    ['receive', 'r-extra.json', { colour: 'red' }, /r-extra\.json: \(top level\): unknown field "colour"/],
    ['receive', 'r-size.json', { out: dir, 'max-bytes': '12Q' }, /r-size\.json: max-bytes: .* \(got "12Q"\)/],
    [
      'receive',
      'r-camera.json',
      { cameras: [{ sender: '10.0.0.5', name: '..' }] },
      /r-camera\.json: .*cameras\.0\.name: "\.\." does not match/,
    ],
    ['receive', 'r-json.json', '{"port": ', /r-json\.json is not valid JSON/],
    [
      'send',
      's-codec.json',
      { codec: 'x' },
      /s-codec\.json: codec: "x" is not one of "auto", "sharp", "jpeg-js"/,
    ],
    ['send', 's-fps.json', { fps: 0 }, /s-fps\.json: fps: fps must be a number above 0.* \(got 0\)/],
    ['send', 's-name.json', { name: '.' }, /s-name\.json: name: .*not only dots.* \(got "\."\)/],
  ];
  for (const [command, name, value, pattern] of cases) {
    const file = await configFile(name, value);
    const { code, stderr } = await runCli([command, '--config', file]);
    assert.equal(code, 1, `${name}: ${stderr}`);
    const lines = stderr.split('\n').filter((line) => line.trim() !== '');
    assert.equal(lines.length, 1, `${name}: expected one line, got:\n${stderr}`);
    assert.match(lines[0]!, pattern);
    assert.doesNotMatch(stderr, /^\s+at /m);
  }
  const { code, stderr } = await runCli(['receive', '--config', path.join(dir, 'none.json')]);
  assert.equal(code, 1);
  assert.match(stderr, /cannot read .*none\.json \(ENOENT\)/);
});

test('every flag of send and receive (but --config and --help) is a field of its schema, and no more', async () => {
  for (const command of ['send', 'receive']) {
    const { code, stdout } = await runCli([command, '--help']);
    assert.equal(code, 0);
    // Option lines start two columns in; wrapped descriptions (which may mention a flag) further.
    const flags = [...stdout.matchAll(/^ {2}(?:-\w, )?--([a-z][a-z_-]*)/gm)]
      .map((match) => (match[1]!.startsWith('no-') ? match[1]!.slice(3) : match[1]!)) // --no-meta: "meta"
      .filter((flag) => flag !== 'config' && flag !== 'help');
    const schema = JSON.parse(
      readFileSync(path.join(REPO_ROOT, 'packages/cli/schemas', `${command}.schema.json`), 'utf8'),
    );
    assert.deepEqual(Object.keys(schema.properties).sort(), flags.sort(), command);
  }
});
