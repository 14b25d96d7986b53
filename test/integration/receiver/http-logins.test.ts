/**
 * Failed logins against `udpcam receive --http` (issue 11, findings 9 and 10): a burst of wrong
 * passwords from one address ends in 429 with Retry-After, is logged in few lines, and empty
 * secrets are refused up front.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runCli } from '../../helpers/cli.js';
import { basic, request, startHttpReceiver } from '../../helpers/http.js';

test('a burst of wrong passwords is slowed down (429, Retry-After) and logged without flooding', async () => {
  const { cli, base } = await startHttpReceiver(['--auth', 'user:right-password']);
  try {
    const statuses: number[] = [];
    let limited: Awaited<ReturnType<typeof request>> | undefined;
    // Blocks double from 1 s after 10 free failures, so a 429 comes within a few tries whatever the machine's speed.
    for (let i = 0; i < 40 && limited === undefined; i++) {
      const answer = await request(`${base}api/cameras`, {
        headers: { authorization: basic('user', `guess${i}`) },
      });
      statuses.push(answer.status);
      if (answer.status === 429) limited = answer;
    }
    assert.ok(limited, `no 429 in ${statuses.join(',')}`);
    assert.ok(Number(limited.headers['retry-after']) >= 1);
    assert.deepEqual(statuses.slice(0, 10), Array(10).fill(401), 'ten free failures');
    const logged = cli.stderr.filter((line) => /failed HTTP login/.test(line));
    assert.ok(logged.length >= 1 && logged.length <= 2, `log lines: ${logged.join(' | ')}`);
    assert.match(logged[0]!, /1 failed HTTP login from 127\.0\.0\.1/);
  } finally {
    await cli.stop('SIGKILL');
  }
});

test('?token= on the page is swapped for an HttpOnly SameSite=Strict cookie, which then lets the browser in', async () => {
  const { cli, base } = await startHttpReceiver(['--token', 'tok-7Qx']);
  try {
    const page = await request(`${base}?token=tok-7Qx&view=grid`);
    assert.equal(page.status, 303);
    assert.equal(page.headers.location, './?view=grid');
    const [cookie] = page.headers['set-cookie'] ?? [];
    assert.match(cookie ?? '', /^udpcam_session=[\w-]+; Path=\/; HttpOnly; SameSite=Strict$/);
    assert.doesNotMatch(cookie ?? '', /tok-7Qx/);
    const pair = cookie!.split(';')[0]!;
    assert.equal((await request(`${base}api/cameras`, { headers: { cookie: pair } })).status, 200);
    assert.equal(
      (await request(`${base}api/cameras`, { headers: { cookie: 'udpcam_session=forged' } })).status,
      401,
    );
  } finally {
    await cli.stop('SIGKILL');
  }
});

test('an empty or blank --token, or --auth with an empty password, exits 2 with one line', async () => {
  for (const args of [
    ['--token', ''],
    ['--token', ' '],
    ['--token', 'a b'],
    ['--auth', 'user:'],
    ['--auth', 'user: '],
  ]) {
    const { code, stderr } = await runCli(['receive', '--port', '0', '--http', '0', ...args]);
    assert.equal(code, 2, `${args.join(' ')}: ${stderr}`);
    assert.match(stderr, /expected/);
    assert.doesNotMatch(stderr, /^\s+at /m);
  }
});
