/**
 * Hostile request targets and Host headers against `udpcam receive --http` (issue 11, findings 1,
 * 6 and 16): each gets an answer (400 with a JSON reason, or 421 for a foreign Host), none is
 * routed past the path rules, and the receiver keeps running and receiving.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { CliProcess } from '../../helpers/cli.js';
import { basic, request, startHttpReceiver } from '../../helpers/http.js';
import { rawGet } from '../../helpers/raw-http.js';

const AUTH = basic('user', 'pass');

/** Targets that used to crash `new URL` (finding 1) or reach a route through `//host/…` or `/\…`. */
const BAD_TARGETS = [
  '//x:99999/',
  '//[/',
  '//a:b/',
  '//%/',
  '//256.256.256.256/',
  '//x/metrics',
  '//evil.example/api/cameras',
  '/\\x/metrics',
  'http://evil.example/api/cameras',
  'http://user:pw@127.0.0.1/api/cameras',
  '*',
  'api/cameras',
];

for (const host of ['127.0.0.1', '::1']) {
  describe(`bad request targets on ${host}, with --auth`, () => {
    let cli: CliProcess;
    let port: number;
    let base: string;

    before(async () => {
      ({ cli, base } = await startHttpReceiver(['--auth', 'user:pass', '--http-host', host]));
      port = Number(new URL(base).port);
    });
    after(() => cli.stop('SIGKILL'));

    test('each gets 400 with a JSON reason, before auth, and the receiver keeps running', async () => {
      for (const target of BAD_TARGETS) {
        for (const headers of [{}, { Authorization: AUTH }] as Record<string, string>[]) {
          const answer = await rawGet(port, target, headers, 'GET', host);
          assert.equal(answer.status, 400, `${target}: ${answer.status} ${answer.body}`);
          assert.equal(typeof JSON.parse(answer.body).error, 'string', target);
        }
      }
      assert.equal(cli.child.exitCode, null, 'the receiver is still running');
      const cameras = await request(`${base}api/cameras`, { headers: { authorization: AUTH } });
      assert.equal(cameras.status, 200);
    });

    test('absolute-form naming this server is routed as its path', async () => {
      const target = `http://${host.includes(':') ? `[${host}]` : host}:${port}/api/cameras`;
      const answer = await rawGet(port, target, { Authorization: AUTH }, 'GET', host);
      assert.equal(answer.status, 200, answer.body);
      assert.deepEqual(JSON.parse(answer.body), []);
    });
  });
}

describe('Host header and security headers', () => {
  let cli: CliProcess;
  let port: number;
  let base: string;

  before(async () => {
    ({ cli, base } = await startHttpReceiver(['--allow-host', 'cams.example']));
    port = Number(new URL(base).port);
  });
  after(() => cli.stop('SIGKILL'));

  test('a DNS name that is not loopback or --allow-host gets 421 (DNS rebinding)', async () => {
    for (const name of ['rebind.attacker.example', 'localhost.attacker.example', 'evil']) {
      const answer = await rawGet(port, '/api/cameras', { Host: `${name}:${port}` });
      assert.equal(answer.status, 421, `${name}: ${answer.body}`);
      assert.match(JSON.parse(answer.body).error, /does not answer to host/);
    }
    for (const name of ['localhost', 'cams.example', '127.0.0.1', '[::1]', '192.168.1.20']) {
      const answer = await rawGet(port, '/api/cameras', { Host: `${name}:${port}` });
      assert.equal(answer.status, 200, `${name}: ${answer.body}`);
    }
    const malformed = await rawGet(port, '/api/cameras', { Host: 'a b' });
    assert.equal(malformed.status, 400);
  });

  test('pages, JSON and errors carry nosniff, no framing and a CSP', async () => {
    for (const path of ['', 'app.js', 'api/cameras', 'nothing-here', 'metrics']) {
      const answer = await request(base + path);
      assert.equal(answer.headers['x-content-type-options'], 'nosniff', path);
      assert.equal(answer.headers['x-frame-options'], 'DENY', path);
      assert.match(String(answer.headers['content-security-policy']), /frame-ancestors 'none'/, path);
    }
  });
});
