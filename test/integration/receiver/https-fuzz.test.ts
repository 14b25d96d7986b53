/**
 * Fuzz over HTTPS (issue 11's last part): `udpcam receive --http --tls-cert --tls-key`, without and
 * with --auth, with a certificate made here by openssl. First hostile bytes at the TLS layer
 * (tlsGarbage: random bytes, records of any type and length, a real ClientHello cut short or with
 * garbage before, inside or after it, garbage inside an established session, plain HTTP to the
 * HTTPS port), each connection closed by the server; then 20 handshakes left hanging while a real
 * client is served; then the same 300 random and malformed requests as http-fuzz.test.ts, inside
 * TLS sessions. The process must survive all of it, answer every request without a 5xx, and a
 * verifying HTTPS client must be served between and after. Seeded (FUZZ_SEED), bounded in count.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { basic, startHttpReceiver } from '../../helpers/http.js';
import { receiverPaths } from '../../helpers/http-fuzz.js';
import { TaggedFrames, TestCamera } from '../../helpers/test-camera.js';
import { fuzzHttps, httpsGet, makeCertificate, OPENSSL_MISSING } from '../../helpers/tls.js';

for (const auth of [[], ['--auth', 'u:p']]) {
  test(`the receiver over HTTPS ${auth.length ? 'with --auth ' : ''}survives TLS garbage and 300 random requests, and keeps serving`, {
    skip: OPENSSL_MISSING,
  }, async (t) => {
    const dir = await mkdtemp(path.join(tmpdir(), 'udpcam-https-fuzz-'));
    const { certFile, keyFile, cert } = await makeCertificate(dir);
    const { cli, base, udpPort } = await startHttpReceiver([
      ...auth,
      '--tls-cert',
      certFile,
      '--tls-key',
      keyFile,
    ]);
    const camera = await TestCamera.open(udpPort);
    const headers = { authorization: basic('u', 'p') };
    const alive = () =>
      assert.equal(cli.child.exitCode, null, `the receiver exited: ${cli.stderr.join('\n')}`);
    const serves = async () => {
      const answer = await httpsGet(`${base}api/cameras`, cert, headers);
      assert.equal(answer.status, 200, 'a verifying HTTPS client is served');
      assert.equal((JSON.parse(answer.body.toString()) as unknown[]).length, 1);
    };
    try {
      assert.match(base, /^https:\/\/127\.0\.0\.1:\d+\/$/);
      await camera.send(new TaggedFrames(4000).frame(0));
      await fuzzHttps(t, Number(new URL(base).port), cert, receiverPaths(auth.length > 0), alive, serves);
      const answer = await httpsGet(`${base}api/cameras`, cert, headers);
      // With --auth, the fuzz's wrong credentials may have slowed this address down (429): still an answer.
      assert.ok(answer.status === 200 || (auth.length > 0 && answer.status === 429), String(answer.status));
      alive();
    } finally {
      await camera.close();
      await cli.stop('SIGKILL');
      await rm(dir, { recursive: true, force: true });
    }
  });
}
