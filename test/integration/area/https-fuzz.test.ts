/**
 * Fuzz over HTTPS (issue 11's last part): `udpcam area --tls-cert --tls-key`, with a certificate
 * made here by openssl. Hostile bytes at the TLS layer (see test/helpers/tls.ts: random bytes, a
 * real ClientHello cut short or with garbage before, inside or after it, garbage inside an
 * established session, plain HTTP to the HTTPS port), each connection closed by the tool; 20
 * handshakes left hanging while a real client is served; then 300 random and malformed requests
 * inside TLS sessions. The tool must survive, answer every request without a 5xx, write nothing,
 * and serve a verifying HTTPS client between and after. Seeded (FUZZ_SEED), bounded in count.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { startArea } from '../../helpers/area.js';
import { AREA_PATHS } from '../../helpers/http-fuzz.js';
import { fuzzHttps, httpsGet, makeCertificate, OPENSSL_MISSING } from '../../helpers/tls.js';

test('the area tool over HTTPS survives TLS garbage and 300 random requests, and keeps serving', {
  skip: OPENSSL_MISSING,
}, async (t) => {
  const dir = await mkdtemp(path.join(tmpdir(), 'udpcam-area-https-fuzz-'));
  const { certFile, keyFile, cert } = await makeCertificate(dir);
  const out = path.join(dir, 'capture_area.json');
  const { cli, url } = await startArea([
    '--source',
    'test',
    '--size',
    '160x120',
    '--out',
    out,
    '--tls-cert',
    certFile,
    '--tls-key',
    keyFile,
  ]);
  const alive = () => assert.equal(cli.child.exitCode, null, `the tool exited: ${cli.stderr.join('\n')}`);
  const serves = async () => {
    assert.equal((await httpsGet(`${url}api/area`, cert)).status, 200, 'a verifying HTTPS client is served');
  };
  try {
    assert.match(url, /^https:\/\//);
    await fuzzHttps(t, Number(new URL(url).port), cert, AREA_PATHS, alive, serves);
    await serves();
    assert.equal(existsSync(out), false, 'nothing was saved');
  } finally {
    await cli.stop('SIGKILL');
    await rm(dir, { recursive: true, force: true });
  }
});
