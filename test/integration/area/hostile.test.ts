/**
 * Hostile requests against `udpcam area` (issue 11, findings 1, 6, 13 and 16): bad request targets
 * get 400, a rebinding Host gets 421, a cross-site POST gets 403 — and the file is not written,
 * the tool does not quit.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { jpegSize } from '@udpcam/sender';
import { EXISTING_AREA, startArea } from '../../helpers/area.js';
import type { CliProcess } from '../../helpers/cli.js';
import { request } from '../../helpers/http.js';
import { rawGet, rawRequest } from '../../helpers/raw-http.js';

let dir: string;
let out: string;
let cli: CliProcess;
let url: string;
let port: number;
const ORIGINAL = JSON.stringify(EXISTING_AREA);

before(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'udpcam-area-hostile-'));
  out = path.join(dir, 'capture_area.json');
  await writeFile(out, ORIGINAL);
  ({ cli, url } = await startArea(['--source', 'test', '--size', '640x360', '--out', out]));
  port = Number(new URL(url).port);
});
after(async () => {
  await cli.stop('SIGKILL');
  await rm(dir, { recursive: true, force: true });
});

/** A raw POST with a JSON body. */
function post(target: string, body: unknown, headers: Record<string, string>) {
  const text = JSON.stringify(body);
  const lines = [
    `POST ${target} HTTP/1.1`,
    ...Object.entries({
      Host: `127.0.0.1:${port}`,
      'Content-Type': 'application/json',
      'Content-Length': String(Buffer.byteLength(text)),
      Connection: 'close',
      ...headers,
    }).map(([name, value]) => `${name}: ${value}`),
  ];
  return rawRequest(port, `${lines.join('\r\n')}\r\n\r\n${text}`);
}

const OTHER_AREA = {
  ...EXISTING_AREA,
  selected_rect: [
    [0, 0],
    [600, 0],
    [600, 340],
    [0, 340],
  ],
};

test('bad request targets get 400 and the tool keeps running', async () => {
  for (const target of [
    '//x:99999/',
    '//[/',
    '//a:b/',
    '//%/',
    '//x/api/area',
    '/\\x/api/area',
    'http://evil.example/api/area',
  ]) {
    const answer = await rawGet(port, target);
    assert.equal(answer.status, 400, `${target}: ${answer.status} ${answer.body}`);
    assert.equal(typeof JSON.parse(answer.body).error, 'string');
  }
  assert.equal((await request(`${url}api/area`)).status, 200);
});

test('DNS rebinding: a foreign Host cannot read, save or quit', async () => {
  const host = { Host: `rebind.attacker.example:${port}` };
  assert.equal((await rawGet(port, '/api/area', host)).status, 421);
  assert.equal((await post('/api/area', OTHER_AREA, host)).status, 421);
  assert.equal((await post('/api/quit', {}, host)).status, 421);
  assert.equal(await readFile(out, 'utf8'), ORIGINAL);
  assert.equal(cli.child.exitCode, null);
});

test('a cross-site POST (Origin elsewhere, or Sec-Fetch-Site: cross-site) gets 403', async () => {
  for (const headers of <Record<string, string>[]>[
    { Origin: 'http://evil.example' },
    { Origin: 'null' },
    { Origin: `http://localhost:${port + 1}` },
    { 'Sec-Fetch-Site': 'cross-site' },
  ]) {
    assert.equal((await post('/api/area', OTHER_AREA, headers)).status, 403, JSON.stringify(headers));
    assert.equal((await post('/api/quit', {}, headers)).status, 403, JSON.stringify(headers));
  }
  assert.equal(await readFile(out, 'utf8'), ORIGINAL);
  assert.equal(cli.child.exitCode, null);
  // The page's own origin still saves.
  const own = await post('/api/area', OTHER_AREA, {
    Origin: `http://127.0.0.1:${port}`,
    'Sec-Fetch-Site': 'same-origin',
  });
  assert.equal(own.status, 200, own.body);
  assert.deepEqual(JSON.parse(await readFile(out, 'utf8')).selected_rect, OTHER_AREA.selected_rect);
});

test('answers carry nosniff, no framing and a CSP', async () => {
  for (const p of ['', 'app.js', 'api/area', 'nothing']) {
    const answer = await request(url + p);
    assert.equal(answer.headers['x-content-type-options'], 'nosniff');
    assert.equal(answer.headers['x-frame-options'], 'DENY');
    assert.match(String(answer.headers['content-security-policy']), /frame-ancestors 'none'/);
  }
});

test('an 8192x8192 preview is rendered at 1280x1280, and the server keeps answering', async () => {
  const points = 'points=0,0;640,0;640,360;0,360';
  const [big, frame] = await Promise.all([
    request(`${url}preview.jpg?${points}&size=8192x8192`),
    request(`${url}frame.jpg`),
  ]);
  assert.equal(big.status, 200, big.body.toString());
  assert.equal(frame.status, 200);
  const { width, height } = jpegSize(big.body)!;
  assert.deepEqual([width, height], [1280, 1280]);
  const wide = await request(`${url}preview.jpg?${points}&size=8192x4096`);
  assert.deepEqual(Object.values(jpegSize(wide.body)!), [1280, 640]);
});
