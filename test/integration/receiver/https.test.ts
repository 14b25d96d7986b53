/**
 * HTTPS with a real certificate made here by `openssl req -x509`: `udpcam receive --http
 * --tls-cert --tls-key --auth` serving a protected camera, read by Node's TLS client (verifying
 * the certificate), ffmpeg (MJPEG over https) and Chromium (the live page); `udpcam area` over
 * HTTPS; and auth refused over plain HTTP off loopback.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Browser } from 'playwright-core';
import { CHROMIUM_MISSING, launchChromium, naturalWidth, waitUntil } from '../../helpers/browser.js';
import { type CliProcess, runCli, startCli, startReceiver } from '../../helpers/cli.js';
import { basic, until } from '../../helpers/http.js';
import { writeFrameFolder, writeKeyFile } from '../../helpers/secure.js';
import { httpsGet as get, makeCertificate, OPENSSL_MISSING } from '../../helpers/tls.js';

const FFMPEG_MISSING = spawnSync('ffmpeg', ['-version']).status === 0 ? false : 'ffmpeg is not installed';
const USER = 'viewer';
const PASSWORD = 'correct horse';

describe('HTTPS', { skip: OPENSSL_MISSING }, () => {
  let work: string;
  let cert: string;
  let certFile: string;
  let keyFile: string;
  let frames: Buffer[];
  let receiver: CliProcess;
  let sender: CliProcess;
  let base: string;

  before(async () => {
    work = await mkdtemp(path.join(tmpdir(), 'udpcam-https-'));
    ({ certFile, keyFile, cert } = await makeCertificate(work));
    const framesDir = path.join(work, 'frames');
    frames = await writeFrameFolder(framesDir, 20, 320, 180);
    const streamKey = await writeKeyFile(path.join(work, 'cam.key'));
    const started = await startReceiver([
      '--bind',
      '127.0.0.1',
      '--key',
      streamKey.file,
      '--http',
      '0',
      '--tls-cert',
      certFile,
      '--tls-key',
      keyFile,
      '--auth',
      `${USER}:${PASSWORD}`,
      '--status-interval',
      '3600',
    ]);
    receiver = started.cli;
    base = (await receiver.waitFor(/live page (https:\/\/\S+)/))[1]!;
    // The folder loops: a steady protected camera for every test below.
    sender = startCli([
      'send',
      '--source',
      `dir:${framesDir}`,
      '--no-meta',
      '--ip',
      '127.0.0.1',
      '--port',
      String(started.port),
      '--fps',
      '10',
      '--key',
      streamKey.file,
      '--status-interval',
      '3600',
    ]);
    const auth = { Authorization: basic(USER, PASSWORD) };
    await until(
      'the first frame over HTTPS',
      async () => {
        const response = await get(`${base}snapshot.jpg`, cert, auth).catch(() => undefined);
        return response?.status === 200 ? true : undefined;
      },
      20_000,
    );
  });

  after(async () => {
    await sender?.stop('SIGKILL');
    await receiver?.stop('SIGKILL');
    await rm(work, { recursive: true, force: true });
  });

  test('a verifying TLS client gets the stats with the password, 401 without; plain HTTP gets no page', async () => {
    const auth = { Authorization: basic(USER, PASSWORD) };
    assert.equal((await get(`${base}api/cameras`, cert)).status, 401);
    const cameras = await get(`${base}api/cameras`, cert, auth);
    assert.equal(cameras.status, 200);
    assert.equal((JSON.parse(cameras.body.toString()) as unknown[]).length, 1);
    const snapshot = await get(`${base}snapshot.jpg`, cert, auth);
    assert.ok(
      frames.some((frame) => frame.equals(snapshot.body)),
      'the snapshot is a frame that was sent',
    );
    const plain = await fetch(base.replace('https:', 'http:')).then(
      (response) => response.status,
      () => 'refused',
    );
    assert.notEqual(plain, 200, 'no page over plain HTTP on the HTTPS port');
  });

  test('ffmpeg reads the MJPEG stream over https: the sent JPEGs byte for byte', {
    skip: FFMPEG_MISSING,
  }, async () => {
    const url = new URL(`${base}stream.mjpg`);
    url.username = USER;
    url.password = PASSWORD;
    const out = path.join(work, 'ffmpeg');
    const result = spawnSync(
      'ffmpeg',
      [
        '-hide_banner',
        '-nostdin',
        '-loglevel',
        'error',
        '-i',
        url.href,
        '-frames:v',
        '5',
        '-c',
        'copy',
        '-f',
        'image2',
        `${out}%02d.jpg`,
      ],
      { encoding: 'utf8', timeout: 30_000 },
    );
    assert.equal(result.status, 0, result.stderr);
    const names = (await readdir(work)).filter((name) => name.startsWith('ffmpeg')).sort();
    assert.equal(names.length, 5);
    for (const name of names) {
      const bytes = await readFile(path.join(work, name));
      assert.ok(
        frames.some((frame) => frame.equals(bytes)),
        `${name} is a frame that was sent`,
      );
    }
  });

  describe('in Chromium', { skip: CHROMIUM_MISSING }, () => {
    let browser: Browser;
    before(async () => {
      browser = await launchChromium();
    });
    after(async () => {
      await browser?.close();
    });

    test('the live page loads over HTTPS and shows the camera', async () => {
      const page = await browser.newPage({
        ignoreHTTPSErrors: true,
        httpCredentials: { username: USER, password: PASSWORD },
      });
      const errors: Error[] = [];
      page.on('pageerror', (error) => errors.push(error));
      const response = await page.goto(base);
      assert.equal(response?.status(), 200);
      assert.ok(page.url().startsWith('https://'));
      await waitUntil('one tile', async () => (await page.locator('.tile').count()) === 1);
      const image = page.locator('.tile img.tile-image');
      await waitUntil('the camera image', async () => (await naturalWidth(image)) === 320);
      assert.deepEqual(errors, []);
      await page.close();
    });
  });

  test('udpcam area serves its page over HTTPS', async () => {
    const area = startCli([
      'area',
      '--source',
      'test',
      '--size',
      '320x180',
      '--http',
      '0',
      '--out',
      path.join(work, 'capture_area.json'),
      '--tls-cert',
      certFile,
      '--tls-key',
      keyFile,
    ]);
    try {
      const url = (await area.waitFor(/area page (https:\/\/\S+)/, 20_000))[1]!;
      const answer = await get(`${url}api/area`, cert);
      assert.equal(answer.status, 200);
      assert.match(answer.body.toString(), /"source"/);
    } finally {
      await area.stop('SIGKILL');
    }
  });

  test('TLS flag mistakes, and auth over plain HTTP off loopback, fail in one line', async () => {
    const other = path.join(work, 'other-key.pem');
    spawnSync('openssl', [
      'genpkey',
      '-algorithm',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-out',
      other,
    ]);
    const mismatch = await runCli([
      'receive',
      '--port',
      '0',
      '--http',
      '0',
      '--tls-cert',
      certFile,
      '--tls-key',
      other,
    ]);
    assert.equal(mismatch.code, 1);
    assert.match(
      mismatch.stderr,
      /^udpcam: cannot use .*cert\.pem with .*other-key\.pem: .*\(UDPCAM_ERR_TLS\)$/,
    );
    const half = await runCli(['receive', '--port', '0', '--http', '0', '--tls-cert', certFile]);
    assert.equal(half.code, 1);
    assert.match(half.stderr, /--tls-cert and --tls-key go together/);
    const notPem = path.join(work, 'not.pem');
    await writeFile(notPem, 'hello');
    assert.equal(
      (await runCli(['area', '--source', 'test', '--tls-cert', notPem, '--tls-key', keyFile])).code,
      1,
    );
    const clear = await runCli([
      'receive',
      '--port',
      '0',
      '--http',
      '0',
      '--http-host',
      '0.0.0.0',
      '--token',
      't0k3n',
    ]);
    assert.equal(clear.code, 1);
    assert.match(
      clear.stderr,
      /over plain HTTP would send the password in clear: add --tls-cert FILE --tls-key FILE \(or --insecure-http/,
    );
    assert.ok(!clear.stderr.includes('t0k3n'));
  });
});
