/**
 * The receiver's live page in a real browser: a real `udpcam receive --http`, a real
 * `udpcam send` and a named camera sent from a socket of our own, checked in headless Chromium.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import dgram from 'node:dgram';
import { stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { chunkFrame, ImageIdCycle } from '@udpcam/protocol';
import type { Browser, Page } from 'playwright-core';
import {
  CHROMIUM_MISSING,
  launchChromium,
  naturalWidth,
  shownNumber,
  waitUntil,
} from '../../helpers/browser.js';
import { type CliProcess, startCli } from '../../helpers/cli.js';
import { makeJpeg } from '../../helpers/frames.js';
import { startHttpReceiver } from '../../helpers/http.js';
import { lumaSpread } from '../../helpers/jpeg.js';

/** Where the screenshot of the page is left for people to look at (overwritten on each run). */
const SCREENSHOT = path.join(tmpdir(), 'udpcam-live-page.png');

/** Sends 320×180 JPEGs at 10 fps from one bound socket (so the receiver can name it), in udpcam's framing. */
class FramePump {
  readonly #socket: dgram.Socket;
  readonly #port: number;
  readonly #frames = Array.from({ length: 10 }, (_, seed) => makeJpeg(320, 180, seed));
  readonly #ids = new ImageIdCycle();
  #timer: NodeJS.Timeout | undefined;
  #sent = 0;

  constructor(socket: dgram.Socket, port: number) {
    this.#socket = socket;
    this.#port = port;
  }

