/**
 * `udpcam receive --http` with --auth (HTTP Basic) and --token (bearer header or ?token=), and the
 * warning printed when the HTTP side listens beyond loopback with neither.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { CliProcess } from '../../helpers/cli.js';
import { basic, request, startHttpReceiver, until } from '../../helpers/http.js';
import { type MjpegPart, readMjpeg } from '../../helpers/mjpeg-reader.js';
import { frameIndex, TaggedFrames, TestCamera } from '../../helpers/test-camera.js';

const frames = new TaggedFrames(8000);

/** Every kind of resource the server has: each must be behind the same door. */
const PATHS = ['', 'api/cameras', 'metrics', 'snapshot.jpg', '?action=snapshot', 'app.js'];

/** Starts a receiver with `args` and a camera that has sent one frame. */
async function withCamera(args: string[]): Promise<{ cli: CliProcess; base: string; camera: TestCamera }> {
  const { cli, udpPort, base } = await startHttpReceiver(args);
  const camera = await TestCamera.open(udpPort);
  await camera.send(frames.frame(0));
  return { cli, base, camera };
}

describe('--auth user:password (HTTP Basic)', () => {
  let cli: CliProcess;
  let base: string;
  let camera: TestCamera;

  before(async () => {
    ({ cli, base, camera } = await withCamera(['--auth', 'viewer:s3cret:with:colons']));
  });

  after(async () => {
    await camera.close();
    await cli.stop('SIGKILL');
  });

  test('without credentials: 401 with a Basic challenge, for every resource', async () => {
    for (const path of PATHS) {
      const response = await request(base + path);
      assert.equal(response.status, 401, `/${path}`);
      assert.match(String(response.headers['www-authenticate']), /^Basic realm="udpcam"/, `/${path}`);
      assert.equal(response.body.includes(frames.frame(0)), false);
    }
  });

  test('with the right user and password: 200', async () => {
    const authorization = basic('viewer', 's3cret:with:colons');
    await until('the frame', async () =>
      (await request(`${base}snapshot.jpg`, { headers: { authorization } })).status === 200
        ? true
        : undefined,
    );
    for (const path of PATHS) {
      const response = await request(base + path, { headers: { authorization } });
      assert.equal(response.status, 200, `/${path}`);
    }
    const parts: MjpegPart[] = [];
    const stream = await readMjpeg(`${base}stream.mjpg`, (part) => parts.push(part), { authorization });
    try {
      assert.equal(stream.status, 200);
      await until('a part', () => (parts.length > 0 ? true : undefined));
      assert.equal(frameIndex(parts[0]!.body), 0);
    } finally {
      stream.close();
    }
  });

  test('a wrong password, a wrong user or a malformed header: 401', async () => {
    for (const authorization of [
      basic('viewer', 'wrong'),
      basic('viewer', 's3cret'),
      basic('admin', 's3cret:with:colons'),
      basic('viewer', 's3cret:with:colons '),
      'Basic',
      'Basic !!!',
      `Bearer ${Buffer.from('viewer:s3cret:with:colons').toString('base64')}`,
    ]) {
      const response = await request(`${base}snapshot.jpg`, { headers: { authorization } });
      assert.equal(response.status, 401, authorization);
    }
    const stream = await readMjpeg(`${base}stream.mjpg`, () => {}, {
      authorization: basic('viewer', 'nope'),
    });
    assert.equal(stream.status, 401);
    await stream.ended;
  });
});

describe('--token T (bearer)', () => {
  let cli: CliProcess;
  let base: string;
  let camera: TestCamera;
  const token = 'tok-3f9a_Z';

  before(async () => {
    ({ cli, base, camera } = await withCamera(['--token', token]));
  });

  after(async () => {
    await camera.close();
    await cli.stop('SIGKILL');
  });

  test('Authorization: Bearer T or ?token=T: 200', async () => {
    await until('the frame', async () =>
      (await request(`${base}snapshot.jpg?token=${token}`)).status === 200 ? true : undefined,
    );
    for (const path of PATHS) {
      const bearer = await request(base + path, { headers: { authorization: `Bearer ${token}` } });
      assert.equal(bearer.status, 200, `Bearer /${path}`);
      const query = await request(`${base}${path}${path.includes('?') ? '&' : '?'}token=${token}`);
      // The page itself trades ?token= for a session cookie (see http-logins.test.ts).
      assert.equal(query.status, path === '' ? 303 : 200, `?token= /${path}`);
    }
    const snapshot = await request(`${base}cameras/${camera.id}/snapshot.jpg?token=${token}`);
    assert.ok(snapshot.body.equals(frames.frame(0)));
  });

  test('no token, a wrong token, or the token as a password: 401 with a Bearer challenge', async () => {
    const cases: [string, Record<string, string>][] = [
      ['snapshot.jpg', {}],
      ['snapshot.jpg', { authorization: 'Bearer wrong' }],
      ['snapshot.jpg', { authorization: `Bearer ${token}x` }],
      ['snapshot.jpg', { authorization: basic('user', token) }],
      [`snapshot.jpg?token=${token.slice(0, -1)}`, {}],
      ['snapshot.jpg?token=', {}],
      ['stream.mjpg', {}],
    ];
    for (const [path, headers] of cases) {
      const response = await request(base + path, { headers });
      assert.equal(response.status, 401, `/${path} ${JSON.stringify(headers)}`);
    }
    // RFC 9110 §15.5.2: a 401 MUST carry a WWW-Authenticate challenge (RFC 6750 §3: Bearer).
    const response = await request(`${base}snapshot.jpg`);
    assert.match(String(response.headers['www-authenticate']), /^Bearer\b/);
  });
});

describe('the HTTP address', () => {
  const warning = /warning: HTTP is open on 0\.0\.0\.0 without --auth or --token/;

  test('beyond loopback without auth prints a warning; the server still answers on 127.0.0.1', async () => {
    const { cli, base } = await startHttpReceiver(['--http-host', '0.0.0.0']);
    try {
      assert.match(base, /^http:\/\/0\.0\.0\.0:\d+\/$/);
      const local = base.replace('0.0.0.0', '127.0.0.1');
      assert.equal((await request(`${local}api/cameras`)).status, 200);
      await cli.waitFor(warning, 30_000);
    } finally {
      await cli.stop('SIGKILL');
    }
  });

  test('beyond loopback with --token (and --insecure-http: no TLS), or on loopback, prints no warning', async () => {
    for (const args of [
      ['--http-host', '0.0.0.0', '--token', 'T', '--insecure-http'],
      ['--http-host', '::1'],
      [],
    ]) {
      const { cli, base } = await startHttpReceiver(args);
      try {
        const local = base.replace('0.0.0.0', '127.0.0.1');
        const headers: Record<string, string> = args.includes('--token') ? { authorization: 'Bearer T' } : {};
        assert.equal((await request(`${local}api/cameras`, { headers })).status, 200, args.join(' '));
        if (args.includes('::1')) assert.match(base, /^http:\/\/\[::1\]:\d+\/$/);
        // The warning, when there is one, comes before the "receiving on" line startHttpReceiver waited for.
        assert.equal(
          cli.stderr.some((line) => /warning: HTTP is open/.test(line)),
          false,
          cli.stderr.join('\n'),
        );
      } finally {
        await cli.stop('SIGKILL');
      }
    }
  });
});
