/** Corner lists ↔ capture areas, and writing capture_area.json. */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { captureArea, parsePoints, writeCaptureArea } from '@udpcam/area';

import { formatCaptureArea } from '#area/area-file.js';
import { roundCorners } from '#area/points.js';

test('parsePoints reads "x,y x,y x,y x,y" with spaces or semicolons', () => {
  const corners = [
    [1, 2],
    [30.5, 4],
    [50, 60],
    [7, 80],
  ];
  assert.deepEqual(parsePoints(' 1,2 30.5,4  50,60 7,80 '), corners);
  assert.deepEqual(parsePoints('1,2;30.5,4; 50,60 ;7,80'), corners);
});

test('parsePoints refuses anything but 4 pairs of numbers ≥ 0, naming the corner', () => {
  for (const [text, message] of [
    ['', /expected 4 points/],
    ['1,2 3,4 5,6', /expected 4 points .* got 3/],
    ['1,2 3,4 5,6 7,8 9,10', /got 5/],
    ['1,2 3,4 5,6 7', /bottom-left point "7" is not x,y/],
    ['-1,2 3,4 5,6 7,8', /top-left point "-1,2"/],
    ['1,2 3,4 NaN,6 7,8', /bottom-right point/],
    ['1,2 1e3,4 5,6 7,8', /top-right point/],
  ] as const) {
    assert.throws(() => parsePoints(text), { code: 'UDPCAM_ERR_INVALID_OPTION', message }, text);
  }
});

test('captureArea rounds corners to whole pixels and spans the output size', () => {
  assert.deepEqual(
    captureArea(
      [
        [0.4, 0.5],
        [99.6, 1],
        [100, 50],
        [0, 49.49],
      ],
      { width: 320, height: 240 },
    ),
    {
      selected_rect: [
        [0, 1],
        [100, 1],
        [100, 50],
        [0, 49],
      ],
      visible_rect: [
        [0, 0],
        [320, 0],
        [320, 240],
        [0, 240],
      ],
    },
  );
  // Anything not shaped like a file goes through untouched, for the schema to name.
  assert.equal(roundCorners(null), null);
  assert.deepEqual(roundCorners({ selected_rect: 'x' }), { selected_rect: 'x' });
  assert.deepEqual(roundCorners({ selected_rect: [[1.6, 'a'], 3] }), { selected_rect: [[2, 'a'], 3] });
});

test('writeCaptureArea writes the original format atomically, and says where it cannot', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'udpcam-area-file-'));
  try {
    const area = captureArea(
      [
        [1, 2],
        [3, 4],
        [5, 6],
        [7, 8],
      ],
      { width: 10, height: 20 },
    );
    const file = path.join(dir, 'capture_area.json');
    assert.equal(await writeCaptureArea(path.relative(process.cwd(), file), area), file);
    const text = await readFile(file, 'utf8');
    assert.equal(text, formatCaptureArea(area));
    assert.deepEqual(JSON.parse(text), area);
    assert.deepEqual(await readdir(dir), ['capture_area.json'], 'no temporary file left');
    await assert.rejects(writeCaptureArea(path.join(dir, 'missing', 'a.json'), area), {
      code: 'UDPCAM_ERR_OUT_DIR',
      message: /cannot write .*missing\/a\.json \(ENOENT\)/,
    });
    assert.ok(!existsSync(path.join(dir, 'missing')));
    assert.deepEqual(await readdir(dir), ['capture_area.json'], 'no temporary file left after a failure');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
