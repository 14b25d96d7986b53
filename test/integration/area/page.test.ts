/**
 * The area page in headless Chromium, against a real `udpcam area` process: corners clicked and
 * dragged on an image shown at neither 1:1 nor 1 device pixel per CSS pixel, saved with `s`, then
 * used by a real `udpcam send --area` into a real receiver.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { AreaWarp, type CaptureArea, TestPatternSource } from '@udpcam/sender';
import jpeg from 'jpeg-js';
import type { Browser, Page } from 'playwright-core';
import { assertSchemaValid, EXISTING_AREA, startArea } from '../../helpers/area.js';
import { CHROMIUM_MISSING, launchChromium, naturalWidth, waitUntil } from '../../helpers/browser.js';
import { sendToDisk } from '../../helpers/cli.js';
import { lumaSpread } from '../../helpers/jpeg.js';

/** Where the screenshot of the page is left for people to look at (overwritten on each run). */
const SCREENSHOT = path.join(tmpdir(), 'udpcam-area-page.png');

type Point = [number, number];

/** Maps source pixels to page (CSS) pixels through the shown image's box. */
async function pagePoint(page: Page, [x, y]: Point): Promise<Point> {
  const box = (await page.locator('#source').boundingBox())!;
  return [box.x + (x * box.width) / 640, box.y + (y * box.height) / 360];
}

/** The corner markers the page shows, as [x, y] in source pixels. */
async function shownCorners(page: Page): Promise<Point[]> {
  const corners = page.locator('#corners .corner');
  const points: Point[] = [];
  for (let i = 0; i < (await corners.count()); i++) {
    const corner = corners.nth(i);
    points.push([Number(await corner.getAttribute('data-x')), Number(await corner.getAttribute('data-y'))]);
  }
  return points;
}

/** A page at 2 device pixels per CSS pixel, narrow enough that the 640-px frame is shown at about 0.65. */
async function openPage(browser: Browser, url: string): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 820, height: 900 }, deviceScaleFactor: 2 });
  const page = await context.newPage();
  await page.goto(url);
  await waitUntil('the live source', async () => (await naturalWidth(page.locator('#source'))) === 640);
  return page;
}

