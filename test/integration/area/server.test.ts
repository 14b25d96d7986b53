/** The area page's HTTP side, from a real `udpcam area` process over real sockets (no browser). */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import jpeg from 'jpeg-js';
import { assertSchemaValid, EXISTING_AREA, postJson, startArea } from '../../helpers/area.js';
import { waitUntil } from '../../helpers/browser.js';
import { request } from '../../helpers/http.js';

let dir: string;
before(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'udpcam-area-server-'));
});
after(() => rm(dir, { recursive: true, force: true }));

test('GET /api/area shows an existing --out file for editing', async () => {
  const out = path.join(dir, 'existing.json');
  await writeFile(out, JSON.stringify(EXISTING_AREA));
  const { cli, url } = await startArea(['--source', 'test', '--size', '640x360', '--out', out]);
  try {
    assert.match(cli.stderr.join('\n'), /opened for editing/);
    const state = (await request(`${url}api/area`)).json<Record<string, unknown>>();
    assert.deepEqual(state, {
      source: { name: 'test-pattern', width: 640, height: 360 },
      out,
      area: EXISTING_AREA,
      outputSize: { width: 400, height: 300 },
    });
  } finally {
    assert.equal(await cli.stop('SIGINT'), 0);
  }
});

test('/frame.jpg and /preview.jpg: JPEGs of the source and of the requested output size', async () => {
  const { cli, url } = await startArea([
    '--source',
    'test',
    '--size',
    '320x240',
    '--out',
    path.join(dir, 'x.json'),
  ]);
  try {
    const frame = await request(`${url}frame.jpg`);
    assert.equal(frame.status, 200);
    assert.equal(frame.headers['content-type'], 'image/jpeg');
    const seq = Number(frame.headers['x-frame-seq']);
    const source = jpeg.decode(frame.body);
    assert.deepEqual([source.width, source.height], [320, 240]);
    // ?after=N waits for a newer frame.
    const newer = await request(`${url}frame.jpg?after=${seq}`);
    assert.ok(Number(newer.headers['x-frame-seq']) > seq);

    // The top-left quarter, zoomed 2× onto 300x200: the white marker (16..40) lands at 2× its place.
    const preview = await request(`${url}preview.jpg?points=0,0;160,0;160,120;0,120&size=300x200`);
    assert.equal(preview.status, 200, preview.body.toString());
    assert.equal(preview.headers['content-type'], 'image/jpeg');
    const image = jpeg.decode(preview.body);
    assert.deepEqual([image.width, image.height], [300, 200]);
    const pixel = (x: number, y: number) => [
      ...image.data.subarray((y * 300 + x) * 4, (y * 300 + x) * 4 + 3),
    ];
    // Source (28, 28) → (28 × 300/160, 28 × 200/120) = (52.5, 46.7).
    assert.ok(
      pixel(52, 46).every((v) => v > 200),
      `white marker at 52,46: ${pixel(52, 46)}`,
    );

    // Bad quads and sizes are refused with a reason.
    const crossed = await request(`${url}preview.jpg?points=0,0;160,0;0,120;160,120&size=300x200`);
    assert.equal(crossed.status, 422);
    assert.match(crossed.json<{ error: string }>().error, /convex/);
    const outside = await request(`${url}preview.jpg?points=0,0;400,0;160,120;0,120&size=300x200`);
    assert.equal(outside.status, 422);
    assert.match(outside.json<{ error: string }>().error, /outside the 320x240 source/);
    for (const query of [
      'points=0,0;1,1&size=300x200',
      'points=0,0;160,0;160,120;0,120&size=0x200',
      'size=9x9',
    ]) {
      assert.equal((await request(`${url}preview.jpg?${query}`)).status, 400, query);
    }
    assert.equal(
      (await request(`${url}preview.jpg?points=0,0;160,0;160,120;0,120&size=9000x10`)).status,
      400,
    );
    assert.equal((await request(`${url}nothing`)).status, 404);
    assert.equal((await request(`${url}api/area`, { method: 'DELETE' })).status, 405);
  } finally {
    assert.equal(await cli.stop(), 0);
  }
});

test('POST /api/area: saves atomically, refuses a bad quad with the reason and writes nothing', async () => {
  const out = path.join(dir, 'saved.json');
  const { cli, url } = await startArea(['--source', 'test', '--out', out]);
  try {
    const crossed = await postJson(`${url}api/area`, {
      selected_rect: [
        [10, 10],
        [600, 10],
        [10, 350],
        [600, 350],
      ],
      visible_rect: EXISTING_AREA.visible_rect,
    });
    assert.equal(crossed.status, 422);
    assert.match((crossed.answer as { error: string }).error, /convex quad/);
    const schema = await postJson(`${url}api/area`, { selected_rect: [[1, 2]], visible_rect: [] });
    assert.equal(schema.status, 422);
    assert.match(
      (schema.answer as { error: string }).error,
      /selected_rect: must NOT have fewer than 4 items/,
    );
    // Only JSON bodies: a form post from another site cannot write the file.
    const form = await fetch(`${url}api/area`, { method: 'POST', body: JSON.stringify(EXISTING_AREA) });
    assert.equal(form.status, 415);
    assert.ok(!existsSync(out), 'nothing written');

    const saved = await postJson(`${url}api/area`, {
      ...EXISTING_AREA,
      selected_rect: [
        [40.4, 30.6],
        [600, 20],
        [620, 340],
        [20, 330],
      ],
    });
    assert.equal(saved.status, 200, JSON.stringify(saved.answer));
    assert.equal((saved.answer as { file: string }).file, out);
    const file = JSON.parse(await readFile(out, 'utf8'));
    assertSchemaValid(file);
    assert.deepEqual(file.selected_rect[0], [40, 31]);
    await cli.waitFor(new RegExp(`saved ${out.replace(/[.]/g, '\\.')}`));
    // The page reloads what was saved.
    assert.deepEqual((await request(`${url}api/area`)).json<{ area: unknown }>().area, file);
  } finally {
    assert.equal(await cli.stop(), 0);
  }
});

test('POST /api/quit ends the command with status 0', async () => {
  const { cli, url } = await startArea(['--out', path.join(dir, 'quit.json')]);
  const answer = await postJson(`${url}api/quit`, {});
  assert.equal(answer.status, 200);
  assert.equal(await cli.exited, 0);
  assert.match(cli.stderr.join('\n'), /stopped \(the page\)/);
});

test('--open runs $BROWSER with the URL; a browser that fails is only a warning', async () => {
  const opened = path.join(dir, 'opened.txt');
  const browser = path.join(dir, 'browser.sh');
  await writeFile(browser, `#!/bin/sh\necho "$1" > '${opened}'\n`);
  await chmod(browser, 0o755);
  const { cli, url } = await startArea(['--open', '--out', path.join(dir, 'open.json')], {
    BROWSER: browser,
  });
  try {
    const shown = await waitUntil('the browser script', async () =>
      existsSync(opened) ? (await readFile(opened, 'utf8')).trim() : undefined,
    );
    assert.equal(shown, url);
  } finally {
    assert.equal(await cli.stop(), 0);
  }
  const missing = await startArea(['--open', '--out', path.join(dir, 'open.json')], {
    BROWSER: path.join(dir, 'no-such-browser'),
  });
  try {
    await missing.cli.waitFor(/warning: cannot open a browser with .*no-such-browser \(ENOENT\)/);
    assert.equal((await request(`${missing.url}api/area`)).status, 200, 'still serving');
  } finally {
    assert.equal(await missing.cli.stop(), 0);
  }
});
