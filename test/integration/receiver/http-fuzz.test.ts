/**
 * Fuzz (issue 11): random and malformed methods, request targets and headers against `udpcam
 * receive --http`, without and with --auth, over real sockets. The process must survive every
 * one and keep answering a well-formed request; no request may earn a 5xx.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { basic, request, startHttpReceiver } from '../../helpers/http.js';
import { fuzzServer, receiverPaths } from '../../helpers/http-fuzz.js';
import { TaggedFrames, TestCamera } from '../../helpers/test-camera.js';

for (const auth of [[], ['--auth', 'u:p']]) {
  test(`the receiver ${auth.length ? 'with --auth ' : ''}survives 300 random requests and answers each`, async (t) => {
    const { cli, base, udpPort } = await startHttpReceiver(auth);
    const camera = await TestCamera.open(udpPort);
    try {
      await camera.send(new TaggedFrames(4000).frame(0));
      const port = Number(new URL(base).port);
      const statuses = await fuzzServer(port, receiverPaths(auth.length > 0), 300, async () => {
        assert.equal(cli.child.exitCode, null, `the receiver exited: ${cli.stderr.join('\n')}`);
      });
      t.diagnostic(`statuses: ${JSON.stringify([...statuses].sort())}`);
      const answer = await request(`${base}api/cameras`, { headers: { authorization: basic('u', 'p') } });
      // With --auth, the fuzz's wrong credentials may have slowed this address down (429): still an answer.
      assert.ok(answer.status === 200 || (auth.length > 0 && answer.status === 429), String(answer.status));
      assert.equal(cli.child.exitCode, null);
    } finally {
      await camera.close();
      await cli.stop('SIGKILL');
    }
  });
}