describe('area page', { skip: CHROMIUM_MISSING }, () => {
  let browser: Browser;
  let dir: string;
  before(async () => {
    browser = await launchChromium();
    dir = await mkdtemp(path.join(tmpdir(), 'udpcam-area-page-'));
  });
  after(async () => {
    await browser?.close();
    await rm(dir, { recursive: true, force: true });
  });

  test('click 4 corners, drag one, press s: the file holds them in source pixels; send warps as it predicts', async (t) => {
    const out = path.join(dir, 'area.json');
    const { cli, url } = await startArea(['--source', 'test', '--size', '640x360', '--out', out]);
    const page = await openPage(browser, url);
    try {
      const box = (await page.locator('#source').boundingBox())!;
      const scale = box.width / 640;
      assert.ok(scale > 0.4 && scale < 0.8, `the frame is shown scaled (${scale.toFixed(3)}), not 1:1`);
      assert.equal(await page.evaluate('devicePixelRatio'), 2);

      // Both test-pattern markers (white near the top-left, red near the bottom-right) inside the quad.
      const wanted: Point[] = [
        [6, 8],
        [632, 14],
        [628, 352],
        [10, 348],
      ];
      const firstTopRight: Point = [560, 60];
      for (const corner of [wanted[0]!, firstTopRight, wanted[2]!, wanted[3]!]) {
        const [x, y] = await pagePoint(page, corner);
        await page.mouse.click(x, y);
      }
      assert.equal(await page.locator('#corners .corner').count(), 4);
      // Drag top-right to where it belongs.
      const [fromX, fromY] = await pagePoint(page, firstTopRight);
      const [toX, toY] = await pagePoint(page, wanted[1]!);
      await page.mouse.move(fromX, fromY);
      await page.mouse.down();
      await page.mouse.move(toX, toY, { steps: 8 });
      await page.mouse.up();
      const shown = await shownCorners(page);
      shown.forEach(([x, y], i) => {
        assert.ok(
          Math.abs(x - wanted[i]![0]) <= 1 && Math.abs(y - wanted[i]![1]) <= 1,
          `marker ${i} at ${x},${y}, want ${wanted[i]}`,
        );
      });

      // Both images show pictures: the live source and the warped preview (640x360, the source size).
      await waitUntil('the preview', async () => (await naturalWidth(page.locator('#preview'))) === 640);
      const sourceShot = await page.locator('#source').screenshot({ type: 'jpeg', quality: 90 });
      const previewShot = await page.locator('#preview').screenshot({ type: 'jpeg', quality: 90 });
      assert.ok(lumaSpread(sourceShot) > 20, 'the source shows a picture, not a uniform area');
      assert.ok(lumaSpread(previewShot) > 20, 'the preview shows a picture, not a uniform area');
      await page.screenshot({ path: SCREENSHOT });
      assert.ok((await stat(SCREENSHOT)).size > 10_000, `screenshot ${SCREENSHOT} has content`);
      t.diagnostic(`screenshot: ${SCREENSHOT}`);

      await page.keyboard.press('s');
      await waitUntil('the saved message', async () =>
        ((await page.locator('#message').textContent()) ?? '').includes(`Saved to ${out}`),
      );
      await cli.waitFor(/udpcam: saved /);
    } finally {
      await page.context().close();
      assert.equal(await cli.stop('SIGINT'), 0);
    }

    const saved = JSON.parse(await readFile(out, 'utf8')) as CaptureArea;
    assertSchemaValid(saved);
    saved.selected_rect.forEach(([x, y], i) => {
      assert.ok(Number.isInteger(x) && Number.isInteger(y), 'whole pixels');
      const [wx, wy] = [
        [6, 8],
        [632, 14],
        [628, 352],
        [10, 348],
      ][i]!;
      assert.ok(Math.abs(x - wx!) <= 1 && Math.abs(y - wy!) <= 1, `corner ${i}: ${x},${y}`);
    });
    assert.deepEqual(saved.visible_rect, [
      [0, 0],
      [640, 0],
      [640, 360],
      [0, 360],
    ]);

    // The sender warps with this file: each marker's centre lands where the quad's homography puts it.
    const first = await sendToDisk(path.join(dir, 'frames'), 2, [
      '--source',
      'test',
      '--size',
      '640x360',
      '--fps',
      '10',
      '--quality',
      '95',
      '--area',
      out,
    ]);
    const image = jpeg.decode(await readFile(first));
    const pixel = (x: number, y: number) => [
      ...image.data.subarray((y * image.width + x) * 4, (y * image.width + x) * 4 + 3),
    ];
    const warp = new AreaWarp(saved);
    const { whiteMarker: white, redMarker: red } = new TestPatternSource().layout;
    const centre = (r: { x: number; y: number; width: number }) =>
      warp.outputPoint(r.x + r.width / 2, r.y + r.width / 2).map(Math.floor) as Point;
    const [whiteX, whiteY] = centre(white);
    const [redX, redY] = centre(red);
    t.diagnostic(`white marker centre → ${whiteX},${whiteY}; red → ${redX},${redY}`);
    // Not where they are in the source: the warp moved them.
    assert.ok(Math.hypot(whiteX - 28, whiteY - 28) > 8, 'the white marker moved');
    assert.ok(
      pixel(whiteX, whiteY).every((v) => v > 220),
      `white at ${whiteX},${whiteY}: ${pixel(whiteX, whiteY)}`,
    );
    const [r, g, b] = pixel(redX, redY);
    assert.ok(r! > 200 && g! < 70 && b! < 70, `red at ${redX},${redY}: ${[r, g, b]}`);
  });

  test('an existing --out file is shown for editing; a crossed quad is refused with a message, nothing written', async () => {
    const existing = path.join(dir, 'existing.json');
    const area = EXISTING_AREA;
    await writeFile(existing, JSON.stringify(area));
    const shown = await startArea(['--out', existing]);
    let page = await openPage(browser, shown.url);
    try {
      await waitUntil('4 markers', async () => (await page.locator('#corners .corner').count()) === 4);
      assert.deepEqual(await shownCorners(page), area.selected_rect);
      assert.equal(await page.locator('#out-width').inputValue(), '400');
      assert.equal(await page.locator('#out-height').inputValue(), '300');
      assert.match((await page.locator('#message').textContent()) ?? '', /Opened .*existing\.json/);
      await waitUntil('the preview', async () => (await naturalWidth(page.locator('#preview'))) === 400);
    } finally {
      await page.context().close();
      assert.equal(await shown.cli.stop(), 0);
    }

    const out = path.join(dir, 'crossed.json');
    const crossed = await startArea(['--out', out]);
    page = await openPage(browser, crossed.url);
    try {
      // Bottom-right and bottom-left swapped: the edges cross.
      for (const corner of [
        [40, 30],
        [600, 20],
        [20, 330],
        [620, 340],
      ] as Point[]) {
        const [x, y] = await pagePoint(page, corner);
        await page.mouse.click(x, y);
      }
      await waitUntil('the preview says why', async () =>
        /convex/.test((await page.locator('#preview-note').textContent()) ?? ''),
      );
      await page.keyboard.press('s');
      await waitUntil('the refusal', async () =>
        /^Not saved: .*convex quad/.test((await page.locator('#message').textContent()) ?? ''),
      );
      assert.equal(await page.locator('#message').getAttribute('data-kind'), 'error');
      assert.ok(!existsSync(out), 'nothing written');
    } finally {
      await page.context().close();
      assert.equal(await crossed.cli.stop(), 0);
    }
  });

  test('Esc clears the corners, and with none quits: the command exits 0', async () => {
    const { cli, url } = await startArea(['--out', path.join(dir, 'esc.json')]);
    const page = await openPage(browser, url);
    try {
      const [x, y] = await pagePoint(page, [100, 100]);
      await page.mouse.click(x, y);
      assert.equal(await page.locator('#corners .corner').count(), 1);
      await page.keyboard.press('Escape');
      assert.equal(await page.locator('#corners .corner').count(), 0);
      assert.equal(cli.child.exitCode, null, 'still running after the first Esc');
      await page.keyboard.press('Escape');
      assert.equal(await cli.exited, 0);
      await page.locator('#closed').waitFor();
    } finally {
      await page.context().close();
      await cli.stop();
    }
    assert.ok(!existsSync(path.join(dir, 'esc.json')), 'quitting writes nothing');
  });
});
