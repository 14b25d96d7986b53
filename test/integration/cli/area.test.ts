/** `udpcam send --area FILE`: the selected quad is warped onto the visible rect before sending. */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import jpeg from 'jpeg-js';
import { runCli, sendToDisk } from '../../helpers/cli.js';

test('a 2× zoom of the top-left quarter: the white marker lands at twice its place', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'udpcam-area-'));
  try {
    const area = path.join(dir, 'capture_area.json');
    await writeFile(
      area,
      JSON.stringify({
        selected_rect: [
          [0, 0],
          [320, 0],
          [320, 180],
          [0, 180],
        ],
        visible_rect: [
          [0, 0],
          [640, 0],
          [640, 360],
          [0, 360],
        ],
      }),
    );
    const first = await sendToDisk(path.join(dir, 'out'), 3, [
      '--fps',
      '10',
      '--area',
      area,
      '--quality',
      '95',
    ]);
    const image = jpeg.decode(await readFile(first));
    assert.equal(image.width, 640);
    assert.equal(image.height, 360);
    const pixel = (x: number, y: number) => [
      ...image.data.subarray((y * 640 + x) * 4, (y * 640 + x) * 4 + 3),
    ];
    // The test pattern's white marker is source (16..40, 16..40): here (32..80, 32..80).
    for (const [x, y] of [
      [40, 40],
      [56, 56],
      [72, 72],
    ] as const) {
      assert.ok(
        pixel(x, y).every((v) => v > 220),
        `white at ${x},${y}: ${pixel(x, y)}`,
      );
    }
    assert.ok(!pixel(120, 56).every((v) => v > 220), 'not white past the marker');

    // A quad that cannot be warped is the file's fault: one line naming it.
    await writeFile(
      area,
      JSON.stringify({
        selected_rect: [
          [0, 0],
          [100, 0],
          [200, 0],
          [0, 100],
        ],
        visible_rect: [
          [0, 0],
          [640, 0],
          [640, 360],
          [0, 360],
        ],
      }),
    );
    // Refused before anything is sent, so no receiver is needed.
    const bad = await runCli(['send', '--port', '5000', '--frames', '1', '--area', area]);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /capture_area\.json: .*\(UDPCAM_ERR_CONFIG\)/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
