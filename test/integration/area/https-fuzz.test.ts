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
import { fuzzServer } from '../../helpers/http-fuzz.js';
import { rawTlsRequest } from '../../helpers/raw-http.js';
import {
  fuzzTlsPort,
  httpsGet,
  makeCertificate,
  OPENSSL_MISSING,
  stallHandshakes,
} from '../../helpers/tls.js';

// No /api/quit and no ?after= (a legitimate wait of up to 10 s): the fuzz is about malformed input.
const PATHS = ['/', '/index.html', '/app.js', '/style.css', '/api/area', '/frame.jpg', '/preview.jpg'];

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
    const port = Number(new URL(url).port);

    const kinds = await fuzzTlsPort(port, cert, 150, alive, serves);
    t.diagnostic(`TLS garbage: ${JSON.stringify([...kinds].sort())}`);
    assert.equal(
      new Set([...kinds.keys()].map((key) => key.replace(/ \(.*\)$/, ''))).size,
      9,
      'every kind of garbage was sent',
    );

    const release = await stallHandshakes(port, 20);
    try {
      await serves();
    } finally {
      release();
    }

    const statuses = await fuzzServer(
      port,
      PATHS,
      300,
      async () => alive(),
      (p, raw) => rawTlsRequest(p, raw, cert),
    );
    t.diagnostic(`statuses: ${JSON.stringify([...statuses].sort())}`);
    await serves();
    assert.equal(existsSync(out), false, 'nothing was saved');
  } finally {
    await cli.stop('SIGKILL');
    await rm(dir, { recursive: true, force: true });
  }
});
