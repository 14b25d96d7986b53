/**
 * Every error reply of the receiver's HTTP server goes through one function (issue 12): JSON with
 * Content-Type, an exact Content-Length, no caching and the security headers — the 401 and 405
 * that were built by hand included — plus the header each status needs (WWW-Authenticate, Allow,
 * Retry-After).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { HttpServer, Receiver } from '@udpcam/receiver';
import { FakeClock } from '../../helpers/clock.js';
import { type HttpResponse, request } from '../../helpers/http.js';

function assertErrorReply(response: HttpResponse, status: number, what: string): void {
  assert.equal(response.status, status, `${what}: ${response.body.toString()}`);
  assert.match(String(response.headers['content-type']), /^application\/json; charset=utf-8$/, what);
  assert.equal(Number(response.headers['content-length']), response.body.length, `${what}: Content-Length`);
  assert.equal(response.headers['cache-control'], 'no-store', what);
  assert.equal(response.headers['x-content-type-options'], 'nosniff', what);
  assert.equal(response.headers['x-frame-options'], 'DENY', what);
  assert.match(String(response.headers['content-security-policy']), /frame-ancestors 'none'/, what);
  const body = response.json<{ error: unknown }>();
  assert.equal(typeof body.error, 'string', `${what} says why`);
}

test('401, 405, 404, 503 and 429 replies carry type, length, no-store and the security headers', async () => {
  const clock = new FakeClock();
  const receiver = await Receiver.open({ port: 0, host: '127.0.0.1' });
  const web = await HttpServer.listen(receiver, {
    port: 0,
    host: '127.0.0.1',
    auth: { token: 'secret-token' },
    loginThrottle: { freeFailures: 1, now: clock.now },
  });
  const base = web.url;
  const bearer = { Authorization: 'Bearer secret-token' };
  try {
    const denied = await request(`${base}api/cameras`);
    assertErrorReply(denied, 401, 'no credentials');
    assert.match(String(denied.headers['www-authenticate']), /^Bearer realm="udpcam"$/);

    const post = await request(`${base}api/cameras`, { method: 'POST', headers: bearer });
    assertErrorReply(post, 405, 'POST');
    assert.equal(post.headers.allow, 'GET, HEAD');

    assertErrorReply(await request(`${base}no/such/path`, { headers: bearer }), 404, 'unknown path');
    const unknown = await request(`${base}cameras/nobody/snapshot.jpg`, { headers: bearer });
    assertErrorReply(unknown, 404, 'unknown camera');
    assert.deepEqual(unknown.json<{ cameras: unknown }>().cameras, []);
    assertErrorReply(await request(`${base}snapshot.jpg`, { headers: bearer }), 503, 'no camera yet');

    // Two wrong tokens: past the one free failure, the address is slowed down.
    for (let i = 0; i < 2; i++)
      await request(`${base}api/cameras`, { headers: { Authorization: 'Bearer x' } });
    const slowed = await request(`${base}api/cameras`, { headers: bearer });
    assertErrorReply(slowed, 429, 'slowed down');
    assert.match(String(slowed.headers['retry-after']), /^\d+$/);
  } finally {
    await web.close();
    await receiver.close();
  }
});