  start(): void {
    this.#timer ??= setInterval(() => this.#sendFrame(), 100);
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  #sendFrame(): void {
    const frame = this.#frames[this.#sent++ % this.#frames.length]!;
    for (const datagram of chunkFrame(frame, this.#ids.next(), 1400)) {
      this.#socket.send([...datagram], this.#port, '127.0.0.1');
    }
  }
}

interface ApiCamera {
  id: string;
  name: string | null;
  sender: string;
  online: boolean;
  clients: number;
  frames: number;
}

async function getJson<T>(url: string): Promise<T> {
  const response = await fetch(url);
  assert.equal(response.status, 200, `GET ${url}`);
  return (await response.json()) as T;
}

/** Starts `udpcam receive --http 0` on loopback; resolves with its page URL and UDP port. */
async function startReceiver(args: string[]): Promise<{ cli: CliProcess; pageUrl: string; udpPort: number }> {
  const { cli, udpPort, base } = await startHttpReceiver(args);
  return { cli, pageUrl: base, udpPort };
}

function startSender(udpPort: number): CliProcess {
  return startCli([
    'send',
    '--ip',
    '127.0.0.1',
    '--port',
    String(udpPort),
    '--fps',
    '10',
    '--size',
    '320x180',
  ]);
}

describe('receiver live page', { skip: CHROMIUM_MISSING }, () => {
  let browser: Browser;
  const processes: CliProcess[] = [];
  const sockets: dgram.Socket[] = [];
  const pumps: FramePump[] = [];

  before(async () => {
    browser = await launchChromium();
  });

  after(async () => {
    for (const pump of pumps) pump.stop();
    await browser?.close();
    await Promise.all(processes.map((process) => process.stop()));
    for (const socket of sockets) socket.close();
  });

  /** A page that fails the test on any script error. */
  async function openPage(url: string, width = 1280, height = 800): Promise<{ page: Page; errors: Error[] }> {
    const page = await browser.newPage({ viewport: { width, height } });
    const errors: Error[] = [];
    page.on('pageerror', (error) => errors.push(error));
    await page.goto(url);
    return { page, errors };
  }

  test('shows every camera live with its stats, offline and back, and its recent frames', async (t) => {
    // The named camera sends from a socket bound before the receiver starts, so --name knows its port.
    const doorSocket = dgram.createSocket('udp4');
    sockets.push(doorSocket);
    await new Promise<void>((resolve) => doorSocket.bind(0, '127.0.0.1', resolve));
    const doorPort = doorSocket.address().port;

    const receiver = await startReceiver(['--name', `127.0.0.1:${doorPort}=door`]);
    processes.push(receiver.cli);
    const api = new URL('api/cameras', receiver.pageUrl).href;
    const { page, errors } = await openPage(receiver.pageUrl);

    // Nothing sent yet: the page says how to start a sender.
    await page.locator('#empty').waitFor({ state: 'visible' });
    assert.match((await page.locator('#empty').textContent()) ?? '', /waiting for the first frame/i);
    // ... with the receiver's real UDP port, from /api/receiver.
    await waitUntil(
      'the waiting message names the UDP port',
      async () =>
        (await page.locator('#empty-command').textContent()) ===
        `udpcam send --ip 127.0.0.1 --port ${receiver.udpPort}`,
      5000,
    );
    assert.equal(await page.locator('.tile').count(), 0);

    processes.push(startSender(receiver.udpPort));
    const door = new FramePump(doorSocket, receiver.udpPort);
    pumps.push(door);
    door.start();

    // Two tiles appear without a reload, each with a live picture.
    await waitUntil('two tiles', async () => (await page.locator('.tile').count()) === 2);
    assert.ok(await page.locator('#empty').isHidden());
    const cameras = await getJson<ApiCamera[]>(api);
    assert.equal(cameras.length, 2);
    const named = cameras.find((camera) => camera.name !== null)!;
    const unnamed = cameras.find((camera) => camera.name === null)!;
    assert.deepEqual([named.id, named.name, named.sender], ['door', 'door', `127.0.0.1:${doorPort}`]);
    assert.match(unnamed.id, /^127\.0\.0\.1_\d+$/);
    const doorTile = page.locator('.tile[data-camera="door"]');
    const senderTile = page.locator(`.tile[data-camera="${unnamed.id}"]`);
    assert.equal(await doorTile.locator('.tile-name').textContent(), 'door');
    assert.equal(await doorTile.locator('.tile-sender').textContent(), `127.0.0.1:${doorPort}`);
    assert.equal(await senderTile.locator('.tile-name').textContent(), unnamed.id);

    for (const tile of [doorTile, senderTile]) {
      const image = tile.locator('img.tile-image');
      await waitUntil('a decoded 320-pixel picture', async () => (await naturalWidth(image)) === 320);
      assert.match((await image.getAttribute('src')) ?? '', /\/cameras\/[\w.-]+\/stream\.mjpg\?/);
      assert.equal(await tile.getAttribute('data-mode'), 'stream');
      assert.equal(await tile.getAttribute('data-online'), 'true');
      assert.equal(await tile.locator('.badge').getAttribute('class'), 'badge badge-online');
      // Live stats: a plausible frame rate, a growing frame counter, this page as the MJPEG client.
      await waitUntil('an fps figure', async () => (await shownNumber(tile.locator('.stat-fps'))) > 0);
      const frames = await shownNumber(tile.locator('.stat-frames'));
      await waitUntil(
        'the frame counter to grow',
        async () => (await shownNumber(tile.locator('.stat-frames'))) > frames,
        3000,
      );
      await waitUntil(
        'one MJPEG client',
        async () => (await tile.locator('.stat-clients').textContent()) === '1',
      );
      assert.match((await tile.locator('.stat-loss').textContent()) ?? '', /^\d+\.\d %$/);
      assert.match((await tile.locator('.stat-rate').textContent()) ?? '', /^\d+(\.\d)? [kM]B\/s$/);
      // Frames rebuilt from parity: a count (none on loopback without loss).
      assert.match((await tile.locator('.stat-recovered').textContent()) ?? '', /^\d+$/);
    }
    // udpcam send stamps capture times, so its tile shows latency; our raw JPEGs carry none.
    assert.ok(await senderTile.locator('.stat-latency-box').isVisible());
    assert.match(
      (await senderTile.locator('.stat-latency').textContent()) ?? '',
      /^-?[\d.]+ \/ -?[\d.]+ ms$/,
    );
    assert.ok(await doorTile.locator('.stat-latency-box').isHidden());
    assert.equal(await page.locator('#camera-count').textContent(), '2');
    assert.ok((await shownNumber(page.locator('#total-fps'))) > 0);

    // The layout is a grid: side by side here, stacked on a phone.
    const [doorBox, senderBox] = [await doorTile.boundingBox(), await senderTile.boundingBox()];
    assert.equal(doorBox!.y, senderBox!.y, 'tiles side by side at 1280 px');

    await page.screenshot({ path: SCREENSHOT });
    assert.ok((await stat(SCREENSHOT)).size > 10_000, `screenshot ${SCREENSHOT} has content`);
    const shown = await senderTile.locator('img.tile-image').screenshot({ type: 'jpeg', quality: 90 });
    assert.ok(lumaSpread(shown) > 20, 'the tile shows a picture, not a uniform area');

    // The larger view: live at first, then any recent frame from the strip, byte for byte.
    await doorTile.click();
    const viewer = page.locator('dialog#viewer[open]');
    await viewer.waitFor();
    assert.equal(await viewer.getAttribute('data-camera'), 'door');
    assert.equal(await viewer.locator('#viewer-title').textContent(), 'door');
    await waitUntil('the live view', async () => (await naturalWidth(page.locator('#viewer-image'))) === 320);
    await waitUntil('recent frames', async () => (await page.locator('#strip .thumb').count()) >= 10);
    const thumb = page.locator('#strip .thumb').nth(2);
    const seq = (await thumb.getAttribute('data-seq'))!;
    await thumb.click();
    const caption = page.locator(`#viewer-caption[data-seq="${seq}"][data-state="frame"]`);
    await caption.waitFor();
    assert.match(
      (await caption.textContent()) ?? '',
      new RegExp(`^frame ${seq} · \\d\\d:\\d\\d:\\d\\d\\.\\d{3} · `),
    );
    assert.equal(await thumb.getAttribute('aria-pressed'), 'true');
    assert.ok(await page.locator('#viewer-live').isVisible());
    const stageSrc = (await page.locator('#viewer-image').getAttribute('src'))!;
    assert.match(stageSrc, /^blob:/);
    await waitUntil(
      'the frame decoded',
      async () => (await naturalWidth(page.locator('#viewer-image'))) === 320,
    );
    const shownBytes = Buffer.from(
      await page.evaluate(
        async (src) => [...new Uint8Array(await (await fetch(src)).arrayBuffer())],
        stageSrc,
      ),
    );
    const response = await fetch(new URL(`cameras/door/frames/${seq}.jpg`, receiver.pageUrl));
    assert.equal(response.status, 200);
    const hash = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');
    assert.equal(hash(shownBytes), hash(Buffer.from(await response.arrayBuffer())), 'the frame as received');
    // ← steps to the frame before it; L goes back to live.
    await page.keyboard.press('ArrowLeft');
    const before = await page.locator('#strip .thumb').nth(1).getAttribute('data-seq');
    await page.locator(`#viewer-caption[data-seq="${before}"][data-state="frame"]`).waitFor();
    await page.keyboard.press('l');
    await page.locator('#viewer-caption[data-state="live"]').waitFor();
    assert.match(
      (await page.locator('#viewer-image').getAttribute('src')) ?? '',
      /\/cameras\/door\/stream\.mjpg\?/,
    );
    await page.keyboard.press('Escape');
    await page.locator('dialog#viewer').waitFor({ state: 'hidden' });
    await waitUntil(
      'grid streams again',
      async () => (await doorTile.getAttribute('data-mode')) === 'stream',
    );

    // The named camera stops: it goes offline, the other stays online.
    const streamBefore = await doorTile.locator('img.tile-image').getAttribute('src');
    door.stop();
    const stoppedAt = performance.now();
    // Offline after the receiver's offlineAfterMs (3 s) plus the page's next poll; 30 s only guards
    // against a page that never shows it (when exactly is not a test on a shared machine).
    await waitUntil(
      'the door tile offline',
      async () => (await doorTile.getAttribute('data-online')) === 'false',
      30_000,
    );
    const offlineAfterMs = performance.now() - stoppedAt;
    assert.ok(await doorTile.locator('.badge-offline').isVisible());
    assert.match((await doorTile.getAttribute('class')) ?? '', /\boffline\b/);
    assert.equal(await senderTile.getAttribute('data-online'), 'true');
    assert.equal(await page.locator('#camera-count').getAttribute('data-online'), '1');
    // An offline tile keeps its last picture and frees its connection.
    assert.equal(await naturalWidth(doorTile.locator('img.tile-image')), 320);
    await waitUntil('no client on the offline camera', async () => {
      const list = await getJson<ApiCamera[]>(api);
      return list.find((camera) => camera.id === 'door')?.clients === 0;
    });

    // It sends again: online, with a new stream the <img> reloaded by itself.
    door.start();
    await waitUntil(
      'the door tile online',
      async () => (await doorTile.getAttribute('data-online')) === 'true',
    );
    await waitUntil('a new stream', async () => {
      const src = await doorTile.locator('img.tile-image').getAttribute('src');
      return (await doorTile.getAttribute('data-mode')) === 'stream' && src !== streamBefore;
    });
    await waitUntil('the stream serving the tile again', async () => {
      const list = await getJson<ApiCamera[]>(api);
      return list.find((camera) => camera.id === 'door')?.clients === 1;
    });
    await waitUntil(
      'the new stream decoded',
      async () => (await naturalWidth(doorTile.locator('img.tile-image'))) === 320,
      3000,
    );

    // A phone-sized window stacks the tiles.
    await page.setViewportSize({ width: 400, height: 800 });
    const [narrowDoor, narrowSender] = [await doorTile.boundingBox(), await senderTile.boundingBox()];
    assert.notEqual(narrowDoor!.y, narrowSender!.y, 'tiles stacked at 400 px');
    assert.ok(narrowDoor!.width > 340, 'a stacked tile takes the width');

    assert.deepEqual(errors, []);
    await page.close();
    t.diagnostic(`offline shown after ${Math.round(offlineAfterMs)} ms; screenshot: ${SCREENSHOT}`);
  });

  test('with --token, ?token= on the page is traded for an HttpOnly cookie: no URL the page uses carries the token', async () => {
    const receiver = await startReceiver(['--token', 's3cret']);
    processes.push(receiver.cli);
    processes.push(startSender(receiver.udpPort));
    const api = new URL('api/cameras', receiver.pageUrl);
    assert.equal((await fetch(api)).status, 401);
    assert.equal((await fetch(receiver.pageUrl)).status, 401);
    api.searchParams.set('token', 's3cret');
    assert.equal((await fetch(api)).status, 200);

    const { page, errors } = await openPage(`${receiver.pageUrl}?token=s3cret`);
    assert.doesNotMatch(page.url(), /token/, 'the address bar no longer shows the token');
    const image = page.locator('.tile img.tile-image');
    await waitUntil('a live picture', async () => (await naturalWidth(image)) === 320);
    assert.doesNotMatch((await image.getAttribute('src')) ?? '', /token=/);
    assert.equal(await page.locator('#connection').getAttribute('data-state'), 'ok');
    assert.ok(await page.locator('#notice').isHidden());
    // The stylesheet came through too (it needs the cookie like everything else).
    const background = await page.evaluate('getComputedStyle(document.body).backgroundColor');
    assert.equal(background, 'rgb(15, 17, 19)');
    const [cookie] = await page.context().cookies();
    assert.equal(cookie?.httpOnly, true);
    assert.equal(cookie?.sameSite, 'Strict');
    assert.notEqual(cookie?.value, 's3cret', 'the cookie is derived from the token, not the token');
    assert.deepEqual(errors, []);
    await page.close();
  });

  test('with --auth, the Basic credentials the browser holds serve the page, its stats and streams', async () => {
    const receiver = await startReceiver(['--auth', 'viewer:pa55']);
    processes.push(receiver.cli);
    processes.push(startSender(receiver.udpPort));
    assert.equal((await fetch(receiver.pageUrl)).status, 401);

    const context = await browser.newContext({ httpCredentials: { username: 'viewer', password: 'pa55' } });
    const page = await context.newPage();
    const errors: Error[] = [];
    page.on('pageerror', (error) => errors.push(error));
    await page.goto(receiver.pageUrl);
    const image = page.locator('.tile img.tile-image');
    await waitUntil('a live picture', async () => (await naturalWidth(image)) === 320);
    await waitUntil('an fps figure', async () => (await shownNumber(page.locator('.tile .stat-fps'))) > 0);
    assert.doesNotMatch((await image.getAttribute('src')) ?? '', /token=/);
    assert.equal(await page.locator('#connection').getAttribute('data-state'), 'ok');
    assert.deepEqual(errors, []);
    await context.close();
  });
});
